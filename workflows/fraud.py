"""Subsidy fraud screening (骗取补贴风险筛查): cross-validation of an application against other
applications and the department registries. The reasons are stored on the case for the reviewer."""
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
    "cancelled_filing": "租赁备案已注销",
    "registry_unavailable": "部分部门数据接口不可用，无法完成交叉核验",
}


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
    try:
        person = registry_for("PSB", session).lookup("PSB", "residence_permits", applicant)
        if person is None:
            flags.append("no_identity_record")
        elif person["name"] != data["applicant_name"]:
            flags.append("identity_mismatch")
        filing = registry_for("HUD", session).lookup("HUD", "rental_filings", applicant)
        if filing is not None and filing["status"] == "cancelled":
            flags.append("cancelled_filing")
    except RegistryUnavailable as exc:
        call.record("registry_unavailable", reason=str(exc))
        flags.append("registry_unavailable")
    call.record("fraud_screened", flags=flags)
    return {"fraud_flags": flags, "fraud_reasons": [REASONS[f] for f in flags], "fraud_flag_count": len(flags),
            "identity_mismatch": "identity_mismatch" in flags, "shared_account": "shared_account" in flags}


def close_application(call: ServiceCall) -> dict[str, Any]:
    """Record how the application ended (paid or rejected), so later duplicate checks see it."""
    status = "paid" if call.data.get("payment_reference") else "rejected"
    call.session.execute(update(Application).where(Application.business_key == call.business_key)
                         .values(status=status), execution_options={"synchronize_session": False})
    return {"application_status": status}


def forget_application(session, case_id: int, business_key: str) -> int:
    """A case purged under the retention policy: its application record (who, which account) goes too."""
    return session.execute(delete(Application).where(Application.business_key == business_key)).rowcount
