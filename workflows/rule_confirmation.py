"""The co-sign of a changed shared rule table (政策细则协同确认, bpmn/rule_confirmation.bpmn): the data its case starts
with and its two service tasks. engine/rules.py keeps the versions; this module is the process that decides them."""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine import cases, rules
from engine.models_office import RuleVersion
from engine.routing import Actor
from engine.rule_diff import diff
from engine.runtime import Runtime, ServiceCall

PROCESS = "rule_confirmation"


def confirmation_data(session: Session, row: RuleVersion) -> dict:
    """The data a co-sign case starts with: what changes, row by row, and who signs."""
    active = rules.active_version(session, row.decision)
    return {"rule_version_id": row.id, "decision": row.decision, "table_name": rules.table_name(row),
            "version": row.version, "active_version": active.version if active else None,
            "signing_departments": row.departments.split(","), "proposed_by": row.proposed_by,
            "proposal_note": row.note, "effective_at": row.effective_at.isoformat() if row.effective_at else "",
            "rule_change": diff(active.content if active else "", row.content, row.decision)}


def start(session: Session, rt: Runtime, actor: Actor, row: RuleVersion) -> str:
    """Start the co-sign case of a proposed version; its case number."""
    return cases.start(session, rt, actor, PROCESS, confirmation_data(session, row)).business_key


def refusals(data: dict) -> list[str]:
    """“department：reason” for every signature that did not agree."""
    return [f"{s.get('signing_department')}：{s.get('sign_reason') or ''}" for s in data.get("signatures") or []
            if s.get("sign_decision") != "agree"]


def register(rt: Runtime) -> None:
    """Make this process the runtime's co-sign of shared tables, with its service tasks."""

    def activate_handler(call: ServiceCall) -> dict:
        row = rules.version_of(call.session, int(call.data["rule_version_id"]))
        with call.session.begin_nested():  # all of it or nothing: a failed redeploy leaves the version proposed
            deployed = rules.activate(call.session, rt, row, call.now)
        call.record("rule_deployed", decision=row.decision, version=row.version,
                    processes=sorted({d.process_key for d in deployed if getattr(d, "process_key", None)}))
        return {"rule_status": "active"}

    def refuse_handler(call: ServiceCall) -> dict:
        row = rules.version_of(call.session, int(call.data["rule_version_id"]))
        with call.session.begin_nested():
            rules.refuse(call.session, row, refusals(call.data), call.now)
        return {"rule_status": "refused"}

    rt.rule_cosign = start
    rt.register("rules.activate", activate_handler)
    rt.register("rules.refuse", refuse_handler)
