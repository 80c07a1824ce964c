// Renders the case's BPMN with bpmn-js and marks the path taken, the waiting and the overdue steps.
(function () {
  const box = document.getElementById('diagram');
  if (!box || !window.BpmnJS) { return; }
  fetch(box.dataset.source, { credentials: 'same-origin' })
    .then((r) => r.json())
    .then(async (info) => {
      const viewer = new window.BpmnJS({ container: box });
      await viewer.importXML(info.xml);
      const canvas = viewer.get('canvas');
      const registry = viewer.get('elementRegistry');
      const mark = (ids, css) => ids.forEach((id) => { if (registry.get(id)) { canvas.addMarker(id, css); } });
      mark(info.done, 'jr-done');
      mark(info.current, 'jr-current');
      mark(info.overdue, 'jr-overdue');
      canvas.zoom('fit-viewport');
      box.dataset.ready = 'true';
    })
    .catch((err) => { box.textContent = String(err); box.dataset.ready = 'error'; });
}());
