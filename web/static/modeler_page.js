// The browser modeler page: bpmn-js with the properties panel (Camunda moddle) and dmn-js, from the bundle built in
// `make setup`; the validator's problems are marked on the diagram while the designer works; drafts are saved on
// the server; lanes take a department of the directory; deploying needs a note.
(function () {
  const tools = document.getElementById('modeler-tools');
  if (!tools || !window.JointReviewModeler) { return; }
  const lib = window.JointReviewModeler;
  const words = JSON.parse(tools.dataset.words);
  const departments = JSON.parse(tools.dataset.departments);
  const csrf = tools.dataset.csrf;
  const canvasBox = document.getElementById('canvas');
  const propertiesBox = document.getElementById('properties');
  const nameInput = document.getElementById('file-name');
  const problemList = document.getElementById('problems');
  const problemCount = document.getElementById('problem-count');
  const laneTools = document.getElementById('lane-tools');
  const laneSelect = document.getElementById('lane-department');
  let editor = null;
  let kind = 'bpmn';
  let timer = null;
  let marked = [];
  let base = null; // the process version a deployed file was opened from: its other files go along

  const NEW_BPMN = '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" ' +
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs_new" ' +
    'targetNamespace="https://jointreview.example/bpmn"><bpmn:process id="new_process" name="新流程" isExecutable="true">' +
    '<bpmn:startEvent id="start" name="开始" /></bpmn:process><bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" ' +
    'bpmnElement="new_process"><bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="180" y="160" width="36" height="36" />' +
    '</bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>';
  const NEW_DMN = '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs_rules" name="新规则表" namespace="https://jointreview.example/dmn">' +
    '<decision id="new_rules" name="新规则表"><decisionTable id="table_new_rules" hitPolicy="FIRST">' +
    '<input id="in1" label="输入"><inputExpression id="in1_expr" typeRef="string"><text>value</text></inputExpression></input>' +
    '<output id="out1" label="结果" name="result" typeRef="string" />' +
    '<rule id="r1"><inputEntry id="r1_i1"><text>-</text></inputEntry><outputEntry id="r1_o1"><text>"默认"</text></outputEntry></rule>' +
    '</decisionTable></decision></definitions>';

  function post(url, body) {
    return fetch(url, { method: 'POST', credentials: 'same-origin', body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf } });
  }

  async function currentXml() {
    const { xml } = await editor.saveXML({ format: true });
    return xml;
  }

  function files(xml) { const out = {}; out[nameInput.value.trim()] = xml; return out; }

  function showProblems(problems) {
    problemList.textContent = '';
    if (kind === 'bpmn' && editor) {
      const canvas = editor.get('canvas');
      marked.forEach((id) => { try { canvas.removeMarker(id, 'jr-problem'); } catch (e) { /* gone */ } });
      marked = [];
      const registry = editor.get('elementRegistry');
      problems.forEach((p) => { if (p.element && registry.get(p.element)) { canvas.addMarker(p.element, 'jr-problem'); marked.push(p.element); } });
    }
    problems.forEach((p) => {
      const li = document.createElement('li');
      li.textContent = (p.element ? p.element + words.colon : '') + p.message;
      li.dataset.element = p.element || '';
      problemList.appendChild(li);
    });
    problemCount.textContent = problems.length ? String(problems.length) : words.valid;
    problemCount.className = problems.length ? 'tag escalated' : 'tag';
    document.body.dataset.checked = String(Date.now());
  }

  async function check() {
    const xml = await currentXml();
    const answer = await post(tools.dataset.check, { files: files(xml), base: base });
    if (answer.ok) { showProblems((await answer.json()).problems); }
  }

  function changed() { clearTimeout(timer); timer = setTimeout(check, 400); }

  function laneChoices(element) {
    const isLane = element && (element.type === 'bpmn:Lane' || element.type === 'bpmn:Participant');
    laneTools.hidden = !isLane;
    if (!isLane) { return; }
    laneSelect.textContent = '';
    const none = document.createElement('option'); none.value = ''; none.textContent = words.choose; laneSelect.appendChild(none);
    departments.forEach(([code, zh, en]) => {
      const option = document.createElement('option');
      option.value = zh; option.textContent = zh + '（' + code + '）';
      if (element.businessObject.name === zh || element.businessObject.name === code || element.businessObject.name === en) { option.selected = true; }
      laneSelect.appendChild(option);
    });
    laneSelect.onchange = () => { if (laneSelect.value) { editor.get('modeling').updateLabel(element, laneSelect.value); } };
  }

  async function open(xml, name) {
    if (editor) { editor.destroy(); }
    canvasBox.textContent = ''; propertiesBox.textContent = '';
    kind = name.endsWith('.dmn') ? 'dmn' : 'bpmn';
    nameInput.value = name;
    if (kind === 'bpmn') {
      editor = new lib.BpmnModeler({ container: canvasBox, propertiesPanel: { parent: propertiesBox },
        additionalModules: lib.modules(document.documentElement.lang), moddleExtensions: { camunda: lib.camundaModdle } });
      await editor.importXML(xml);
      editor.get('canvas').zoom('fit-viewport');
      editor.on('commandStack.changed', changed);
      editor.on('selection.changed', (event) => laneChoices(event.newSelection[0]));
    } else {
      editor = new lib.DmnModeler({ container: canvasBox, common: { keyboard: { bindTo: window } },
        ...lib.dmnViews(document.documentElement.lang) });
      await editor.importXML(xml);
      const view = editor.getViews().find((v) => v.type === 'decisionTable');
      if (view) { await editor.open(view); }
      editor.on('views.changed', changed);
      editor.on('elements.changed', changed);
    }
    window.jrModeler = editor;
    canvasBox.dataset.ready = kind;
    check();
  }

  document.getElementById('new-bpmn').onclick = () => { base = null; open(NEW_BPMN, 'new_process.bpmn'); };
  document.getElementById('new-dmn').onclick = () => { base = null; open(NEW_DMN, 'new_rules.dmn'); };
  document.getElementById('open-file').onchange = async (event) => {
    const value = event.target.value;
    if (!value) { return; }
    let url;
    let name;
    if (value.startsWith('draft:')) { base = null; name = value.slice(6); url = tools.dataset.drafts.replace(/\/modeler$/, '/drafts/') + encodeURIComponent(name); }
    else { const [, id, file] = value.split(':'); base = Number(id); name = file; url = '/designer/versions/' + id + '/files/' + encodeURIComponent(file); }
    const answer = await fetch(url, { credentials: 'same-origin' });
    if (answer.ok) { open(await answer.text(), name); }
  };
  document.getElementById('save-draft').onclick = async () => {
    const answer = await post(tools.dataset.save, { files: files(await currentXml()) });
    const body = await answer.json();
    document.getElementById('deploy-result').textContent = answer.ok ? words.saved : body.error;
  };
  document.getElementById('deploy-files').onclick = async () => {
    const result = document.getElementById('deploy-result');
    result.textContent = ''; result.className = '';
    const answer = await post(tools.dataset.deploy, { files: files(await currentXml()), base: base,
      note: document.getElementById('deploy-note').value, effective: document.getElementById('deploy-effective').value });
    const body = await answer.json();
    if (!answer.ok) {
      result.textContent = body.error; result.className = 'flash error';
      if (body.problems) { showProblems(body.problems); }
      return;
    }
    const named = (list) => list.map((d) => d.label).join(words.separator);
    const created = body.deployed.filter((d) => d.created);
    const unchanged = body.deployed.filter((d) => !d.created);
    const parts = [];
    if (created.length) { parts.push(words.deployed + words.colon + named(created)); }
    if (unchanged.length && (created.length || body.proposed.length)) { parts.push(words.unchanged + words.colon + named(unchanged)); }
    body.proposed.forEach((p) => parts.push(p.text));  // worded by the server: the table by its name, 第2版
    result.className = created.length || body.proposed.length ? 'flash success' : 'flash warning';
    result.textContent = parts.length ? parts.join(words.semicolon) : words.nothing;
  };
  open(NEW_BPMN, 'new_process.bpmn');
}());
