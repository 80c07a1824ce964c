// A few texts dmn-js shows without asking its `translate` service: a column's drag handle (`Move Input` /
// `Move Output`, a template string in dmn-js-decision-table's DragAndDrop.js), a list item's remove button
// (`Remove item`, dmn-js-shared's List.js: the values of a text cell's helper and of an input's predefined values),
// the table's context menu (`Decision table context menu`, an aria-label), the duration helper's `Value` heading,
// the boxed expression's `Name`, `Type`, `Result` and `Result type` headings, a formal parameter without a name
// (`<unnamed>`) and the note on a function body the editor cannot show (`Expression of type … is not supported.`,
// dmn-js-boxed-expression's ElementLogic.js). As they appear they are handed to `translate`, so they read in the
// page's language and one the dictionary lacks lands in `untranslated` like any other text.
const ATTRIBUTES = {
  title: new Set(['Move Input', 'Move Output', 'Remove item']),
  'aria-label': new Set(['Decision table context menu'])
};
// headings written as bare text: only where dmn-js puts them (a rule's cell may hold the same word as data)
const HEADINGS = [
  ['.simple-duration-edit h4.dms-heading', 'Value'],
  ['.formal-parameters th', 'Name'],
  ['.formal-parameters th', 'Type'],
  ['.element-variable > h2', 'Result'],
  ['.element-variable-type > label', 'Result type']
];
const UNNAMED = '<unnamed>'; // a parameter's name in the function's head: `<unnamed>` or `<unnamed>: number`
const PARAMETER = '.function-definition-parameters span';
const UNSUPPORTED = ['Expression of type ', ' is not supported.']; // three text nodes: before, the type, after
const UNSUPPORTED_TEMPLATE = 'Expression of type {type} is not supported.';
const SELECTOR = [...Object.keys(ATTRIBUTES).map((name) => `[${name}]`), ...HEADINGS.map(([where]) => where),
  'span'].join(','); // spans: a parameter's name, the note on a body the editor cannot show

let translate = null; // the latest view's (the views of one modeler share one dictionary): one watcher serves all

function set(write, text) {
  const said = translate(text);
  if (said !== text) { // a text left in English is not written again (that would wake the watcher without end)
    write(said);
  }
}

// only the text nodes' values change (dmn-js's renderer keeps its own references to the nodes)
function translateParts(element) {
  const nodes = element.childNodes;
  if (element.matches(PARAMETER) && nodes.length === 1 && nodes[0].nodeValue.startsWith(UNNAMED)) {
    set((said) => { nodes[0].nodeValue = said + nodes[0].nodeValue.slice(UNNAMED.length); }, UNNAMED);
  }
  if (nodes.length === 3 && nodes[0].nodeValue === UNSUPPORTED[0] && nodes[2].nodeValue === UNSUPPORTED[1]) {
    set((said) => {
      const [before, after] = said.split('{type}');
      nodes[0].nodeValue = before;
      nodes[2].nodeValue = after === undefined ? '' : after;
    }, UNSUPPORTED_TEMPLATE);
  }
}

function translateWithin(root) {
  const found = root.matches && root.matches(SELECTOR) ? [root] : [];
  found.push(...(root.querySelectorAll ? root.querySelectorAll(SELECTOR) : []));
  for (const element of found) {
    for (const [name, texts] of Object.entries(ATTRIBUTES)) {
      const value = element.getAttribute(name);
      if (texts.has(value)) {
        set((said) => element.setAttribute(name, said), value);
      }
    }
    for (const [where, text] of HEADINGS) {
      if (element.textContent === text && element.childNodes.length === 1 && element.matches(where)) {
        set((said) => { element.firstChild.nodeValue = said; }, text);
      }
    }
    if (element.tagName === 'SPAN') {
      translateParts(element);
    }
  }
}

function FixedTexts(viewTranslate) {
  const watching = translate !== null;
  translate = viewTranslate;
  if (watching) {
    return;
  }
  const observer = new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      const target = mutation.type === 'childList' ? mutation.addedNodes
        : mutation.type === 'characterData' ? [mutation.target.parentElement] : [mutation.target];
      target.forEach((node) => node && translateWithin(node));
    }
  });
  // characterData: dmn-js rewrites a text node in place when its value changes (a parameter's name cleared again)
  observer.observe(document.body, {
    childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: Object.keys(ATTRIBUTES)
  });
  translateWithin(document.body);
}

FixedTexts.$inject = ['translate'];

export default { __init__: ['jrFixedTexts'], jrFixedTexts: ['type', FixedTexts] };
