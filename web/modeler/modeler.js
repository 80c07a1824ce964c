// The browser modeler's libraries, bundled by esbuild in `make setup` (npm run build) into static/build/modeler.js.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule
} from 'bpmn-js-properties-panel';
import CamundaBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-platform';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';
import DmnModeler from 'dmn-js/lib/Modeler';

import FixedTextsModule from './fixed-texts';
import HitPolicyModule from './hit-policy';
import JointReviewPanelModule from './panel';
import { translateModule } from './translate';
import zhCN from './zh-CN';
import zhCNDmn from './zh-CN-dmn';

const BPMN_MODULES = [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule,
  CamundaBehaviorsModule, JointReviewPanelModule];

const DMN_VIEWS = ['drd', 'decisionTable', 'literalExpression', 'boxedExpression'];

function chinese(language) {
  return String(language || '').toLowerCase().startsWith('zh');
}

// The BPMN modeler's additional modules for the page's language (<html lang>): Chinese gets the dictionary.
function modules(language) {
  return chinese(language) ? [...BPMN_MODULES, translateModule(zhCN)] : BPMN_MODULES;
}

// The DMN modeler's options per view for the page's language: the decision table offers only the hit policies the
// engine runs; in Chinese every view gets the DMN dictionary, through one module so that all views share one
// `untranslated` set; the texts dmn-js writes without translating them are handed to it too (fixed-texts.js).
// (dmn-js drops `common.additionalModules` when it builds a view, so each view is named.)
function dmnViews(language) {
  const translation = chinese(language) ? [translateModule(zhCNDmn), FixedTextsModule] : [];
  return Object.fromEntries(DMN_VIEWS.map((view) =>
    [view, { additionalModules: view === 'decisionTable' ? [HitPolicyModule, ...translation] : translation }]));
}

window.JointReviewModeler = { BpmnModeler, DmnModeler, modules, dmnViews, camundaModdle };
