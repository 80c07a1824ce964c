"""The applicant portal's operations: submit an application, read its status, resubmit materials,
appeal, object to a subsidy during its public notice."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import cases, decisions, ratings, wallclock, withdrawal
from engine.errors import Conflict, InvalidInput, NotFound
from engine.models import Case, Department, ProcessDefinition, Task
from workflows.intake import INTAKES, start_data
from workflows.portal import PUBLIC

from ..context import runtime
from ..privacy import decision_view, glossary_of
from . import api
from .core import APPLICANT, APPLICANT_HEADER, Context, Reply
from .schemas import (KEY_PATTERN, Acknowledgement, Appeal, ApplicationRequest, ApplicationStatus, DecisionBasis, Materials,
                      Objection, Option, Rating, RatingReceived, Receipt, Step, Withdrawal)

PORTAL = ("portal",)
KEY = {"business_key": {"type": "string", "pattern": KEY_PATTERN, "maxLength": 64, "example": "ADM-2026-000123"}}
REPLAYED = {"Idempotent-Replayed": "`true` when this is the stored answer to an earlier request with the same "
                                   "Idempotency-Key"}
NOUNS = {"materials": "materials", "appeal": "an appeal", "objection": "an objection"}


def department_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Department.code, Department.name_zh)).all())


def _open_tasks(session: Session, case_id: int) -> list:
    return session.execute(select(Task.element_id, Task.department_code, Task.due_at).where(
        Task.case_id == case_id, Task.state == "open").order_by(Task.created_at, Task.id)).all()


def public_steps(session: Session, case: Case) -> list[Step]:
    """The case's open steps as the applicant sees them: public stages by department, earliest due
    first (internal steps such as inquiries between departments show as 部门核查)."""
    names = department_names(session)
    view = PUBLIC[case.process_key]
    stages: dict[tuple[str, str], Any] = {}
    for row in _open_tasks(session, case.id):
        key = (view.stage(row.element_id), row.department_code)
        due = stages.get(key)
        stages[key] = row.due_at if due is None or (row.due_at is not None and row.due_at < due) else due
    ordered = sorted(stages.items(), key=lambda item: (item[1] is None, item[1] or 0))
    cal = runtime().calendar
    return [Step(step=stage, department=dept, department_name=names.get(dept, dept), due_at=due,
                 due_provisional=not cal.is_confirmed(due)) for (stage, dept), due in ordered]


def _public_state(session: Session, case: Case) -> dict[str, Any]:
    """What the applicant may know of a case: stages, missing items, what it waits for and until when,
    the published results and the outcome."""
    rt = runtime()
    wf = cases.load(session, rt, case)
    data = cases.current_data(wf)
    view = PUBLIC[case.process_key]
    waiting = cases.waiting_messages(wf) if case.status == "running" else set()
    missing, missing_materials = [], []
    if view.messages.get("materials") in waiting:
        missing = list(data.get("missing_items") or [])
        have = set(data.get("materials") or [])
        missing_materials = [Option(id=code, name=name) for code, name in view.materials.items() if code not in have]
    outcome = ended = None
    if case.status == "completed":
        spec = rt.model(session, case.definition_id).spec
        reached = [e for e in case.visited.split() if e in view.outcomes]
        if reached and reached[-1] in spec.task_specs:
            ended, outcome = reached[-1], spec.task_specs[reached[-1]].bpmn_name
    actions = sorted(action for action, message in view.messages.items() if message in waiting)
    steps = public_steps(session, case)
    return dict(applicant_id=str(data.get("applicant_id") or "").upper(), missing=missing,
                missing_materials=missing_materials, outcome=outcome, results=view.published(data, ended),
                waiting=actions, steps=steps, respond_by=case.next_due_at if actions and not steps else None)


def _receipt(case: Case, state: dict[str, Any]) -> dict[str, Any]:
    return dict(business_key=case.business_key, process=case.process_key, status=case.status,
                submitted_at=case.started_at, next_steps=state["steps"], missing_items=state["missing"],
                missing_materials=state["missing_materials"], waiting_for=state["waiting"],
                respond_by=state["respond_by"], status_url=f"/api/v1/applications/{case.business_key}")


def _case(session: Session, key: str) -> Case:
    case = session.execute(select(Case).where(Case.business_key == key)).scalar_one_or_none()
    if case is None or case.process_key not in PUBLIC:
        raise NotFound(f"no application {key}")
    return case


def _applicants_case(session: Session, ctx: Context, key: str) -> tuple[Case, dict[str, Any]]:
    """The case, if it is this applicant's; otherwise the same 404 as for a key that does not exist."""
    case = _case(session, key)
    state = _public_state(session, case)
    if state["applicant_id"] != ctx.headers[APPLICANT_HEADER].upper():
        raise NotFound(f"no application {key}")
    return case, state


def _form_problems(raw: Any) -> dict[str, str]:
    """The window form's own checks (ID check digits …) on whatever text fields came, so that a
    refused application lists every problem in one answer."""
    process = raw.get("process") if isinstance(raw, dict) else None
    intake = INTAKES.get(process) if isinstance(process, str) else None
    if intake is None or intake.process not in PUBLIC:
        return {}
    texts = {k: v for k, v in raw.items() if isinstance(v, str)}
    try:
        start_data(intake, texts, [], intake.departments[0])
    except InvalidInput as exc:
        return {f: m for f, m in exc.fields.items() if f in texts}
    return {}


@api.operation("POST", "/applications", tag="applications", roles=PORTAL, body=ApplicationRequest, idempotent="required",
               also_check=_form_problems, union_tags=tuple(PUBLIC),
               summary="Submit an application",
               responses={201: (Receipt, "The case started; its first steps are with the departments (a retry with the "
                                          "same Idempotency-Key gets the first answer again)")},
               response_headers={201: {"Location": "the status URL of the new case", **REPLAYED}})
def submit(ctx: Context) -> Reply:
    """Start a case of a public process (its `process` says which) from the portal. Fields are checked as at the
    window, ID numbers by GB 11643; missing materials do not stop the submission: the case then waits
    for them and `missing_items` lists them all at once (一次性告知)."""
    application = ctx.body.root
    intake = INTAKES[application.process]
    submitted = application.model_dump(exclude={"process", "materials"}, exclude_none=True)
    data = start_data(intake, submitted, list(getattr(application, "materials", [])), intake.departments[0])
    data["channel"] = "portal"
    with ctx.write() as session:
        outcome = cases.start(session, runtime(), ctx.actor, application.process, data)
        case = session.get(Case, outcome.case_id)
        receipt = Receipt(**_receipt(case, _public_state(session, case)))
        reply = Reply(201, receipt, {"Location": receipt.status_url})
        return ctx.remember(session, reply, case.business_key)


@api.operation("GET", "/applications/{business_key}", tag="applications", roles=PORTAL, headers=(APPLICANT,),
               path_params=KEY, problems=(404,), summary="Read an application's status",
               responses={200: (ApplicationStatus, "Where the application stands")})
def status(ctx: Context, business_key: str) -> Reply:
    """Current steps with department and due date, missing items, what may be sent now, the published
    results and the outcome. Only the applicant's own case is found (by the ID number the portal
    verified); internal notes and other departments' findings are never included."""
    with runtime().db.read() as session:
        case, state = _applicants_case(session, ctx, business_key)
        names = dict(session.execute(select(ProcessDefinition.process_key, ProcessDefinition.name)
                                     .where(ProcessDefinition.id == case.definition_id)).all())
        published = bool(state["results"]) or case.status == "completed"
        basis = _basis(session, case) if published else []
        body = ApplicationStatus(**_receipt(case, state), process_name=names.get(case.process_key, ""),
                                 updated_at=case.updated_at, outcome=state["outcome"], results=state["results"],
                                 decision_basis=basis)
    return Reply(200, body)


def _basis(session: Session, case: Case) -> list[DecisionBasis]:
    """The rule decisions of the case whose basis the applicant may see (the BPMN says which), in words."""
    terms = glossary_of(case)
    out = []
    for record in decisions.of_case(session, case.id, basis="applicant"):
        view = decision_view(record, terms)
        out.append(DecisionBasis(table=view["name"], version=view["version"], content_hash=record.details.get("hash", ""),
                                 rules=view["rows"], inputs=dict(view["inputs"]), outputs=dict(view["outputs"])))
    return out


def _send(ctx: Context, business_key: str, action: str, payload: dict[str, Any], applicant: bool) -> Reply:
    with ctx.write() as session:
        if applicant:
            case, state = _applicants_case(session, ctx, business_key)
            open_now = state["waiting"]
        else:
            case = _case(session, business_key)
            open_now = None
        message = PUBLIC[case.process_key].messages.get(action)
        try:
            if message is None:
                raise Conflict(action)
            cases.send_message(session, runtime(), ctx.actor, business_key, message, payload)
        except Conflict:
            detail = f"application {business_key} does not take {NOUNS[action]} now"
            if open_now:
                detail += f"; it waits for: {', '.join(open_now)}"
            raise Conflict(detail) from None
        reply = Reply(202, Acknowledgement(business_key=business_key, received_at=wallclock.now(),
                                           received=action))
        return ctx.remember(session, reply, business_key)


@api.operation("POST", "/applications/{business_key}/materials", tag="applications", roles=PORTAL, body=Materials,
               headers=(APPLICANT,), path_params=KEY, idempotent=True, problems=(404, 409),
               summary="Resubmit missing materials",
               responses={202: (Acknowledgement, "Received; the review goes on")},
               response_headers={202: REPLAYED})
def resubmit(ctx: Context, business_key: str) -> Reply:
    """Hand in the missing materials (补正材料), with corrected phone, address or child ID if needed.
    Refused with 409 unless the case is waiting for materials."""
    payload = ctx.body.model_dump(exclude_none=True)
    if "child_id" in payload:
        payload["child_id"] = payload["child_id"].upper()
    return _send(ctx, business_key, "materials", payload, applicant=True)


@api.operation("POST", "/applications/{business_key}/appeals", tag="applications", roles=PORTAL, body=Appeal,
               headers=(APPLICANT,), path_params=KEY, idempotent=True, problems=(404, 409),
               summary="Appeal against the decision",
               responses={202: (Acknowledgement, "The appeal goes to the joint review office")},
               response_headers={202: REPLAYED})
def appeal(ctx: Context, business_key: str) -> Reply:
    """File an appeal (申诉) while the appeal window is open; 409 outside it."""
    return _send(ctx, business_key, "appeal", ctx.body.model_dump(), applicant=True)


@api.operation("POST", "/applications/{business_key}/objections", tag="applications", roles=PORTAL, body=Objection,
               path_params=KEY, idempotent=True, problems=(404, 409), summary="Object to a subsidy under public notice",
               responses={202: (Acknowledgement, "The objection is registered and the subsidy is checked again")},
               response_headers={202: REPLAYED})
def objection(ctx: Context, business_key: str) -> Reply:
    """Anyone may object (异议) to a subsidy during its public notice (公示); 409 outside the notice."""
    return _send(ctx, business_key, "objection", ctx.body.model_dump(), applicant=False)


@api.operation("POST", "/applications/{business_key}/rating", tag="applications", roles=PORTAL, body=Rating,
               headers=(APPLICANT,), path_params=KEY, idempotent=True, problems=(404, 409),
               summary="Rate a finished application",
               responses={201: (RatingReceived, "The rating is recorded")}, response_headers={201: REPLAYED})
def rate(ctx: Context, business_key: str) -> Reply:
    """The applicant rates the finished case once (好差评); 409 before it is finished or once rated. A
    rating of 1 or 2 opens a follow-up for the responsible department's supervisors."""
    with ctx.write() as session:
        _applicants_case(session, ctx, business_key)
        rated = ratings.rate(session, runtime(), ctx.actor, business_key, ctx.body.score, ctx.body.comment, "portal")
        reply = Reply(201, RatingReceived(business_key=business_key, score=rated.score,
                                          received_at=wallclock.now(), follow_up=rated.follow_up is not None))
        return ctx.remember(session, reply, business_key)


@api.operation("POST", "/applications/{business_key}/withdrawal", tag="applications", roles=PORTAL, body=Withdrawal,
               headers=(APPLICANT,), path_params=KEY, idempotent=True, problems=(404, 409),
               summary="Withdraw an application (撤回申请)",
               responses={202: (Acknowledgement, "Withdrawn; the case is closed and every open step withdrawn")},
               response_headers={202: REPLAYED})
def withdraw_application(ctx: Context, business_key: str) -> Reply:
    """The applicant withdraws the application until it is decided; 409 once it is decided or finished."""
    with ctx.write() as session:
        _applicants_case(session, ctx, business_key)
        withdrawal.withdraw_application(session, runtime(), ctx.actor, business_key, ctx.body.reason, "portal")
        reply = Reply(202, Acknowledgement(business_key=business_key, received_at=wallclock.now(),
                                           received="withdrawal"))
        return ctx.remember(session, reply, business_key)
