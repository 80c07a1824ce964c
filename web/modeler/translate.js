// bpmn-js asks its `translate` service for every text it shows (palette, context pad, replace menu, labels, the
// properties panel); this module answers from a dictionary (the bpmn-js i18n example's customTranslate). Texts the
// dictionary lacks stay in English and are collected in the `untranslated` service, so a test can list them.

export function translateModule(dictionary) {
  const untranslated = new Set();

  function translate(template, replacements) {
    let text = template;
    if (Object.prototype.hasOwnProperty.call(dictionary, template)) {
      text = dictionary[template];
    } else {
      untranslated.add(template);
    }
    return text.replace(/{([^}]+)}/g, (whole, key) =>
      (replacements && replacements[key] !== undefined ? String(replacements[key]) : whole));
  }

  return { translate: ['value', translate], untranslated: ['value', untranslated] };
}
