// Task page: a step that cannot be undone (the BPMN's `confirm` property on the task) asks the user to confirm
// the answer chosen in the named field before the form is sent, e.g. “确认提交：不予录取？”.
(function () {
  "use strict";
  var form = document.querySelector("form.task-form[data-confirm-field]");
  if (!form) { return; }
  var chosen = function (name) {
    var radio = form.querySelector('input[type="radio"][name="' + name + '"]:checked');
    if (radio) { return radio.closest("label").textContent.trim(); }
    var select = form.querySelector('select[name="' + name + '"]');
    return select && select.value ? select.options[select.selectedIndex].text.trim() : "";
  };
  form.addEventListener("submit", function (event) {
    var answer = chosen(form.dataset.confirmField);
    if (!answer) { return; }  // nothing chosen: the server names the field that needs an answer
    if (!window.confirm(form.dataset.confirmText.replace("%s", answer))) { event.preventDefault(); }
  });
}());
