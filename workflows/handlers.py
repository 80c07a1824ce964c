"""Service-task handlers of the joint-review processes, registered by Camunda external-task topic.

The engine finds `register` through the `jointreview.handlers` entry point; a test can register a
fake under the same topic to take a registry out of the picture.
"""
from __future__ import annotations

from engine.runtime import Runtime

from . import checks, fraud, notice, rule_confirmation

HANDLERS = {
    "intake.completeness": checks.completeness,
    "registry.psb": checks.psb_check,
    "registry.hrss": checks.hrss_check,
    "registry.hud": checks.hud_check,
    "registry.health": checks.health_check,
    "subsidy.prefill": checks.subsidy_prefill,
    "subsidy.grid": checks.assign_grid,
    "subsidy.register": fraud.register_application,
    "subsidy.verify": checks.subsidy_verify,
    "fraud.screen": fraud.screen,
    "subsidy.notice": notice.register,
    "subsidy.close": fraud.close_application,
}


def register(rt: Runtime) -> None:
    """Register every handler with a runtime, what a purged case's application record leaves behind, and the
    values staff find our cases by (the child's name and ID number as well as the applicant's; the case an inquiry
    or a follow-up is about, so that the case page lists them)."""
    for topic, handler in HANDLERS.items():
        rt.register(topic, handler)
    rule_confirmation.register(rt)
    rt.search_fields = tuple(dict.fromkeys((*rt.search_fields, "child_name", "child_id", "case_ref")))
    rt.on_purge(fraud.forget_application)
