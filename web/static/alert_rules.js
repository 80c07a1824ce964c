// The add-rule form of the alerts page: only the chosen process's steps are offered. Without this script every
// process's steps are offered, grouped by process, and the server refuses a step of another process by name.
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
}());
