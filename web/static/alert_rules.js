// The add-rule form of the alerts page: only the chosen process's steps are offered, and the threshold's keypad
// fits the kind of rule. Without this script every process's steps are offered, grouped by process, and the server
// refuses a step of another process by name.
(function () {
  const form = document.getElementById('add-rule');
  if (!form) { return; }
  const process = form.querySelector('select[name=process_key]');
  const step = form.querySelector('select[name=element_id]');
  const show = () => {
    step.querySelectorAll('optgroup').forEach((group) => {
      const mine = group.dataset.process === process.value;
      group.hidden = !mine;
      group.disabled = !mine;
    });
    const chosen = step.selectedOptions[0];
    if (chosen && chosen.parentElement.disabled) { step.value = ''; }
  };
  process.addEventListener('change', show);
  show();
  // a day rule (idle, age) takes whole working days, the percent rule (sla) may have a fraction
  const kind = form.querySelector('select[name=kind]');
  const threshold = form.querySelector('input[name=threshold]');
  const keypad = () => { threshold.inputMode = kind.value === 'sla' ? 'decimal' : 'numeric'; };
  kind.addEventListener('change', keypad);
  keypad();
}());
