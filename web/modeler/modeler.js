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

import JointReviewPanelModule from './panel';
import { translateModule } from './translate';
import zhCN from './zh-CN';

const BPMN_MODULES = [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule,
  CamundaBehaviorsModule, JointReviewPanelModule];

// The BPMN modeler's additional modules for the page's language (<html lang>): Chinese gets the dictionary.
function modules(language) {
  return String(language || '').toLowerCase().startsWith('zh') ? [...BPMN_MODULES, translateModule(zhCN)] : BPMN_MODULES;
}

window.JointReviewModeler = { BpmnModeler, DmnModeler, modules, camundaModdle };
