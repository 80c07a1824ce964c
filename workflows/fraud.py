"""Subsidy risk screening (补贴申请风险筛查): cross-validation of an application against other applications
and the department registries, as briefed: the same person applying again for the same subsidy, one bank
account for several applicants, a name or an address other than the police registration's, a declared
unemployment the social-insurance record contradicts, and a declared household type its declared income
contradicts. The reasons are stored on the case for the reviewer; a registry that does not answer is named."""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update

from engine.runtime import ServiceCall

from .models import Application
from .registries import RegistryUnavailable, registry_for

REASONS = {
    "duplicate": "同一申请人本年度已申请过同类补贴",
    "shared_account": "收款银行账户被多名申请人共用",
    "identity_mismatch": "身份证号与姓名和公安登记不一致",
    "no_identity_record": "公安居住登记中查无此人",
    "address_mismatch": "申报的居住地址与公安居住登记地址不一致",
    "cancelled_filing": "租赁备案已注销",
    "employment_mismatch": "申报失业，但人社局社保记录显示在职参保",
    "household_income_mismatch": "申报为低保或特困家庭，但申报的家庭人均月收入高于低收入认定标准",
}
LOW_INCOME_LINE = 2000  # 元 per person and month: above it a low-income (低保) or extreme-poverty (特困) claim is flagged
DEPARTMENT_NAMES = {"PSB": "公安局", "HRSS": "人社局", "HUD": "住建局"}
WHAT = {"PSB": "身份与居住地址", "HRSS": "就业参保情况", "HUD": "租赁备案"}


def register_application(call: ServiceCall) -> dict[str, Any]:
    """Remember the application (who, which subsidy, which account) for later cross-checks."""
    data = call.data
    exists = call.session.execute(select(Application.id).where(Application.business_key == call.business_key)).first()
    if exists is None:
        call.session.add(Application(
            business_key=call.business_key, applicant_id=str(data["applicant_id"]).upper(),
            applicant_name=data["applicant_name"], subsidy_type=data["subsidy_type"],
            bank_account=str(data["bank_account"]).replace(" ", ""), status="open",
            year=call.now.year, created_at=call.now))
        call.session.flush()
    return {"objection_count": 0}


def screen(call: ServiceCall) -> dict[str, Any]:
    """Flag duplicates, shared bank accounts, identity mismatches and cancelled rental filings."""
    data, session = call.data, call.session
    applicant = str(data["applicant_id"]).upper()
    flags: list[str] = []
    others = session.execute(select(func.count()).select_from(Application).where(
        Application.applicant_id == applicant, Application.subsidy_type == data["subsidy_type"],
        Application.year == call.now.year, Application.business_key != call.business_key,
        Application.status != "rejected")).scalar_one()
    if others:
        flags.append("duplicate")
    sharing = session.execute(select(func.count(func.distinct(Application.applicant_id))).where(
        Application.bank_account == str(data["bank_account"]).replace(" ", ""),
        Application.applicant_id != applicant)).scalar_one()
    if sharing:
        flags.append("shared_account")
    reasons: list[str] = []
    person = _lookup(call, "PSB", "residence_permits", applicant, reasons)
    if person is not None:
        if not person:
            flags.append("no_identity_record")
        elif person["name"] != data["applicant_name"]:
            flags.append("identity_mismatch")
        elif data.get("address") and person.get("address") and _plain(person["address"]) != _plain(data["address"]):
            flags.append("address_mismatch")
    filing = _lookup(call, "HUD", "rental_filings", applicant, reasons)
    if filing and filing["status"] == "cancelled":
        flags.append("cancelled_filing")
    if data.get("subsidy_type") == "employment" and (data.get("unemployed_months") or 0) > 0:
        insured = _lookup(call, "HRSS", "social_insurance", applicant, reasons)
        if insured and insured.get("employed"):
            flags.append("employment_mismatch")
    if data.get("household_type") in ("low_income", "special") and (data.get("income_per_capita") or 0) > LOW_INCOME_LINE:
        flags.append("household_income_mismatch")
    if reasons:
        flags.append("registry_unavailable")
    call.record("fraud_screened", flags=flags)
    return {"fraud_flags": flags, "fraud_reasons": [REASONS[f] for f in flags if f in REASONS] + reasons,
            "fraud_flag_count": len(flags), "identity_mismatch": "identity_mismatch" in flags,
            "shared_account": "shared_account" in flags, "duplicate": "duplicate" in flags}


def _lookup(call: ServiceCall, dept: str, dataset: str, id_number: str, outages: list[str]) -> dict | None:
    """The registry's record ({} when it has none), or None when the registry does not answer (named in
    `outages`, recorded on the case)."""
    try:
        return registry_for(dept, call.session).lookup(dept, dataset, id_number) or {}
    except RegistryUnavailable as exc:
        call.record("registry_unavailable", department=dept, reason=str(exc))
        outages.append(f"{DEPARTMENT_NAMES[dept]}数据接口暂不可用，未能核对{WHAT[dept]}，请人工核实")
        return None


def _plain(address: str) -> str:
    return "".join(str(address).split())


def close_application(call: ServiceCall) -> dict[str, Any]:
    """Record how the application ended (paid or rejected), so later duplicate checks see it."""
    status = "paid" if call.data.get("payment_reference") else "rejected"
    call.session.execute(update(Application).where(Application.business_key == call.business_key)
                         .values(status=status), execution_options={"synchronize_session": False})
    return {"application_status": status}


def forget_application(session, case_id: int, business_key: str) -> int:
    """A case purged under the retention policy: its application record (who, which account) goes too."""
    return session.execute(delete(Application).where(Application.business_key == business_key)).rowcount
