// The properties panel without what JointReview's engine never reads. The engine (SpiffWorkflow's Camunda parser
// plus engine/definitions.py, lint.py, forms.py, translations.py) reads: extension properties, form fields
// (camunda:formData), candidate groups, due and follow-up dates and priority of user tasks, the topic of service
// tasks, the decision of business rule tasks, scripts, conditions, timers, messages, called elements, multi-instance
// collections and element variables, error and escalation codes. Listeners, asynchronous continuations, jobs,
// input/output and in/out mappings, connectors, field injections, history cleanup, tasklist and starter settings,
// assignees, candidate users, version tags, decision bindings and result variables would be saved in the file and
// silently ignored, so they are left out (the choices of the type selects that the engine cannot run, such as a Java
// class, are hidden in app.css).
// Each group also gets the modeler's `translate` service: bpmn-js-properties-panel does not hand it to the panel's
// own components (list items, "<empty>", "Create", section toggles), which would stay in English otherwise.

const IGNORED_GROUPS = new Set([
  'CamundaPlatform__AsynchronousContinuations', 'CamundaPlatform__BusinessKey', 'CamundaPlatform__CandidateStarter',
  'CamundaPlatform__ConnectorInput', 'CamundaPlatform__ConnectorOutput', 'CamundaPlatform__Errors',
  'CamundaPlatform__ExecutionListener', 'CamundaPlatform__ExternalTask', 'CamundaPlatform__FieldInjection',
  'CamundaPlatform__HistoryCleanup', 'CamundaPlatform__InMapping', 'CamundaPlatform__InMappingPropagation',
  'CamundaPlatform__Input', 'CamundaPlatform__JobExecution', 'CamundaPlatform__OutMapping',
  'CamundaPlatform__OutMappingPropagation', 'CamundaPlatform__Output', 'CamundaPlatform__ProcessVariables',
  'CamundaPlatform__StartInitiator', 'CamundaPlatform__TaskListener', 'CamundaPlatform__Tasklist'
]);

const IGNORED_ENTRIES = new Set([
  'versionTag', 'assignee', 'candidateUsers',
  'multiInstanceAsynchronousBefore', 'multiInstanceAsynchronousAfter', 'multiInstanceExclusive',
  'multiInstanceRetryTimeCycle',
  'errorMessage', 'errorCodeVariable', 'errorMessageVariable', 'escalationCodeVariable',
  'calledElementBinding', 'calledElementVersion', 'calledElementVersionTag', 'calledElementTenantId',
  'calledElementBusinessKey', 'calledElementBusinessKeyExpression', 'calledElementDelegateVariableMappingType',
  'calledElementVariableMappingClass', 'calledElementVariableMappingDelegateExpression',
  'decisionRefBinding', 'decisionRefVersion', 'decisionRefVersionTag', 'decisionRefTenantId',
  'decisionRefResultVariable', 'mapDecisionResult', 'scriptResultVariable'
]);

const AFTER_EVERY_OTHER_PROVIDER = 100; // the Camunda provider registers at 500; lower priorities run later

function kept(group) {
  return !IGNORED_GROUPS.has(group.id);
}

function JointReviewPropertiesProvider(propertiesPanel, translate) {
  propertiesPanel.registerProvider(AFTER_EVERY_OTHER_PROVIDER, this);
  this._translate = translate;
}

JointReviewPropertiesProvider.$inject = ['propertiesPanel', 'translate'];

JointReviewPropertiesProvider.prototype.getGroups = function () {
  const translate = this._translate;
  return (groups) => groups.filter(kept).map((group) => {
    if (!Array.isArray(group.entries)) { return { ...group, translate }; }
    return { ...group, translate, entries: group.entries.filter((entry) => !IGNORED_ENTRIES.has(entry.id)) };
  }).filter((group) => !Array.isArray(group.entries) || group.entries.length > 0);
};

export default {
  __init__: ['jointReviewPropertiesProvider'],
  jointReviewPropertiesProvider: ['type', JointReviewPropertiesProvider]
};
