"""What the applicant portal may show of each process. Results appear only once the process has
published them (公示), open steps are shown as public stages with their department, and everything
else in a case — departments' findings, internal notes, fraud flags, inquiries between departments —
stays inside."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .checks import MATERIALS

DECISIONS = {"admit": "录取", "waitlist": "列入候补", "reject": "不予录取"}
SUBSIDY_TYPES = {"employment": "就业补贴", "housing": "住房补贴", "education": "教育补贴"}
OTHER_STAGE = "部门核查"
RIGHTS = ("如对本决定不服，可以自知道该决定之日起六十日内向作出决定的行政机关的本级人民政府申请行政复议"
          "（由其行政复议机构办理），也可以自知道该决定之日起六个月内向作出决定的行政机关所在地的基层人民法院"
          "提起行政诉讼。")
RIGHTS_LABEL = "救济途径"
REASONS_LABEL = "理由"


@dataclass(frozen=True)
class PublicView:
    stages: dict[str, str]  # user task id → the stage the applicant sees
    published_when: str  # data key the process sets when it publishes its result
    results: Callable[[dict[str, Any]], dict[str, str]]  # case data → {label: value}, once published
    outcomes: tuple[str, ...]  # end events that are the case's outcome (their BPMN names are shown)
    messages: dict[str, str] = field(default_factory=dict)  # API action → BPMN message name
    materials: dict[str, str] = field(default_factory=dict)  # the materials an application lists (code → name)
    materials_field: str = ""  # the data field whose options name those materials in each language (materials)
    # (case data, end event reached or None) → the reasons of an adverse decision, or None when it is not adverse
    adverse: Callable[[dict[str, Any], str | None], str | None] = lambda data, ended: None
    schema_name: str = ""  # the application's schema in the API description (OpenAPI), e.g. AdmissionApplication
    example: dict[str, Any] = field(default_factory=dict)  # an application as the API description shows it

    def stage(self, element_id: str) -> str:
        return self.stages.get(element_id, OTHER_STAGE)

    def published(self, data: dict[str, Any], ended: str | None = None) -> dict[str, str]:
        """The published results, or nothing before publication; an adverse decision (published, or the
        case ended by it) also carries its reasons and the notice of the applicant's rights."""
        out = self.results(data) if data.get(self.published_when) else {}
        reasons = self.adverse(data, ended)
        if reasons is not None:
            out = {**out, **({} if reasons in out.values() else {REASONS_LABEL: reasons}), RIGHTS_LABEL: RIGHTS}
        return {label: value for label, value in out.items() if value not in (None, "")}


def _admission(data: dict[str, Any]) -> dict[str, str]:
    decision = data.get("final_decision") or data.get("decision")
    reasons = data.get("final_reasons") or data.get("decision_reasons")
    out = {"总积分": _text(data.get("points_total")), "审定结果": DECISIONS.get(decision, decision), "审定理由": reasons}
    if decision == "admit":
        out["安排学校"] = data.get("school_assigned")
        if data.get("catch_up"):
            by = data.get("catch_up_by") or ""
            out["入学条件"] = f"须于{by}前补种{data['catch_up']}，并向学校交验预防接种证明"
    return out


def _admission_adverse(data: dict[str, Any], ended: str | None) -> str | None:
    if ended == "end_not_accepted":
        missing = "、".join(str(m) for m in data.get("missing_items") or [])
        return "未在规定期限内补正材料，申请不予受理" + (f"（缺少：{missing}）" if missing else "") + "。"
    if not data.get("published_at"):
        return None
    decision = data.get("final_decision") or data.get("decision")
    if ended == "end_appeal_rejected":
        return data.get("joint_opinion") or "申诉不成立，维持原审定结果。"
    if decision in ("reject", "waitlist"):
        return data.get("final_reasons") or data.get("decision_reasons") or DECISIONS[decision]
    return None


def _subsidy(data: dict[str, Any]) -> dict[str, str]:
    return {"补贴类型": SUBSIDY_TYPES.get(data.get("subsidy_type"), data.get("subsidy_type")),
            "核定金额（元）": _text(data.get("amount")), "发放金额（元）": _text(data.get("paid_amount")),
            "发放日期": data.get("paid_on")}


def _subsidy_adverse(data: dict[str, Any], ended: str | None) -> str | None:
    if ended == "end_first_check_failed":  # 一次性告知 given, nothing corrected within the deadline
        items = "；".join(str(i) for i in data.get("missing_items") or [])
        return (f"{data.get('street_note') or '窗口初审未通过'}。" if not items else
                f"经一次性告知需补正：{items}；补正期限内未补正，不予受理。")
    if ended == "end_rejected":
        if data.get("eligible") is False:
            return data.get("eligibility_reason") or "不符合补贴条件。"
        return data.get("approval_note") or data.get("onsite_note") or data.get("verify_finding") or "审批未同意。"
    return None


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


PUBLIC = {
    "admission_review": PublicView(
        stages={**{f"review_{d}": "部门联合核验" for d in ("psb", "hrss", "hud", "health")},
                "decide": "教育局审定", "sign_off": "教育局审定", "joint_review": "申诉复核", "appeal_countersign": "申诉复核",
                "joint_decision": "申诉复核", "redecide": "申诉复核"},
        published_when="published_at", results=_admission,
        outcomes=("end_effective", "end_redecided", "end_appeal_rejected", "end_not_accepted"),
        messages={"materials": "materials_resubmitted", "appeal": "appeal"}, adverse=_admission_adverse,
        materials=MATERIALS, materials_field="materials", schema_name="AdmissionApplication",
        example={"applicant_name": "张伟", "applicant_id": "110105198506150030", "phone": "13800138000",
                 "child_name": "张小明", "child_id": "110105201903070012", "address": "西湖区文三路100号3幢201室",
                 "district": "西湖区",
                 "materials": ["residence_permit", "social_insurance", "housing", "vaccination", "household_register"]}),
    "subsidy_approval": PublicView(
        stages={"street_check": "窗口初审", "manual_verify": "资格核验", "onsite_check": "资格核验",
                "approve_chief": "审批", "approve_head": "审批", "disburse": "资金发放"},
        published_when="notice_from", results=_subsidy,
        outcomes=("end_paid", "end_rejected", "end_first_check_failed", "end_payment_failed"),
        messages={"objection": "objection", "materials": "materials_resubmitted"}, adverse=_subsidy_adverse,
        schema_name="SubsidyApplication",
        example={"subsidy_type": "housing", "applicant_name": "李娜", "applicant_id": "330106198807120027",
                 "phone": "13900139000", "bank_account": "6222020200112233445", "address": "拱墅区湖墅南路88号",
                 "household_type": "low_income", "income_per_capita": 1800, "monthly_rent": 1500}),
}
