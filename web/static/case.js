// Renders the case's BPMN with bpmn-js and marks the path taken, the waiting and the overdue steps.
// A large process fitted to the card draws its labels too small to read: the diagram then opens at a readable
// scale on the steps the case is waiting at (the fit button shows the whole process). Zoom buttons: closer, farther,
// the whole process, the whole screen. Their tooltips come from the diagram's data-zoom-* attributes (the page's
// language; templates/_zoom_labels.html).
const READABLE = 0.75;  // below this scale a task's name is hard to read
const SVG = 'http://www.w3.org/2000/svg';
const ICONS = {  // corner marks: outward to fill the screen, inward to leave it; a framed box to fit
  full: 'M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4',
  exit: 'M5 1v4H1M11 1v4h4M11 15v-4h4M5 15v-4H1',
  fit: 'M2 2h12v12H2zM5 8h6M8 5v6',
};
const icon = (name) => {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', ICONS[name]);
  svg.appendChild(path);
  return svg;
};
window.addZoom = function addZoom(box, canvas) {
  const words = box.dataset;
  const bar = document.createElement('div');
  bar.className = 'zoom';
  const button = (content, title, action) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.append(content);
    b.title = title;
    b.setAttribute('aria-label', title);
    b.addEventListener('click', action);
    bar.appendChild(b);
    return b;
  };
  button('+', words.zoomIn || 'Zoom in', () => canvas.zoom(canvas.zoom() * 1.25));
  button('−', words.zoomOut || 'Zoom out', () => canvas.zoom(canvas.zoom() * 0.8));
  button(icon('fit'), words.zoomFit || 'Fit', () => canvas.zoom('fit-viewport'));
  const full = button(icon('full'), words.fullScreen || 'Full screen', () => toggle());
  full.classList.add('full-screen');
  const isFull = () => document.fullscreenElement === box || box.classList.contains('diagram-full');
  const sync = () => {  // after entering or leaving: the button says what it does now, the drawing fills the box
    const on = isFull();
    const title = on ? (words.exitFullScreen || 'Exit full screen') : (words.fullScreen || 'Full screen');
    full.title = title;
    full.setAttribute('aria-label', title);
    full.replaceChildren(icon(on ? 'exit' : 'full'));
    box.dataset.full = String(on);
    canvas.resized();
    canvas.zoom('fit-viewport');
  };
  const toggle = () => {
    if (document.fullscreenElement === box) { document.exitFullscreen(); return; }
    if (box.classList.contains('diagram-full')) { box.classList.remove('diagram-full'); sync(); return; }
    const fallback = () => { box.classList.add('diagram-full'); sync(); };  // no Fullscreen API: fill the window
    if (box.requestFullscreen) { box.requestFullscreen().catch(fallback); } else { fallback(); }
  };
  document.addEventListener('fullscreenchange', () => { if (document.fullscreenElement === box || box.dataset.full === 'true') { sync(); } });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && box.classList.contains('diagram-full')) { box.classList.remove('diagram-full'); sync(); }
  });
  box.appendChild(bar);
};

function showAt(canvas, elements, scale) {
  // the view centred on the elements' box at `scale` (smaller if they do not all fit)
  const left = Math.min(...elements.map((e) => e.x)), top = Math.min(...elements.map((e) => e.y));
  const right = Math.max(...elements.map((e) => e.x + e.width)), bottom = Math.max(...elements.map((e) => e.y + e.height));
  const outer = canvas.viewbox().outer;
  const fits = Math.min(outer.width / (right - left + 160), outer.height / (bottom - top + 160));
  const s = Math.min(scale, Math.max(fits, canvas.zoom()));
  const width = outer.width / s, height = outer.height / s;
  canvas.viewbox({ x: (left + right) / 2 - width / 2, y: (top + bottom) / 2 - height / 2, width, height });
}

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
      const focus = [...info.current, ...info.overdue].map((id) => registry.get(id)).filter(Boolean);
      if (focus.length && canvas.zoom() < READABLE) { showAt(canvas, focus, READABLE); }
      box.dataset.scale = canvas.zoom().toFixed(2);
      window.addZoom(box, canvas);
      box.dataset.ready = 'true';
    })
    .catch((err) => { box.textContent = String(err); box.dataset.ready = 'error'; });
}());
