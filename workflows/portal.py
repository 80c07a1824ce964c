"""What the applicant portal may show of each process: the published results, the end states that are
outcomes, and the messages an applicant (or, for a public notice, anyone) may send. Everything else in
a case — departments' findings, internal notes, fraud flags — stays inside."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PublicView:
    results: dict[str, str]  # data key → label, shown once the case has it
    outcomes: tuple[str, ...]  # end events that are the case's outcome (their BPMN names are shown)
    messages: dict[str, str] = field(default_factory=dict)  # API action → BPMN message name


PUBLIC = {
    "admission_review": PublicView(
        results={"points_total": "总积分", "decision": "审定结果", "school_assigned": "安排学校",
                 "final_decision": "复核决定"},
        outcomes=("end_effective", "end_redecided", "end_appeal_rejected", "end_not_accepted"),
        messages={"materials": "materials_resubmitted", "appeal": "appeal"}),
    "subsidy_approval": PublicView(
        results={"subsidy_type": "补贴类型", "amount": "核定金额（元）", "paid_amount": "发放金额（元）",
                 "paid_on": "发放日期"},
        outcomes=("end_paid", "end_rejected", "end_first_check_failed"),
        messages={"objection": "objection"}),
}
