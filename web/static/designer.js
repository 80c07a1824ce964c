// Draws each uploaded BPMN file and marks the elements validation complained about.
(function () {
  document.querySelectorAll('.bpmn-file').forEach(async (box) => {
    if (!window.BpmnJS) { return; }
    try {
      const xml = await (await fetch(box.dataset.xml, { credentials: 'same-origin' })).text();
      const viewer = new window.BpmnJS({ container: box });
      await viewer.importXML(xml);
      const canvas = viewer.get('canvas');
      const registry = viewer.get('elementRegistry');
      JSON.parse(box.dataset.marks || '[]').forEach((id) => { if (registry.get(id)) { canvas.addMarker(id, 'jr-problem'); } });
      canvas.zoom('fit-viewport');
      if (window.addZoom) { window.addZoom(box, canvas); }
      box.dataset.ready = 'true';
    } catch (err) {  // the viewer's own error means little to a designer: point at the validator's list instead
      box.classList.add('unreadable');
      box.textContent = box.dataset.unreadable || String(err);
      box.dataset.ready = 'error';
    }
  });
}());
