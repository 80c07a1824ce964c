// Bottleneck heat map: each step of the process coloured by its mean working days, with a badge of the
// cases waiting there now; the table below gives the same numbers.
(function () {
  "use strict";
  var box = document.getElementById("heatmap");
  if (!box || !window.BpmnJS) { return; }
  function cell(row, text) { var td = document.createElement("td"); td.textContent = text; row.appendChild(td); }
  fetch(box.dataset.source, {credentials: "same-origin"})
    .then(function (r) { return r.json(); })
    .then(async function (info) {
      var viewer = new window.BpmnJS({container: box});
      await viewer.importXML(info.xml);
      var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry"), overlays = viewer.get("overlays");
      var ids = Object.keys(info.steps);
      var slowest = Math.max.apply(null, ids.map(function (id) { return info.steps[id].work_days.avg || 0; }).concat([0.01]));
      var body = document.querySelector("#bottleneck-table tbody");
      ids.forEach(function (id) {
        var s = info.steps[id], avg = s.work_days.avg;
        var level = avg === undefined ? "none" : String(Math.max(1, Math.ceil(5 * avg / slowest)));
        if (registry.get(id)) {
          canvas.addMarker(id, "heat-" + level);
          var badge = document.createElement("div");
          badge.className = "heat-badge" + (s.overdue ? " bad" : "");
          badge.textContent = (s.days || info.labels.too_few) +
            (s.waiting ? " · " + info.labels.waiting + info.labels.colon + s.waiting : "");
          badge.title = s.name;
          overlays.add(id, {position: {bottom: -6, left: 0}, html: badge});
        }
        var row = document.createElement("tr");
        row.dataset.element = id;
        cell(row, s.name); cell(row, s.completed); cell(row, avg === undefined ? "—" : avg);
        cell(row, s.work_days.p90 === undefined ? "—" : s.work_days.p90); cell(row, s.waiting); cell(row, s.overdue);
        body.appendChild(row);
      });
      canvas.zoom("fit-viewport");
      if (window.addZoom) { window.addZoom(box, canvas); }
      box.dataset.ready = "true";
    })
    .catch(function (err) { box.textContent = String(err); box.dataset.ready = "error"; });
}());
