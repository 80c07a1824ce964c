"""Window intake (窗口受理): which department may start which process, the application form, and turning
what was submitted into the case's start data (checked field by field, like every other form)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import cases
from engine.errors import InvalidInput
from engine.forms import FormField, ascii_digits, validate
from engine.models import Case
from engine.runtime import Runtime
from engine.steps import current_data

from . import idcards
from .checks import MATERIALS
from .portal import SUBSIDY_TYPES

ID_PATTERN = r"\d{17}[\dXx]"
# Messages of the intake's own checks by code (the web layer translates them; see idcards.MESSAGES)
MESSAGES = {**idcards.MESSAGES, "own_id": "is the applicant's own ID number",
            "not_minor": "belongs to someone born on {born}, who is not a minor",
            "no_case": "there is no case with the business key {key}",
            "own_department": "cannot be your own department: an inquiry goes to another department"}
PHONE_PATTERN = r"1\d{10}"
# The inquiry's fields (bpmn/formal_inquiry.bpmn declares them) filled from the case it is about: who it concerns
ABOUT_CASE = {"applicant_name": "applicant_name", "applicant_id": "applicant_id"}


def _text(fid: str, label: str, required: bool = True, **constraints: str) -> FormField:
    rules = {"required": ""} if required else {}
    return FormField(fid, label, "string", constraints={**rules, **constraints})


@dataclass(frozen=True)
class Intake:
    """An application form for one process, and the departments whose windows take it."""

    process: str
    title: str
    departments: tuple[str, ...]
    fields: list[FormField]
    materials: bool = False
    fixed: dict[str, Any] = field(default_factory=dict)
    sent: bool = False  # the form sends something to another department (a 函询), rather than accepting an application
    not_own: str | None = None  # a choice of department that may not be the sender's own (offered without it, refused)


DISTRICTS = [(d, d) for d in ("上城区", "拱墅区", "西湖区", "滨江区", "萧山区", "余杭区", "临平区", "钱塘区")]
DEPARTMENTS = [("EDU", "教育局"), ("PSB", "公安局"), ("HRSS", "人社局"), ("HUD", "住建局"), ("HEALTH", "卫健委"),
               ("STREET", "街道办"), ("FIN", "财政局"), ("JOINT", "联席办")]

INTAKES = {i.process: i for i in [
    Intake("admission_review", "积分入学申请", ("EDU",), [
        _text("applicant_name", "申请人姓名", maxlength="20"),
        _text("applicant_id", "申请人身份证号", pattern=ID_PATTERN),
        _text("phone", "联系电话", pattern=PHONE_PATTERN),
        _text("child_name", "儿童姓名", maxlength="20"),
        _text("child_id", "儿童身份证号", pattern=ID_PATTERN),
        _text("address", "现居住地址", maxlength="100"),
        FormField("district", "居住区县", "enum", options=DISTRICTS, constraints={"required": ""}),
    ], materials=True),
    Intake("subsidy_approval", "补贴申请", ("STREET",), [
        FormField("subsidy_type", "申请补贴类型", "enum", options=list(SUBSIDY_TYPES.items()), constraints={"required": ""}),
        _text("applicant_name", "申请人姓名", maxlength="20"),
        _text("applicant_id", "申请人身份证号", pattern=ID_PATTERN),
        _text("phone", "联系电话", pattern=PHONE_PATTERN),
        _text("bank_account", "收款银行账号", pattern=r"\d{12,24}"),
        FormField("child_id", "子女身份证号（教育补贴）", "string", constraints={"pattern": ID_PATTERN},
                  properties={"required_if": "subsidy_type == 'education'"}),
        _text("address", "现居住地址", maxlength="100"),
        FormField("district", "居住区县", "enum", options=DISTRICTS),
        FormField("household_type", "家庭类型", "enum", options=[("normal", "一般家庭"), ("low_income", "低保家庭"),
                                                          ("special", "特困家庭")], constraints={"required": ""}),
        FormField("income_per_capita", "家庭人均月收入（元）", "double", constraints={"required": "", "min": "0",
                                                                            "max": "100000"}),
        FormField("monthly_rent", "月租金（元，住房补贴）", "double", constraints={"min": "0", "max": "50000"},
                  properties={"required_if": "subsidy_type == 'housing'"}),
    ]),
    Intake("formal_inquiry", "发起部门函询", ("EDU", "PSB", "HRSS", "HUD", "HEALTH", "STREET", "FIN", "JOINT"), [
        FormField("target_department", "被函询部门", "enum", options=DEPARTMENTS, constraints={"required": ""}),
        _text("case_ref", "关联业务编号（函询所涉案件）", maxlength="64"),
    ], sent=True, not_own="target_department"),
]}


# The window's forms in English (the processes' own forms are translated in their BPMN: name:en, label:en, options:en).
ENGLISH_TITLES = {"admission_review": "Application for school admission by points",
                  "subsidy_approval": "Subsidy application", "formal_inquiry": "Inquiry to another department"}
ENGLISH_LABELS = {
    "applicant_name": "Applicant's name", "applicant_id": "Applicant's ID number", "phone": "Phone",
    "child_name": "Child's name", "child_id": "Child's ID number", "address": "Current address",
    "district": "District of residence", "subsidy_type": "Subsidy applied for", "bank_account": "Bank account for payment",
    "household_type": "Household", "income_per_capita": "Monthly income per person (yuan)",
    "monthly_rent": "Monthly rent (yuan, housing subsidy)", "target_department": "Department asked",
    "case_ref": "Business key of the case the inquiry is about",
}
ENGLISH_LABELS_BY_INTAKE = {("subsidy_approval", "child_id"): "Child's ID number (education subsidy)"}
ENGLISH_OPTIONS = {
    "district": {"上城区": "Shangcheng", "拱墅区": "Gongshu", "西湖区": "Xihu", "滨江区": "Binjiang", "萧山区": "Xiaoshan",
                 "余杭区": "Yuhang", "临平区": "Linping", "钱塘区": "Qiantang"},
    "subsidy_type": {"employment": "Employment subsidy", "housing": "Housing subsidy", "education": "Education subsidy"},
    "household_type": {"normal": "Ordinary household", "low_income": "Household on the minimum living allowance",
                       "special": "Household in extreme poverty"},
    "target_department": {"EDU": "Education Bureau", "PSB": "Public Security Bureau",
                          "HRSS": "Human Resources and Social Security Bureau", "HUD": "Housing Bureau",
                          "HEALTH": "Health Commission", "STREET": "Street office", "FIN": "Finance Bureau",
                          "JOINT": "Joint review office"},
}
ENGLISH_MATERIALS = {"residence_permit": "Residence permit", "social_insurance": "Social insurance payment record",
                     "housing": "Property certificate or rental filing", "vaccination": "Child's vaccination certificate",
                     "household_register": "Household register"}


def in_english(intake: Intake) -> Intake:
    """The same form with its title, labels and options' names in English (the values stay the same)."""
    fields = [replace(f, label=ENGLISH_LABELS_BY_INTAKE.get((intake.process, f.id)) or ENGLISH_LABELS.get(f.id, f.label),
                      options=[(code, ENGLISH_OPTIONS.get(f.id, {}).get(code, name)) for code, name in f.options])
              for f in intake.fields]
    return replace(intake, title=ENGLISH_TITLES.get(intake.process, intake.title), fields=fields)


def for_sender(intake: Intake, department: str) -> Intake:
    """The form as the sending department's clerk sees it: the department to ask offered without their own."""
    if intake.not_own is None:
        return intake
    fields = [replace(f, options=[(code, name) for code, name in f.options if code != department])
              if f.id == intake.not_own else f for f in intake.fields]
    return replace(intake, fields=fields)


def about_case(session: Session, rt: Runtime, data: dict[str, Any]) -> dict[str, Any]:
    """What an inquiry carries from the case it names (its business key) to the department asked: the person's
    name and ID number (`ABOUT_CASE`; an inquiry called from a case's step has them from that case already).
    InvalidInput on case_ref (code no_case) when no case has that key."""
    key = str(data.get("case_ref") or "").strip()
    case = session.execute(select(Case).where(Case.business_key == key)).scalar_one_or_none()
    if case is None:
        exc = InvalidInput("the inquiry has errors; nothing was sent", {"case_ref": MESSAGES["no_case"].format(key=key)})
        exc.codes = {"case_ref": ("no_case", {"key": key})}
        raise exc
    if case.purged_at is not None:  # its data is gone: the inquiry asks about the number alone
        return {}
    found = current_data(cases.load(session, rt, case))
    return {name: found[source] for name, source in ABOUT_CASE.items() if found.get(source) not in (None, "")}


def available(departments: dict[str, str]) -> list[Intake]:
    """The applications the user's departments take at their windows."""
    return [i for i in INTAKES.values() if set(i.departments) & set(departments)]


def _child_problems(submitted: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    """A child's ID number must be another person's, and a child's (under 18 today): field → (code, params)."""
    child = str(submitted.get("child_id") or "").strip().upper()
    if not child or "child_id" in errors:
        return {}
    if child == str(submitted.get("applicant_id") or "").strip().upper():
        return {"child_id": ("own_id", {})}
    born = idcards.birth_date(child)
    today = date.today()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age >= 18:
        return {"child_id": ("not_minor", {"born": born.isoformat()})}
    return {}


DIGITS = ("applicant_id", "child_id", "phone", "bank_account")  # typed as printed: 6222 0212 …, 138-0013-8000
AMOUNTS = ("income_per_capita", "monthly_rent")  # typed with thousands separators: 1,200


def tidy(submitted: dict[str, Any]) -> dict[str, Any]:
    """What a clerk types as the paper prints it, made plain: no spaces or dashes inside numbers, no thousands
    separators in amounts."""
    out = dict(submitted)
    for key in DIGITS:
        if isinstance(out.get(key), str):
            out[key] = re.sub(r"[\s\-\u3000]", "", out[key])
    for key in AMOUNTS:
        if isinstance(out.get(key), str):
            out[key] = re.sub(r"(?<=\d)[,，](?=\d{3})", "", out[key].strip())
    return out


ID_FIELDS = ("applicant_id", "child_id")


def check_ids(values: dict[str, Any], errors: dict[str, str], codes: dict[str, tuple]) -> None:
    """ID numbers checked by GB 11643 (length, birth date, check digit); a problem goes into `errors` and `codes`
    under its field, unless that field is already in error."""
    for fid, value in values.items():
        number = ascii_digits(str(value or "")).strip()
        found = idcards.problem_code(number) if number and fid not in errors else None
        if found:
            codes[fid], errors[fid] = found, MESSAGES[found[0]].format(**found[1])


def start_data(intake: Intake, submitted: dict[str, Any], materials: list[str], department: str) -> dict[str, Any]:
    """Checked start data, or InvalidInput naming every bad field (ID numbers by GB 11643)."""
    submitted = tidy(submitted)
    clean, errors = {}, {}
    try:
        clean = validate(intake.fields, {f.id: submitted.get(f.id, "") for f in intake.fields})
    except InvalidInput as exc:
        errors.update(exc.fields)
        codes = dict(getattr(exc, "codes", {}))
    else:
        codes = {}
    asked = {f.id for f in intake.fields}
    if intake.not_own and clean.get(intake.not_own) == department:
        errors[intake.not_own], codes[intake.not_own] = MESSAGES["own_department"], ("own_department", {})
    check_ids({fid: clean.get(fid) or submitted.get(fid) for fid in ID_FIELDS if fid in asked}, errors, codes)
    for fid, found in _child_problems({**submitted, **{k: v for k, v in clean.items() if v}}, errors).items():
        codes[fid], errors[fid] = found, MESSAGES[found[0]].format(**found[1])
    if errors:
        exc = InvalidInput("the application has errors; nothing was started", errors)
        exc.codes = codes
        raise exc
    data = {k: (v.upper() if k in ("applicant_id", "child_id") and isinstance(v, str) else v) for k, v in clean.items()}
    if intake.materials:
        data["materials"] = [m for m in materials if m in MATERIALS]
    if intake.process == "formal_inquiry":
        data["requester_department"] = department
    return {k: v for k, v in data.items() if v is not None}


def checked(session: Session, rt: Runtime, intake: Intake, submitted: dict[str, Any], materials: list[str],
            department: str) -> dict[str, Any]:
    """`start_data`, and for an inquiry what it carries from the case it names (`about_case`): InvalidInput naming
    every problem at once, the case number's with the other fields'."""
    try:
        data = start_data(intake, submitted, materials, department)
    except InvalidInput as exc:
        ref = str(submitted.get("case_ref") or "").strip()
        if intake.process == "formal_inquiry" and ref and "case_ref" not in exc.fields:
            try:
                about_case(session, rt, {"case_ref": ref})
            except InvalidInput as unknown:
                exc.fields.update(unknown.fields)
                exc.codes = {**getattr(exc, "codes", {}), **unknown.codes}
        raise
    if intake.process == "formal_inquiry":
        data |= about_case(session, rt, data)
    return data
