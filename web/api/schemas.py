"""Request and response bodies of the API (pydantic). The OpenAPI document's schemas are generated
from these classes, and the application forms are generated from the same intake definitions the
window-intake pages use, so the contract and the validation cannot disagree."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, RootModel, create_model, field_validator, model_validator

from engine.forms import FormField
from engine.tokens import ROLES
from workflows.checks import MATERIALS
from workflows.intake import INTAKES
from workflows.portal import PUBLIC

from .queries import AuditQuery, CaseQuery, ExportQuery, PageQuery, TaskQuery  # noqa: F401 - part of this module's API

KEY_PATTERN = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"
TASK_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
DEPT_PATTERN = r"^[A-Z][A-Z0-9_]{1,15}$"
Text = Annotated[str, Field(max_length=2000)]
MaterialCode = Literal[tuple(MATERIALS)]  # type: ignore[valid-type]


class Body(BaseModel):
    """A request body: unknown fields are refused, so a typo is never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """A response body: every moment is given in UTC (`Z`)."""

    model_config = ConfigDict(from_attributes=True)

    @field_validator("*", mode="after")
    @classmethod
    def _utc(cls, value: Any) -> Any:
        return value.astimezone(timezone.utc) if isinstance(value, datetime) and value.tzinfo else value


class Option(Out):
    id: str
    name: str


# --- applications (portal) ------------------------------------------------------------------------

def _schema_pattern(pattern: str) -> str:
    """The same rule for JSON Schema (ECMA) and for us: ASCII digits only, the whole value."""
    pattern = re.sub(r"\[[^\]]*\]", lambda m: m.group(0).replace(r"\d", "0-9"), pattern)
    return "^(?:" + pattern.replace(r"\d", "[0-9]") + ")$"


def _field(f: FormField) -> tuple[Any, Any]:
    """A pydantic field for an intake form field, with the form's constraints."""
    c = f.constraints
    rules: dict[str, Any] = {"description": f.label}
    if f.type == "enum":
        kind: Any = Literal[tuple(o for o, _ in f.options)]
        rules["description"] = f.label + "：" + "，".join(f"{o}={n}" for o, n in f.options if o != n) \
            if any(o != n for o, n in f.options) else f.label
    elif f.type in ("double", "long"):
        kind = float if f.type == "double" else int
        rules.update({k: kind(c[name]) for k, name in (("ge", "min"), ("le", "max")) if name in c})
    else:
        kind = str
        if "pattern" in c:
            rules["pattern"] = _schema_pattern(c["pattern"])
        if "maxlength" in c:
            rules["max_length"] = int(c["maxlength"])
        if f.required:
            rules["min_length"] = 1
    if f.required:
        return kind, Field(**rules)
    return kind | None, Field(default=None, **rules)


def _application(process: str) -> type[Body]:
    """The API schema of a public process's application: its intake's fields, checked as at the window."""
    intake, view = INTAKES[process], PUBLIC[process]
    fields: dict[str, Any] = {"process": (Literal[process], Field(description="which application this is"))}
    for f in intake.fields:
        fields[f.id] = _field(f)
    if intake.materials:
        fields["materials"] = (list[MaterialCode], Field(default_factory=list, max_length=len(MATERIALS),
                                                         description="the materials handed in: " + "，".join(
                                                             f"{k}={v}" for k, v in MATERIALS.items())))
    model = create_model(view.schema_name or f"Application_{process}", __base__=Body, **fields)
    model.__doc__ = f"{intake.title}（{process}）"
    model.model_config["json_schema_extra"] = {"examples": [{"process": process, **view.example}]}
    model.model_rebuild(force=True)
    return model


APPLICATIONS = tuple(_application(process) for process in PUBLIC if process in INTAKES)


class ApplicationRequest(RootModel[Annotated[Union[APPLICATIONS], Field(discriminator="process")]]):  # type: ignore[valid-type]
    """An application from the portal to one of the public processes (its `process` says which)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"process": process, **view.example}
                                                              for process, view in PUBLIC.items() if view.example]})


PROVISIONAL = ("the due date lies in a year whose official holidays are not confirmed yet (the State Council's notice "
               "comes in November); it moves when the notice is imported")


class Step(Out):
    """A step of the case that is open now: where it is and by when it is due."""

    step: str = Field(description="the stage the case is in (for department systems: the step's name)")
    department: str = Field(description="department code")
    department_name: str
    due_at: datetime | None = Field(description="when the step is due (working days, China's calendar)")
    due_provisional: bool = Field(False, description=PROVISIONAL)


STEP_EXAMPLE = {"step": "部门联合核验", "department": "EDU", "department_name": "教育局", "due_at": "2026-11-27T01:00:00Z"}
RECEIPT_EXAMPLE = {"business_key": "ADM-2026-000123", "process": "admission_review", "status": "running",
                   "submitted_at": "2026-11-23T02:15:00Z", "next_steps": [STEP_EXAMPLE], "missing_items": [],
                   "missing_materials": [], "waiting_for": [], "respond_by": None,
                   "status_url": "/api/v1/applications/ADM-2026-000123"}


class Receipt(Out):
    """What the portal gets back for a submission."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [RECEIPT_EXAMPLE]})

    business_key: str = Field(examples=["ADM-2026-000123"])
    process: str
    status: Literal["running", "completed", "stuck", "failed"]
    submitted_at: datetime
    next_steps: list[Step] = Field(description="the stages open now, by department, with their due dates")
    missing_items: list[str] = Field(description="everything the applicant still has to hand in or correct, "
                                                 "listed at once (一次性告知)")
    missing_materials: list[Option] = Field(description="the missing materials as codes for `/materials`")
    waiting_for: list[Literal["materials", "appeal", "objection"]] = Field(
        description="what the applicant (appeal, materials) or the public (objection) may send now")
    respond_by: datetime | None = Field(description="until when `waiting_for` may be sent; after it the case "
                                                    "moves on without it")
    status_url: str


class DecisionBasis(Out):
    """The basis of a rule decision in the applicant's case: the table and version, the rows and the inputs."""

    table: str = Field(description="the rule table's name")
    version: int | None = Field(description="the table's version the case was decided under")
    content_hash: str = Field(description="SHA-256 of the table's file as deployed")
    rules: list[int] = Field(description="the numbers of the table's rows that matched")
    inputs: dict[str, str] = Field(description="the inputs as the table saw them, by label")
    outputs: dict[str, str] = Field(description="what it decided, by label")


class ApplicationStatus(Receipt):
    """An applicant's view of their case: no internal notes, no other departments' findings."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        **RECEIPT_EXAMPLE, "status": "completed", "next_steps": [], "process_name": "积分入学联审",
        "updated_at": "2026-12-20T06:00:00Z", "outcome": "审定结果生效",
        "results": {"总积分": "132", "审定结果": "录取", "审定理由": "积分达到录取线", "安排学校": "文三街小学"}}]})

    process_name: str
    updated_at: datetime
    outcome: str | None = Field(description="how the case ended, once it has")
    results: dict[str, str] = Field(description="the published results (decision, school, amount …)")
    decision_basis: list[DecisionBasis] = Field(default_factory=list, description="the rule decisions behind the "
                                                "result, once the case has ended")


class Materials(Body):
    """Resubmitted materials (补正材料) and corrections to the application: at least one of them."""

    materials: list[MaterialCode] = Field(default_factory=list, max_length=len(MATERIALS))  # type: ignore[valid-type]
    phone: str | None = Field(default=None, pattern=_schema_pattern(r"1\d{10}"))
    address: str | None = Field(default=None, min_length=1, max_length=100)
    child_id: str | None = Field(default=None, pattern=_schema_pattern(r"\d{17}[\dXx]"))
    bank_account: str | None = Field(default=None, pattern=_schema_pattern(r"\d{12,30}"))
    note: str | None = Field(default=None, min_length=1, max_length=1000, description="what was corrected (补正说明)")
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"materials": ["housing", "vaccination"], "phone": "13800138000"},
                     {"note": "已补交失业登记证明原件", "bank_account": "6222021202009876543"}]})

    @model_validator(mode="after")
    def _something(self) -> "Materials":
        if not (self.materials or self.phone or self.address or self.child_id or self.bank_account or self.note):
            raise ValueError("send the materials or corrections the notice asked for (materials, note, …)")
        return self


class Appeal(Body):
    """An applicant's appeal (申诉) against the published decision."""

    reason: str = Field(min_length=1, max_length=2000)
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "社保缴费月数少算了 6 个月"}]})


class Withdrawal(Body):
    """An applicant's withdrawal (撤回申请) of an application that is not decided yet."""

    reason: str = Field(min_length=1, max_length=500)
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "孩子已在户籍地入学"}]})


class Objection(Body):
    """An objection (异议) to a subsidy during its public notice, from anyone who knows something."""

    reason: str = Field(min_length=1, max_length=2000)
    objector_name: str = Field(min_length=1, max_length=20)
    objector_phone: str = Field(pattern=_schema_pattern(r"1\d{10}"))
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"reason": "申请人仍在经营个体户", "objector_name": "王强", "objector_phone": "13700137000"}]})


class Acknowledgement(Out):
    business_key: str
    received_at: datetime
    received: Literal["materials", "appeal", "objection", "withdrawal"]


class Rating(Body):
    """The applicant's one rating (好差评) of a finished case: 1 (very dissatisfied) to 5 (very satisfied)."""

    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=500)
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"score": 5, "comment": "办事效率高"}]})


class RatingReceived(Out):
    business_key: str
    score: int
    received_at: datetime
    follow_up: bool = Field(description="true when a bad rating (1 or 2) opened a follow-up by the department")


# --- department work ------------------------------------------------------------------------------

class TaskSummary(Out):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        "id": "0b7e5a52-6f0e-4f57-a9c4-4d1b9c2f8e11", "name": "居住证核验（人工）", "element_id": "review_psb",
        "process": "admission_review", "business_key": "ADM-2026-000123", "department": "PSB", "role": "reviewer",
        "assignee": None, "created_at": "2026-11-23T02:15:00Z", "due_at": "2026-11-26T02:15:00Z", "escalated": False}]})
    id: str
    name: str
    element_id: str
    process: str
    business_key: str
    department: str
    role: Literal["reviewer", "supervisor", "head"]
    assignee: str | None
    created_at: datetime
    due_at: datetime | None
    due_provisional: bool = Field(False, description=PROVISIONAL)
    escalated: bool
    with_signer: str | None = Field(None, description="前加签: the signer the holder added before themselves, who has "
                                    "the step until they sign it and it comes back")
    own_answer: bool = Field(False, description="委派 four-eyes: the step holds this token's user's own answer as a "
                             "delegate, to confirm; someone else must claim and complete it (refused: 403, own_answer)")
    delegate: str | None = Field(None, description="view=delegated: the colleague the step is out with (委派), or who "
                                 "answered it; none while it waits in the department queue")
    delegate_done: bool | None = Field(None, description="view=delegated: the delegate's answer came back for you to "
                                       "confirm (委派办结待确认)")
    delegated_since: datetime | None = Field(None, description="view=delegated: since when the delegate has the step, "
                                             "or since their answer came back")


class FormFieldOut(Out):
    id: str
    label: str
    type: str
    required: bool
    readonly: bool
    default: Any = None
    options: list[Option] = Field(description="an enum's values; a yes/no field's answers (true / false) when the "
                                              "process names them (e.g. 通过 / 不通过)")
    constraints: dict[str, str] = Field(description="required, readonly (value \"true\"), minlength, maxlength, "
                                                    "pattern, min, max (as written in the BPMN)")


class DataItem(Out):
    key: str
    label: str = Field(description="the field's name in the process (its BPMN form or `data:` declaration)")
    value: Any
    masked: bool
    department: str | None = Field(None, description="the department whose step recorded it")


class TaskDetail(TaskSummary):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        **TaskSummary.model_config["json_schema_extra"]["examples"][0], "state": "open",
        "form": [{"id": "onsite_ok", "label": "实地核查结论", "type": "boolean", "required": True, "readonly": False,
                  "default": None, "options": [{"id": "true", "name": "属实"}, {"id": "false", "name": "不属实"}],
                  "constraints": {"required": "true"}}],
        "data": [{"key": "applicant_name", "label": "申请人", "value": "张伟", "masked": False},
                 {"key": "applicant_id", "label": "申请人身份证号", "value": "110105********0030", "masked": True}]}]})
    state: Literal["open", "completed", "cancelled"]
    form: list[FormFieldOut] = Field(description="the fields to submit (empty once the task is done)")
    data: list[DataItem] = Field(description="case data this department may see; personal data masked for reviewers")


class Completion(Body):
    """The form values, by field id (see the task's `form`)."""

    values: dict[str, Annotated[Union[str, int, float, bool, None], Field()]] = Field(max_length=100)
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"values": {"psb_ok": True, "residence_years": 4, "psb_finding": "居住证有效"}}]})


class OpenedTask(Step):
    task_id: str


class CompletionResult(Out):
    task_id: str
    business_key: str
    case_status: Literal["running", "completed", "stuck", "failed"]
    error: str | None
    opened: list[OpenedTask]
    held_for: Literal["signature", "confirmation"] | None = Field(
        default=None, description="the step is not done yet: it waits for added signers (加签) or for the delegator "
                                  "to confirm (委派)")


class InquiryRequest(Body):
    """A formal inquiry (部门函询) from the token's department to another department."""

    target_department: str = Field(pattern=DEPT_PATTERN)
    inquiry_subject: str = Field(min_length=1, max_length=100)
    questions: str = Field(min_length=1, max_length=2000)
    reply_days: int = Field(default=5, ge=1, le=20, description="working days to answer")
    case_ref: str = Field(pattern=KEY_PATTERN, max_length=64,
                          description="the business key of the existing case this is about (required)")
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "target_department": "HUD", "inquiry_subject": "租赁备案情况核实", "questions": "请核实申请人 2024 年起的租赁备案记录。",
        "reply_days": 5, "case_ref": "ADM-2026-000123"}]})


class InquiryAnswer(Body):
    answer: str = Field(min_length=1, max_length=4000)
    evidence: str | None = Field(default=None, max_length=1000)
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "answer": "经核实，申请人自 2024 年 3 月起有租赁备案记录。", "evidence": "住房租赁备案系统截图"}]})


class InquiryStarted(Out):
    business_key: str
    target_department: str
    opened: list[OpenedTask]


# --- oversight ------------------------------------------------------------------------------------

class CaseSummary(Out):
    business_key: str
    process: str
    version: int
    status: Literal["running", "completed", "stuck", "failed"]
    started_by: str
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    applicant_name: str | None
    error: str | None = Field(description="why the case failed, in the engine's words; the case's personal values in "
                                          "it masked unless the token sees them in full (auditors), as on the case page")


class HistoryEntry(Out):
    seq: int
    at: datetime
    actor: str
    department: str | None
    event: str
    task_id: str | None
    details: dict[str, Any]


class AuditEntryOut(HistoryEntry):
    business_key: str | None
    prev_hash: str
    hash: str


class Verification(Out):
    ok: bool
    checked: int
    bad_seq: int | None
    reason: str | None


class ProcessVersion(Out):
    process_key: str
    version: int
    name: str
    deployed_at: datetime
    content_hash: str
    files: list[str]


class SourceFile(Body):
    name: str = Field(pattern=r"^[\w.-]{1,120}\.(bpmn|dmn)$")
    content: str = Field(min_length=1, max_length=1_000_000, description="the XML text of the file")


class DeployRequest(Body):
    """BPMN and DMN files to check and deploy; a process whose content did not change keeps its version."""

    files: list[SourceFile] = Field(min_length=1, max_length=20)
    note: str = Field(default="", max_length=500, description="why this version is deployed: required unless `dry_run`")
    dry_run: bool = Field(default=False, description="only check the files; deploy nothing")
    effective_date: date | None = Field(default=None, description="a changed shared rule table (DMN with applied_by) "
                                        "takes effect on this day at the earliest, once every department co-signed")
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "files": [{"name": "formal_inquiry.bpmn", "content": "<?xml version=\"1.0\"?><bpmn:definitions …/>"}],
        "note": "答复期限改为 5 个工作日", "dry_run": True}]})


class DeployedProcess(Out):
    process_key: str
    name: str
    version: int | None = Field(description="the version that is (or would be) the newest")
    changed: bool


class DeployResult(Out):
    dry_run: bool
    processes: list[DeployedProcess]


class TokenRequest(Body):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{1,62}$")
    role: Literal[ROLES]  # type: ignore[valid-type]
    department: str | None = Field(default=None, pattern=DEPT_PATTERN)
    username: str | None = Field(default=None, min_length=1, max_length=64,
                                 description="the person the token acts as; leave out for a system's token")
    expires_days: int | None = Field(default=None, ge=1, le=3650)
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "psb-system", "role": "reviewer", "department": "PSB", "expires_days": 365}]})


class TokenOut(Out):
    name: str
    hint: str = Field(description="the first characters of the secret")
    role: str
    department: str | None
    username: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    state: Literal["active", "expired", "revoked"]


class IssuedToken(Out):
    token: TokenOut
    secret: str = Field(description="the bearer token; shown only in this answer, stored only as a hash")


# --- lists ----------------------------------------------------------------------------------------

def page_of(item: type[BaseModel], name: str) -> type[BaseModel]:
    """A page of items with the cursor of the next page (null on the last page)."""
    model = create_model(name, __base__=Out, items=(list[item], ...),
                         next_cursor=(str | None, Field(description="pass as `cursor` for the next page")))
    model.__doc__ = f"One page of {item.__name__} items."
    return model


TaskPage = page_of(TaskSummary, "TaskPage")
CasePage = page_of(CaseSummary, "CasePage")
HistoryPage = page_of(HistoryEntry, "HistoryPage")
AuditPage = page_of(AuditEntryOut, "AuditPage")
ProcessPage = page_of(ProcessVersion, "ProcessPage")
TokenPage = page_of(TokenOut, "TokenPage")
