// 返回修改 on the task page's confirmation (提交确认): the box closes and the form stays as typed, its own buttons back.
// Without this script the button asks the server for the same page (nothing is submitted either way).
(function () {
  var box = document.getElementById("confirming");
  var back = document.getElementById("back-to-edit");
  var buttons = document.getElementById("form-buttons");
  if (!box || !back || !buttons) { return; }
  back.addEventListener("click", function (event) {
    event.preventDefault();
    box.remove(); // with it the answer it confirmed: a submission is asked again
    buttons.hidden = false;
    var first = document.querySelector("#task-form select, #task-form textarea, #task-form input:not([type=hidden])");
    if (first) { first.focus(); }
  });
})();
