"""Automatic checks against department registries: each returns its department's own data keys
(`psb_ok`, `psb_finding`, …) so parallel branches never overwrite one another; `<dept>_registry` keeps what
the registry said after a reviewer has written their own finding.

A check that cannot reach its registry does not fail the case: it sets `<dept>_ok = False`, says why in
`<dept>_finding`, and records a `registry_unavailable` event, so the step goes to a reviewer.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

from engine import directory
from engine.calendar import written_day
from engine.runtime import ServiceCall

from . import idcards
from .registries import RegistryUnavailable, registry_for

MATERIALS = {
    "residence_permit": "居住证",
    "social_insurance": "社保缴纳证明",
    "housing": "房产证明或租赁备案证明",
    "vaccination": "儿童预防接种证明",
    "household_register": "户口簿",
}
FIELDS = {
    "applicant_name": "申请人姓名", "applicant_id": "申请人身份证号", "phone": "联系电话",
    "child_name": "儿童姓名", "child_id": "儿童身份证号", "address": "现居住地址", "district": "居住区县",
}


def _today(call: ServiceCall) -> date:
    return call.now.date()


def _years(start: str, today: date) -> int:
    begun = date.fromisoformat(start)
    return today.year - begun.year - ((today.month, today.day) < (begun.month, begun.day))


def _guarded(dept: str, label: str, check: Callable[[ServiceCall], dict[str, Any]],
             key: str | None = None) -> Callable[[ServiceCall], dict]:
    key = key or dept.lower()

    def handler(call: ServiceCall) -> dict[str, Any]:
        try:
            out = check(call)
        except RegistryUnavailable as exc:
            call.record("registry_unavailable", department=dept, reason=str(exc))
            out = {f"{key}_ok": False, f"{key}_finding": f"{label}接口暂不可用，转人工核验：{exc}"}
        # the registry's own result stays beside the reviewer's finding, which starts from it and may change it
        return {**out, f"{key}_registry": out[f"{key}_finding"]}

    handler.__name__ = f"{key}_check"
    return handler


def completeness(call: ServiceCall) -> dict[str, Any]:
    """Admission intake: list every missing or invalid item at once (一次性告知)."""
    data = call.data
    missing = [label for name, label in FIELDS.items() if not str(data.get(name) or "").strip()]
    for name in ("applicant_id", "child_id"):
        value = str(data.get(name) or "").strip()
        reason = idcards.problem(value, zh=True) if value else None
        if reason:
            missing.append(f"{FIELDS[name]}有误（{reason}）")
    provided = set(data.get("materials") or [])
    missing += [label for code, label in MATERIALS.items() if code not in provided]
    normalized = {name: str(data.get(name) or "").strip() for name in FIELDS}
    normalized["applicant_id"] = normalized["applicant_id"].upper()
    normalized["child_id"] = normalized["child_id"].upper()
    return {**normalized, "materials": sorted(provided), "missing_items": missing, "complete": not missing,
            "intake_rounds": int(data.get("intake_rounds") or 0) + 1}


def _psb(call: ServiceCall) -> dict[str, Any]:
    record = registry_for("PSB", call.session).lookup("PSB", "residence_permits", call.data["applicant_id"])
    if record is None:
        return {"psb_ok": False, "psb_finding": "公安居住证登记中查无此人", "residence_years": 0}
    today = _today(call)
    problems = []
    if record["name"] != call.data.get("applicant_name"):
        problems.append(f"登记姓名为{record['name']}，与申报姓名不符")
    if record["status"] != "valid":
        problems.append("居住证已注销")
    elif date.fromisoformat(record["expires"]) < today:
        problems.append(f"居住证已于{_day(record['expires'])}过期")
    if record["district"] != call.data.get("district"):
        problems.append(f"登记区县为{record['district']}，与申报区县不符")
    return {"psb_ok": not problems, "psb_finding": "；".join(problems) or "居住证有效，信息一致",
            "residence_years": _years(record["issued"], today), "psb_address": record["address"]}


def _hrss(call: ServiceCall) -> dict[str, Any]:
    record = registry_for("HRSS", call.session).lookup("HRSS", "social_insurance", call.data["applicant_id"])
    if record is None:
        return {"hrss_ok": False, "hrss_finding": "社保系统中无缴费记录", "insured_months": 0, "employed": False}
    ok = record["insured_months"] > 0 and record["name"] == call.data.get("applicant_name")
    finding = (f"实际缴费{record['insured_months']}个月（不含补缴），最近缴费{_month(record['last_paid'])}" if ok
               else "缴费记录与申请人信息不一致")
    return {"hrss_ok": ok, "hrss_finding": finding, "insured_months": record["insured_months"],
            "employed": bool(record["employed"])}


def _hud(call: ServiceCall) -> dict[str, Any]:
    record = registry_for("HUD", call.session).lookup("HUD", "rental_filings", call.data["applicant_id"])
    if record is None:
        return {"hud_ok": False, "hud_finding": "无房产登记或租赁备案", "housing_type": "none"}
    housing = "own" if record["housing_type"] == "own" else "rent_filed"
    problems = []
    if record["status"] != "active":
        problems.append("租赁备案已注销")
        housing = "none"
    permit = registry_for("PSB", call.session).lookup("PSB", "residence_permits", call.data["applicant_id"])
    if permit is not None and permit["address"] != record["address"]:
        problems.append(f"备案地址（{record['address']}）与居住证地址（{permit['address']}）不一致")
    return {"hud_ok": not problems, "hud_finding": "；".join(problems) or "住房信息与居住证地址一致",
            "housing_type": housing}


def _health(call: ServiceCall) -> dict[str, Any]:
    record = registry_for("HEALTH", call.session).lookup("HEALTH", "vaccinations", call.data["child_id"])
    if record is None:
        return {"health_ok": False, "health_finding": "预防接种系统中无该儿童记录"}
    if not record["complete"]:  # not a reason to refuse: the child is admitted on condition of a catch-up (补种)
        missing = record.get("missing") or "未完成的疫苗"
        by = catch_up_deadline(_today(call))
        return {"health_ok": True, "catch_up": missing, "catch_up_by": by.isoformat(),
                "health_finding": f"预防接种不全：{missing}，须于{written_day(by)}前补种并交验接种证明"}
    return {"health_ok": True, "health_finding": "预防接种完整"}


def _day(iso: str) -> str:
    """A registry's ISO date as findings write it: 2025年1月31日."""
    return written_day(date.fromisoformat(iso))


def _month(iso: str) -> str:
    """A registry's ISO date to the month: 2026年10月."""
    day = date.fromisoformat(iso)
    return f"{day.year}年{day.month}月"


def catch_up_deadline(today: date) -> date:
    """Catch-up vaccinations (补种) are due before the school year the child enters starts: 31 August."""
    year = today.year if today.month <= 8 else today.year + 1
    return date(year, 8, 31)


psb_check = _guarded("PSB", "公安局居住证", _psb)
hrss_check = _guarded("HRSS", "人社局社保", _hrss)
hud_check = _guarded("HUD", "住建局备案", _hud)
health_check = _guarded("HEALTH", "卫健委接种", _health)


def _months(start: str, today: date) -> int:
    begun = date.fromisoformat(start)
    return max((today.year - begun.year) * 12 + today.month - begun.month - (today.day < begun.day), 0)


def subsidy_prefill(call: ServiceCall) -> dict[str, Any]:
    """Before the window's first check: what the registries already know, filled in for the clerk to check
    rather than retype (months out of work from the social-insurance record)."""
    try:
        record = registry_for("HRSS", call.session).lookup("HRSS", "social_insurance", call.data["applicant_id"])
    except RegistryUnavailable as exc:
        call.record("registry_unavailable", department="HRSS", reason=str(exc))
        return {"prefill_note": "人社局社保系统暂不可用，失业月数请按失业登记证明填写"}
    if record is None:
        return {"prefill_note": "人社局社保系统中无缴费记录" + ("，失业月数请按失业登记证明填写"
                                                     if call.data.get("subsidy_type") == "employment" else "")}
    if record["employed"]:
        return {"unemployed_months": 0, "prefill_note": "人社局记录显示申请人在职（失业月数0）"}
    months = _months(record["last_paid"], _today(call))
    return {"unemployed_months": months,
            "prefill_note": f"失业月数{months}个月（人社局社保记录：最近缴费{_month(record['last_paid'])}，现未参保缴费）"}


def assign_grid(call: ServiceCall) -> dict[str, Any]:
    """The on-site check goes to the street office whose area covers the applicant's address (its grid
    workers), or, when no office's area does, to the street offices' department to dispatch."""
    unit = directory.unit_for(call.session, "STREET", call.data.get("district"), call.data.get("address"))
    if unit is None:
        return {"onsite_department": "STREET", "onsite_unit": "未匹配到所属街道，由街道办统一派单"}
    return {"onsite_department": unit.code, "onsite_unit": unit.name}


def _subsidy_verify(call: ServiceCall) -> dict[str, Any]:
    kind, person = call.data.get("subsidy_type"), call.data["applicant_id"]
    if kind == "employment":
        record = registry_for("HRSS", call.session).lookup("HRSS", "social_insurance", person)
        ok = record is not None and not record["employed"]
        finding = "人社局登记为失业状态" if ok else "人社局记录显示在职或无记录"
    elif kind == "housing":
        record = registry_for("HUD", call.session).lookup("HUD", "rental_filings", person)
        ok = record is not None and record["housing_type"] == "rent" and record["status"] == "active"
        finding = "租赁备案有效" if ok else "无有效租赁备案"
    else:
        record = registry_for("EDU", call.session).lookup("EDU", "students", call.data.get("child_id") or "")
        ok = record is not None and record["enrolled"]
        finding = f"子女在{record['school']}就读" if ok else "无在读学籍"
    return {"verify_ok": ok, "verify_finding": finding}


def subsidy_verify(call: ServiceCall) -> dict[str, Any]:
    """Cross-verification by the competent department's registry, automatic first."""
    department = {"employment": "HRSS", "housing": "HUD"}.get(call.data.get("subsidy_type"), "EDU")
    return _guarded(department, "主管部门", _subsidy_verify, key="verify")(call)
