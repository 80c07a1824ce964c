// Team page: one box selects or clears every step listed, for a bulk reassignment.
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (!all) { return; }
  var boxes = function () { return document.querySelectorAll('#reassign input[name="task_id"]'); };
  all.addEventListener("change", function () {
    boxes().forEach(function (box) { box.checked = all.checked; });
  });
  document.getElementById("reassign").addEventListener("change", function (event) {
    if (event.target.name !== "task_id") { return; }
    var list = Array.prototype.slice.call(boxes());
    all.checked = list.length > 0 && list.every(function (box) { return box.checked; });
    all.indeterminate = !all.checked && list.some(function (box) { return box.checked; });
  });
}());
