"""At the counter (窗口): the papers a window clerk hands the applicant, and the corrections (补正) the applicant
brings in person.

- 受理回执 (or 收件回执 while items are missing): the business key, what was received, the promised time in working
  days and the expected date, how to follow the application;
- 一次性告知书: every item to correct at once, with the date by which to bring them (the process's own deadline,
  read from the timer that races the correction), and what happens if nothing comes;
- 补正登记: what the applicant brought to the window, delivered to the case like the portal's correction.

The documents are plain data (`Document`); the web layer prints them as a page and as a PDF.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from engine.calendar import WorkCalendar, written_day
from engine.errors import InvalidInput
from engine.forms import FormField, ascii_digits, validate

from . import idcards
from .intake import ENGLISH_MATERIALS, ID_PATTERN, INTAKES, PHONE_PATTERN, check_ids, tidy
from .intake import MESSAGES as INTAKE_MESSAGES
from .portal import PUBLIC, SUBSIDY_TYPES

STATUS_HOW = ("凭业务编号和申请人身份证号，可通过政务服务网“办件进度查询”或到本窗口查询办理进度；"
              "审核结果公示后另行告知。")
NOT_A_DECISION = "本回执仅证明已收到申请材料，不代表审核结果。"
ONCE = "以上为需补正的全部内容，本机关不再另行要求补正其他材料。"
# Messages of the correction's own checks by code (the web layer translates them)
MESSAGES = {**INTAKE_MESSAGES, "nothing_brought": "record what the applicant brought (materials, corrections or a note)",
            "not_missing": "is not a missing material: {codes}"}


@dataclass(frozen=True)
class Document:
    """A paper for the applicant: a title, its number, labelled rows, a numbered list and paragraphs."""

    kind: str  # receipt / notice
    title: str
    number: str
    rows: list[tuple[str, str]]
    items_label: str = ""
    items: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    deadline: datetime | None = None


def served(process: str) -> bool:
    """Whether the process takes applications at a window (receipts, notices and corrections apply)."""
    return process in PUBLIC and "materials" in PUBLIC[process].messages


def correction_message(process: str) -> str | None:
    view = PUBLIC.get(process)
    return view.messages.get("materials") if view else None


def day(moment: datetime, cal: WorkCalendar) -> str:
    """A moment's day in the office's time zone as the papers write it: 2026年12月1日."""
    return written_day(moment.astimezone(cal.tz).date())


def _moment(moment: datetime, cal: WorkCalendar) -> str:
    local = moment.astimezone(cal.tz)
    return f"{day(moment, cal)} {local:%H:%M}"


def _received(process: str, data: dict[str, Any], form: str) -> list[str]:
    """The application form and the materials the window took in."""
    names = PUBLIC[process].materials
    return [f"《{form}》"] + [names[code] for code in data.get("materials") or [] if code in names]


def _what(process: str, title: str, data: dict[str, Any]) -> str:
    kind = SUBSIDY_TYPES.get(data.get("subsidy_type")) if process == "subsidy_approval" else None
    return f"{title}（{kind}）" if kind else title


def _who(data: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [("申请人", str(data.get("applicant_name") or "—"))]
    if data.get("applicant_id"):
        rows.append(("身份证号", idcards.mask(str(data["applicant_id"]))))
    return rows


def receipt(business_key: str, process: str, started_at: datetime, data: dict[str, Any],
            target_workdays: int | None, cal: WorkCalendar, office: str) -> Document:
    """受理回执: what was received and when the applicant may expect an answer (收件回执 while items are missing)."""
    title = INTAKES[process].title
    missing = [str(m) for m in data.get("missing_items") or []]
    rows = [("业务编号", business_key), ("申请事项", _what(process, title, data)), *_who(data), ("受理窗口", office),
            ("收件时间" if missing else "受理时间", _moment(started_at, cal))]
    if target_workdays and missing:
        rows.append(("承诺办结时限", f"{target_workdays}个工作日，自补正齐全、正式受理之日起计算"))
    elif target_workdays:
        due = cal.add_workdays(started_at, target_workdays)
        rows.append(("承诺办结时限", f"{target_workdays}个工作日（申请人补正材料、公示的时间不计入）"))
        rows.append(("预计办结日期", f"{day(due, cal)}前" + ("（暂定，以当年法定节假日安排为准）"
                                                         if not cal.is_confirmed(due) else "")))
    paragraphs = [f"尚有{len(missing)}项材料或内容需补正，详见一次性告知书；补正齐全后方予受理。"] if missing else []
    paragraphs += [STATUS_HOW, NOT_A_DECISION]
    return Document("receipt", "收件回执" if missing else "受理回执", business_key, rows, "已收材料",
                    _received(process, data, title + "表"), paragraphs)


def notice(business_key: str, process: str, data: dict[str, Any], told_at: datetime, deadline: datetime | None,
           cal: WorkCalendar, office: str) -> Document | None:
    """一次性告知书: every missing item at once, and the date to bring them by; None when nothing is missing."""
    missing = [str(m) for m in data.get("missing_items") or []]
    if not missing:
        return None
    title = INTAKES[process].title
    rows = [("业务编号", business_key), ("申请事项", _what(process, title, data)), *_who(data),
            ("告知时间", _moment(told_at, cal))]
    paragraphs = [f"经审查，您提交的{title}材料不齐全或有误，现将需补正的全部内容一次性告知如上。"]
    if deadline is not None:
        days = round(cal.workdays_between(told_at, deadline))
        paragraphs.append(f"请于{day(deadline, cal)}前（{days}个工作日内）携带上述材料到{office}窗口补正，"
                          "也可通过政务服务网在线补正。逾期未补正的，申请不予受理。")
    paragraphs += [ONCE, STATUS_HOW]
    return Document("notice", "一次性告知书", business_key, rows, "需补正的材料和内容", missing, paragraphs, deadline)


def correction_form(process: str, data: dict[str, Any]) -> list[FormField]:
    """What a clerk records when the applicant brings corrections: the materials still missing (none ticked),
    the details the process takes again, and a note."""
    form = []
    have = set(data.get("materials") or [])
    owed = [(code, name) for code, name in PUBLIC[process].materials.items() if code not in have]
    if owed:
        form.append(FormField("materials", "补交的材料", "multi", options=owed))
    form.append(FormField("phone", "联系电话（更正）", "string", constraints={"pattern": PHONE_PATTERN}))
    form.append(FormField("address", "现居住地址（更正）", "string", constraints={"maxlength": "100"}))
    if process == "admission_review":
        form.append(FormField("child_id", "儿童身份证号（更正）", "string", constraints={"pattern": ID_PATTERN}))
    if process == "subsidy_approval":
        form.append(FormField("bank_account", "收款银行账号（更正）", "string", constraints={"pattern": r"\d{12,24}"}))
    form.append(FormField("note", "补正说明", "string", constraints={"maxlength": "1000"}))
    return form


# The correction's form in English, as intake.py gives the window's forms theirs (the note as the BPMN's data:note:en)
ENGLISH_LABELS = {"materials": "Materials brought", "phone": "Phone (corrected)",
                  "address": "Current address (corrected)", "child_id": "Child's ID number (corrected)",
                  "bank_account": "Bank account for payment (corrected)", "note": "Correction note"}


def in_english(form: list[FormField]) -> list[FormField]:
    """The correction's form with its labels and the materials' names in English (the values stay the same)."""
    return [replace(f, label=ENGLISH_LABELS.get(f.id, f.label),
                    options=[(code, ENGLISH_MATERIALS.get(code, name)) for code, name in f.options]) for f in form]


def correction(process: str, data: dict[str, Any], submitted: dict[str, Any], materials: list[str]) -> dict[str, Any]:
    """The correction's payload for the case, or InvalidInput naming every bad field (nothing brought is refused)."""
    form = correction_form(process, data)
    plain = [f for f in form if f.type != "multi"]
    submitted = tidy(submitted)
    errors: dict[str, str] = {}
    codes: dict[str, tuple[str, dict]] = {}
    clean: dict[str, Any] = {}
    try:
        clean = validate(plain, {f.id: submitted.get(f.id, "") for f in plain})
    except InvalidInput as exc:
        errors.update(exc.fields)
        codes.update(getattr(exc, "codes", {}) or {})
    if clean.get("child_id"):
        check_ids({"child_id": clean["child_id"]}, errors, codes)
        clean["child_id"] = ascii_digits(str(clean["child_id"])).strip().upper()
    offered = {code for f in form if f.type == "multi" for code, _ in f.options}
    unknown = [m for m in materials if m not in offered]
    if unknown:
        codes["materials"] = ("not_missing", {"codes": ", ".join(unknown)})
        errors["materials"] = MESSAGES["not_missing"].format(codes=", ".join(unknown))
    payload = {k: v for k, v in clean.items() if v not in (None, "")}
    if materials and not unknown:
        payload["materials"] = sorted(set(materials))
    if not errors and not payload:
        codes["note"], errors["note"] = ("nothing_brought", {}), MESSAGES["nothing_brought"]
    if errors:
        exc = InvalidInput("the correction has errors; nothing was recorded", errors)
        exc.codes = codes
        raise exc
    return payload
