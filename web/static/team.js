// Team page: one box selects or clears every step listed, for a bulk reassignment; the list of members offers only
// those who may take every selected step (the server says who may take each kind of step: data-eligible).
(function () {
  "use strict";
  var form = document.getElementById("reassign");
  if (!form) { return; }
  var all = document.getElementById("select-all");
  var to = document.getElementById("to_user");
  var nobody = document.getElementById("nobody");
  var eligible = JSON.parse(to.getAttribute("data-eligible") || "{}");
  var boxes = function () { return Array.prototype.slice.call(form.querySelectorAll('input[name="task_id"]')); };

  function offer() {
    var groups = {};
    boxes().forEach(function (box) {
      if (box.checked) { groups[box.closest("tr").getAttribute("data-group")] = true; }
    });
    var wanted = Object.keys(groups);
    var offered = 0;
    Array.prototype.forEach.call(to.options, function (option) {
      if (!option.value) { return; }
      var able = wanted.every(function (group) { return (eligible[group] || []).indexOf(option.value) >= 0; });
      option.hidden = option.disabled = !able;
      if (able) { offered += 1; } else if (option.selected) { to.value = ""; }
    });
    nobody.hidden = !(wanted.length && !offered);
  }

  function mark() {
    var list = boxes();
    all.checked = list.length > 0 && list.every(function (box) { return box.checked; });
    all.indeterminate = !all.checked && list.some(function (box) { return box.checked; });
  }

  all.addEventListener("change", function () {
    boxes().forEach(function (box) { box.checked = all.checked; });
    offer();
  });
  form.addEventListener("change", function (event) {
    if (event.target.name !== "task_id") { return; }
    mark();
    offer();
  });
  mark();
  offer();
}());
