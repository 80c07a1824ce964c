// The rule table editor offers only the hit policies JointReview's engine runs: UNIQUE, FIRST and COLLECT without an
// aggregation (engine/lint.py refuses any other policy at deploy, and engine/decisions.py would ignore a COLLECT's
// sum, minimum, maximum or count, leaving each output a list). A file that has another keeps it shown and selected.
// dmn-js-decision-table's own EditableHitPolicy, with its list of choices filtered.
import { createVNode, createComponentVNode } from 'inferno';
import InputSelect from 'dmn-js-shared/lib/components/InputSelect';
import EditableHitPolicy from 'dmn-js-decision-table/lib/features/hit-policy/editor/components/EditableHitPolicy';
import { HIT_POLICIES } from 'dmn-js-decision-table/lib/features/hit-policy/HitPolicies';

const RUN = new Set(['UNIQUE', 'FIRST', 'COLLECT']);
const BEFORE_THE_EDITORS_OWN = 2000; // its provider registers at the default priority, 1000

function runs(entry) {
  return RUN.has(entry.value.hitPolicy) && !entry.value.aggregation;
}

class RunnableHitPolicy extends EditableHitPolicy {
  render() {
    const { aggregation, hitPolicy } = this.getRoot().businessObject;
    const current = HIT_POLICIES.find((entry) =>
      entry.value.hitPolicy === hitPolicy && entry.value.aggregation === aggregation);
    if (!current) { return super.render(); }
    const options = HIT_POLICIES.filter((entry) => runs(entry) || entry === current)
      .map((entry) => ({ ...entry, label: this._translate(entry.label) }));
    return createVNode(1, 'div', 'hit-policy', [
      createVNode(1, 'label', 'dms-label', this._translate('Hit policy:'), 0),
      createComponentVNode(2, InputSelect, {
        className: 'hit-policy-edit-policy-select', label: this._translate('Hit policy'), onChange: this.onChange,
        options, value: current.value, 'data-hit-policy': 'true', noInput: true
      })
    ], 4, { title: this._translate(current.explanation) });
  }
}

function RunnableHitPolicyProvider(components) {
  components.onGetComponent('hit-policy', BEFORE_THE_EDITORS_OWN, () => RunnableHitPolicy);
}

RunnableHitPolicyProvider.$inject = ['components'];

export default {
  __init__: ['runnableHitPolicyProvider'],
  runnableHitPolicyProvider: ['type', RunnableHitPolicyProvider]
};
