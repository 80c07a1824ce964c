"""Moving running cases to a newer version of their process.

A dry run (`plan`) says for each running case on an older version whether it can move and, if not, why: a step it
waits at does not exist in the new version, a called process it is inside is gone, or the form of a step it
waits at in the new version shows a field the case data lacks. A designer may map renamed steps (old id → new id).
`migrate` moves every case that can (or the ones named), one transaction and one audit entry (`case_migrated`)
each; a moved case then runs to its end on the new version. The steps it waits at stay as they are (the same
inbox rows, claims and due dates); what lies ahead follows the new version.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from SpiffWorkflow.util.task import TaskState

from . import sql
from .cases import CaseRef
from .errors import EngineError, InvalidInput, NotFound, StepName
from .forms import fields_of
from .models import Case, ProcessDefinition, Task
from .repository import latest
from .routing import Actor
from .steps import advance, current_data, open_case

_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
MESSAGES = {  # why a case cannot move, by code (the web layer says them in the user's language)
    "migrate_in_called": "it is inside the called process {process}, which version {version} does not have",
    "migrate_step_missing": "its current step “{step}” ({element}) does not exist in version {version}; map it to a "
                            "step of that version",
    "migrate_field_missing": "the step “{step}” of version {version} shows the field “{label}” ({field}), which the "
                             "case data lacks",
    "migrate_changed": "the case changed meanwhile; run the dry run again",
    "migrate_failed": "it could not run on the new version: {error}",
}
Reason = tuple[str, dict]


def _reason(code: str, **params) -> Reason:
    return code, params


def text(reason: Reason) -> str:
    code, params = reason
    return MESSAGES[code].format(**params)


def parse_mapping(items: list[str] | None) -> dict[str, str]:
    """Renamed steps written OLD=NEW (a list, each item possibly comma separated) as {"OLD": "NEW"}."""
    out = {}
    for item in (part.strip() for chunk in items or [] for part in chunk.split(",")):
        if not item:
            continue
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise InvalidInput(f"mapping {item!r}: expected OLD_STEP=NEW_STEP (element ids)")
        out[old.strip()] = new.strip()
    return out


@dataclass
class Check:
    """Whether one case can move, and why not."""

    business_key: str
    case_id: int
    version: int
    steps: list[str]
    codes: list[Reason] = field(default_factory=list)

    @property
    def movable(self) -> bool:
        return not self.codes

    @property
    def reasons(self) -> list[str]:
        return [text(r) for r in self.codes]


def _mapping_problems(mapping: dict[str, str], model) -> list[str]:
    known = {name for spec in [model.spec, *model.subprocess_specs.values()] for name in spec.task_specs}
    return [f"the step {new!r} that {old!r} is mapped to is not in the new version" for old, new in sorted(mapping.items())
            if new not in known]


def _live(wf) -> list:
    return [t for t in wf.get_tasks(state=_LIVE) if not t.task_spec.name.startswith(("Start", "End", "Root"))
            and getattr(t.task_spec, "bpmn_id", None)]


def check(wf, model, version: int, mapping: dict[str, str], data: dict,
          definition_id: int | None = None) -> tuple[list[str], list[Reason]]:
    """(the steps the case waits at, why it cannot move to `model`); a step is named by what identifies it (in the
    case's version, `definition_id`, for one the new version lacks)."""
    steps, reasons = [], []
    for task in _live(wf):
        old = task.task_spec.bpmn_id
        spec_name = task.workflow.spec.name
        steps.append(task.task_spec.bpmn_name or old)
        target = model.spec if spec_name == model.spec.name else model.subprocess_specs.get(spec_name)
        if target is None:
            reasons.append(_reason("migrate_in_called", process=spec_name, version=version))
            continue
        new = mapping.get(old, old)
        new_spec = target.task_specs.get(new)
        if new_spec is None:
            reasons.append(_reason("migrate_step_missing", element=old, version=version,
                                   step=StepName(task.task_spec.bpmn_name or old, spec_name, old, definition_id)))
            continue
        for form_field in fields_of(new_spec):
            if form_field.readonly and form_field.id not in data:
                step = StepName(new_spec.bpmn_name or new, spec_name, new)
                reasons.append(_reason("migrate_field_missing", step=step, version=version, label=form_field.label,
                                       field=form_field.id))
    return steps, reasons


def _target(session: Session, process_key: str, version: int | None) -> ProcessDefinition:
    if version is None:
        return latest(session, process_key)
    found = session.execute(select(ProcessDefinition).where(ProcessDefinition.process_key == process_key,
                                                            ProcessDefinition.version == version)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"process {process_key!r} has no version {version}")
    return found


def plan(session: Session, rt, process_key: str, mapping: dict[str, str] | None = None,
         version: int | None = None) -> tuple[ProcessDefinition, list[Check]]:
    """The dry run: every running case of the process on another version, whether it can move and why not."""
    mapping = dict(mapping or {})
    target = _target(session, process_key, version)
    model = rt.model(session, target.id)
    problems = _mapping_problems(mapping, model)
    if problems:
        raise InvalidInput("; ".join(problems), {"mapping": problems[0]})
    versions = dict(session.execute(select(ProcessDefinition.id, ProcessDefinition.version)
                                    .where(ProcessDefinition.process_key == process_key)).all())
    older = [i for i, v in versions.items() if v < target.version]  # a case never moves back to an older version
    out = []
    for case in session.execute(select(Case).where(Case.process_key == process_key, Case.status == "running",
                                                   Case.definition_id.in_(older)).order_by(Case.id)).scalars():
        _, _, wf = open_case(session, rt, Actor.system("migration"), case)
        steps, reasons = check(wf, model, target.version, mapping, current_data(wf), case.definition_id)
        out.append(Check(case.business_key, case.id, versions.get(case.definition_id, 0), steps, reasons))
    return target, out


@dataclass(frozen=True)
class Moved:
    business_key: str
    moved: bool
    codes: list[Reason]

    @property
    def reasons(self) -> list[str]:
        return [text(r) for r in self.codes]


def migrate(rt, actor: Actor, process_key: str, mapping: dict[str, str] | None = None, version: int | None = None,
            keys: list[str] | None = None) -> list[Moved]:
    """Move the running cases that can move (only `keys` when given), one transaction and audit entry each."""
    mapping = dict(mapping or {})
    with rt.db.read() as session:
        target, checks = plan(session, rt, process_key, mapping, version)
    wanted = set(keys or [])
    unknown = wanted - {c.business_key for c in checks}
    if unknown:
        raise NotFound(f"no running case of {process_key} on another version: {', '.join(sorted(unknown))}")
    out = []
    for item in checks:
        if wanted and item.business_key not in wanted:
            continue
        if not item.movable:
            out.append(Moved(item.business_key, False, item.codes))
            continue
        try:
            out.append(_move(rt, actor, item, target, mapping))
        except EngineError as exc:  # this case stays as it was (its transaction rolled back); the others go on
            out.append(Moved(item.business_key, False, [_reason("migrate_failed", error=exc.message)]))
    return out


def _move(rt, actor: Actor, item: Check, target: ProcessDefinition, mapping: dict[str, str]) -> Moved:
    with rt.db.write() as session:
        row = sql.execute(session, "case_by_id", {"id": item.case_id}, lock=True).first()
        case = CaseRef(*row) if row is not None else None
        if case is None or case.status != "running" or case.definition_id == target.id:
            return Moved(item.business_key, False, [_reason("migrate_changed")])
        old, op, wf = open_case(session, rt, actor, case)
        model = rt.model(session, target.id)
        steps, reasons = check(wf, model, target.version, mapping, current_data(wf), case.definition_id)
        if reasons:
            return Moved(item.business_key, False, reasons)
        old_version = item.version

        def move() -> None:
            _apply(wf, model, mapping)

        op.record("case_migrated", {"from_version": old_version, "to_version": target.version,
                                    "mapping": mapping, "steps": steps})
        outcome = advance(op, wf, model, case.version, move)
        session.execute(update(Case).where(Case.id == case.id).values(definition_id=target.id),
                        execution_options={"synchronize_session": False})
        names = {eid: info.name for (_, eid), info in model.user_tasks.items()}
        for task_id, eid in session.execute(select(Task.id, Task.element_id).where(Task.case_id == case.id,
                                                                                  Task.state == "open")).all():
            new = mapping.get(eid, eid)
            if new in names:  # a renamed or relabelled step keeps its inbox row, claim and due date
                session.execute(update(Task).where(Task.id == task_id).values(element_id=new, name=names[new]),
                                execution_options={"synchronize_session": False})
        if outcome.error:  # rolled back with the transaction: the case stays on its version
            raise EngineError(outcome.error)
        return Moved(item.business_key, True, [])


def _apply(wf, model, mapping: dict[str, str]) -> None:
    """Point the workflow and its called processes at the new version's specs (renamed steps mapped)."""
    for workflow, new_spec in [(wf, model.spec), *((sp, model.subprocess_specs.get(sp.spec.name))
                                                   for sp in wf.subprocesses.values())]:
        if new_spec is None:
            continue
        alignment = _alignment(workflow.spec, new_spec, mapping)
        workflow.spec = new_spec
        for task in workflow.tasks.values():  # what SpiffWorkflow's migrate_workflow does, without resetting the
            if alignment.get(task.task_spec) is not None:  # waiting timers (their due moments stay)
                task.task_spec = alignment[task.task_spec]
        _repredict(workflow)
        if getattr(workflow, "last_task", None) is not None and workflow.last_task.id not in workflow.tasks:
            workflow.last_task = None


def _alignment(old_spec, new_spec, mapping: dict[str, str]) -> dict:
    """Which new step each old one becomes: the same id, or the mapped one (SpiffWorkflow's SpecDiff walks from the
    start and stops at a step that is gone, and compares specs through a serializer our task types are not in)."""
    return {spec: new_spec.task_specs.get(mapping.get(getattr(spec, "bpmn_id", None) or "", name))
            for name, spec in old_spec.task_specs.items()}


def _repredict(workflow) -> None:
    """Drop what was predicted after each live step under the old version and predict it again under the new one
    (the live steps themselves, their data and their inbox rows stay)."""
    ahead = TaskState.PREDICTED_MASK | TaskState.FUTURE
    for task in workflow.get_tasks(state=_LIVE, skip_subprocesses=True):
        for child in list(task.children):
            if child.has_state(ahead) and not child.triggered and child.id in workflow.tasks:
                workflow._remove_task(child.id)
        task.task_spec._predict_hook(task)
        for child in task.children:
            if child.has_state(ahead):
                child.task_spec._predict(child, mask=ahead)
