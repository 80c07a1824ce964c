"""Tiered access to case data: other departments' findings stay hidden, personal data is masked for
reviewers, and revealing a masked value is recorded in the audit log."""
from __future__ import annotations

import json
from typing import Any

from flask import current_app, session

from engine import audit, wallclock
from engine.models import AuditEntry

from engine.routing import Actor
from workflows import idcards
from workflows.checks import MATERIALS
from workflows.portal import DECISIONS, SUBSIDY_TYPES

PERSONAL = {"applicant_id": "id", "child_id": "id", "phone": "phone", "bank_account": "account"}
DEPARTMENT_PREFIXES = ("psb_", "hrss_", "hud_", "health_")
LABELS = {
    "applicant_name": "申请人", "applicant_id": "申请人身份证号", "phone": "联系电话", "child_name": "儿童姓名",
    "child_id": "儿童身份证号", "address": "现居住地址", "district": "区县", "bank_account": "收款账户",
    "missing_items": "缺少材料", "points_total": "总积分", "points_detail": "积分明细", "recommendation": "建议结果",
    "recommendation_reason": "判定说明", "residence_years": "居住证持有年限", "insured_months": "社保实际缴费月数（不含补缴）",
    "housing_type": "住房类型", "fraud_reasons": "风险提示", "risk_level": "风险等级", "amount": "补贴金额",
    "eligibility_reason": "资格判定", "subsidy_type": "补贴类型", "questions": "函询问题", "answer": "答复意见",
    "inquiry_subject": "函询事项", "reply_due": "答复期限",
}
for _prefix, _name in (("psb", "公安"), ("hrss", "人社"), ("hud", "住建"), ("health", "卫健")):
    LABELS[f"{_prefix}_finding"] = f"{_name}核验意见"
    LABELS[f"{_prefix}_ok"] = f"{_name}核验通过"


def mask(kind: str, value: Any) -> str:
    """`110105********1234`, `138****8000`, `6222********4567`."""
    text = str(value or "")
    if kind == "id":
        return idcards.mask(text)
    if len(text) <= 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:] if kind == "phone" else text[:4] + "*" * (len(text) - 8) + text[-4:]


def may_see_unmasked(actor: Actor) -> bool:
    """Supervisors, heads and auditors see personal data in full without asking."""
    return "auditor" in actor.roles or any(r in ("supervisor", "head") for r in actor.departments.values())


VALUES = {
    "housing_type": {"own": "自有住房", "rent_filed": "租赁备案", "none": "无"},
    "recommendation": DECISIONS,
    "decision": DECISIONS,
    "final_decision": DECISIONS,
    "risk_level": {"high": "高", "medium": "中", "low": "低"},
    "subsidy_type": SUBSIDY_TYPES,
}
LABELS.update({"decision": "审定结果", "decision_reasons": "审定理由", "school_assigned": "安排学校",
               "materials": "已收材料", "verify_finding": "核验意见", "approval_note": "审批意见",
               "final_decision": "申诉后审定结果", "final_reasons": "申诉后审定理由", "requester_department": "函询部门",
               "target_department": "被函询部门", "case_ref": "关联业务编号", "evidence": "依据及附件说明"})


def readable(key: str, value: Any) -> Any:
    """A value as a civil servant reads it: option names, material names, yes/no."""
    if key == "materials" and isinstance(value, list):
        return [MATERIALS.get(v, v) for v in value]
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, dict)):
        return value
    return VALUES.get(key, {}).get(value, value)


def hidden_from(key: str, actor: Actor) -> bool:
    """Another department's finding, which this user may not see (the one rule for every page and the API)."""
    own = tuple(f"{code.lower()}_" for code in actor.departments)
    return key.startswith(DEPARTMENT_PREFIXES) and not key.startswith(own) and "auditor" not in actor.roles


def personal_shown(shown: list[dict[str, Any]]) -> list[str]:
    """The personal fields shown in full (their reading is recorded in the audit log)."""
    return [item["key"] for item in shown if item["key"] in PERSONAL and not item["masked"]]


def visible_data(data: dict[str, Any], actor: Actor, business_key: str,
                 revealed: set[str] | None = None) -> list[dict[str, Any]]:
    """The labelled case data this user may see (internal working values stay hidden), with personal
    data masked unless revealed (by default: what this browser session revealed)."""
    if revealed is None:
        revealed = set(session.get("revealed", {}).get(business_key, []))
    out = []
    for key in [k for k in LABELS if k in data]:
        if hidden_from(key, actor):
            continue
        value = data[key]
        if isinstance(value, dict) or value is None or value == "" or value == []:
            continue
        kind = PERSONAL.get(key)
        masked = bool(kind) and not may_see_unmasked(actor) and key not in revealed
        out.append(dict(key=key, label=LABELS[key], value=mask(kind, value) if masked else readable(key, value),
                        masked=masked))
    return out


def mask_values(data: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """Submitted data with personal values masked for those who may not see them in full (API answers)."""
    if may_see_unmasked(actor):
        return dict(data)
    return {k: mask(PERSONAL[k], v) if k in PERSONAL and v not in (None, "") else v for k, v in data.items()}


def masked_details(details: dict[str, Any], actor: Actor, business_key: str) -> list[tuple[str, Any]]:
    """Submitted data of a timeline entry as (label, value) pairs, personal data masked as on task pages."""
    data = details.get("data") or {}
    revealed = set(session.get("revealed", {}).get(business_key, []))
    out = []
    for key, value in data.items():
        if hidden_from(key, actor):
            continue
        kind = PERSONAL.get(key)
        if kind and not may_see_unmasked(actor) and key not in revealed:
            value = mask(kind, value)
        else:
            value = readable(key, value)
        if isinstance(value, list):
            value = "；".join(str(v) for v in value)
        out.append((LABELS.get(key, key), value))
    return out


def mask_details_json(details: str, actor: Actor) -> str:
    """An audit entry's stored details with personal values masked, for readers without the auditor role."""
    if "auditor" in actor.roles:
        return details
    try:
        parsed = json.loads(details)
    except ValueError:
        return details
    if isinstance(parsed.get("data"), dict):
        parsed["data"] = {k: mask(PERSONAL[k], v) if k in PERSONAL and v not in (None, "") else v
                          for k, v in parsed["data"].items()}
        return json.dumps(parsed, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return details


def exported_entries(entries: list[AuditEntry], actor: Actor) -> list[AuditEntry]:
    """Audit entries as a bulk export shows them: in full for auditors; with personal values masked for
    others (their hashes then no longer match: checking the chain from an export needs the auditor role)."""
    if "auditor" in actor.roles:
        return entries
    columns = [c.name for c in AuditEntry.__table__.columns]
    return [AuditEntry(**{c: getattr(e, c) for c in columns if c != "details"}, details=mask_details_json(e.details, actor))
            for e in entries]


def record_export(actor: Actor, what: str, count: int) -> None:
    """Every bulk export of the audit log is itself recorded."""
    with current_app.extensions["jointreview"].db.write() as session_:
        audit.append(session_, [audit.Event("audit_exported", actor.username,
                                            {"what": what, "entries": count, "masked": "auditor" not in actor.roles})],
                     wallclock.now())
