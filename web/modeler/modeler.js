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

window.JointReviewModeler = {
  BpmnModeler,
  DmnModeler,
  modules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule,
    CamundaBehaviorsModule],
  camundaModdle
};
