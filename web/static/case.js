// Renders the case's BPMN with bpmn-js and marks the path taken, the waiting and the overdue steps.
// Zoom buttons: the whole process fits the card, so labels need a closer look.
window.addZoom = function addZoom(box, canvas) {
  const bar = document.createElement('div');
  bar.className = 'zoom';
  [['+', 1.25], ['−', 0.8], ['⤢', 0]].forEach(([label, factor]) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = label;
    button.addEventListener('click', () => {
      if (factor) { canvas.zoom(canvas.zoom() * factor); } else { canvas.zoom('fit-viewport'); }
    });
    bar.appendChild(button);
  });
  box.appendChild(bar);
};

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
      window.addZoom(box, canvas);
      box.dataset.ready = 'true';
    })
    .catch((err) => { box.textContent = String(err); box.dataset.ready = 'error'; });
}());
