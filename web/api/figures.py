"""The figures and the node assessment for the steering systems of the joint-review office.

Department supervisors' and heads' tokens see their department (JOINT's see every department);
auditors' and administrators' tokens see everything. Aggregates only: no personal data.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from engine import assessment, directory, kpis
from engine.errors import Message

from ..context import overseers, runtime
from . import api
from .core import Context, Problem, Reply
from .schemas import Out

FIGURE_ROLES = ("supervisor", "head", "auditor", "admin")
PERIOD = r"^\d{4}(?:Q[1-4]|-(?:0[1-9]|1[0-2]))?$"


class KpiQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    period: str | None = Field(default=None, pattern=PERIOD, description="2026, 2026Q4 or 2026-11 (default: this quarter)",
                               examples=["2026Q4"])
    process: str | None = Field(default=None, max_length=100, description="one process id")
    department: str | None = Field(default=None, max_length=16, description="one department code")
    area: str | None = Field(default=None, max_length=64, description="one street office / district")


class AssessmentQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    period: str | None = Field(default=None, pattern=PERIOD, description="2026, 2026Q4 or 2026-11 (default: this quarter)",
                               examples=["2026Q4"])
    process: str | None = Field(default=None, max_length=100, description="one process id")


class KpiReport(Out):
    """The period's figures (working days), the headline figures against the previous period and a year
    earlier, and the monthly trend; a figure with too few cases carries `too_few: true` and no value."""

    period: str
    previous_period: str
    year_before_period: str
    scope: dict[str, str]
    figures: dict[str, Any]
    changes: dict[str, Any]
    trend: list[dict[str, Any]]


class NodeAssessment(Out):
    """One row per department: inputs, normalised parts (0–1), score (0–100) and rank."""

    period: str
    weights: dict[str, float]
    departments: list[dict[str, Any]]


def _department(ctx: Context, asked: str | None) -> str | None:
    """The department a department token may see: its own (JOINT: any); auditors and admins: any."""
    if ctx.role in ("auditor", "admin") or ctx.department in overseers():
        return asked
    if asked and asked != ctx.department:
        raise Problem(403, Message("api_figures", role=ctx.role, department=ctx.department))
    return ctx.department


def _period(text: str | None) -> kpis.Period:
    return kpis.parse_period(text) if text else kpis.current_period("quarter", runtime().calendar.tz)


@api.operation("GET", "/kpis", tag="figures", roles=FIGURE_ROLES, query=KpiQuery, problems=(403,),
               summary="Read the figures of a period",
               responses={200: (KpiReport, "Handling and disbursement times, rates, volumes and steps per department")})
def read_kpis(ctx: Context) -> Reply:
    """The figures of `../shared/notes/kpis.md` for one period and scope, computed from the case histories."""
    q = ctx.query
    scope = kpis.Scope(process=q.process, department=_department(ctx, q.department), area=q.area)
    period, tz = _period(q.period), runtime().calendar.tz
    with runtime().db.read() as session:
        figures = kpis.compare(session, period, scope, tz)
        trend = kpis.trend(session, period, scope, tz)
    changes = figures.pop("changes")
    return Reply(200, KpiReport(period=figures.pop("period"), previous_period=figures.pop("previous_period"),
                                year_before_period=figures.pop("year_before_period"), scope=figures.pop("scope"),
                                figures=figures, changes=changes, trend=trend))


@api.operation("GET", "/node-assessment", tag="figures", roles=FIGURE_ROLES, query=AssessmentQuery, problems=(403,),
               summary="Read the node assessment of a period",
               responses={200: (NodeAssessment, "Every visible department's inputs, parts, score and rank")})
def read_node_assessment(ctx: Context) -> Reply:
    """The quarterly node assessment (节点考核) with the weights in force."""
    q = ctx.query
    own = _department(ctx, None)
    with runtime().db.read() as session:
        codes = [own] if own else directory.codes(session)
        result = assessment.assess(session, _period(q.period), codes, runtime().calendar.tz, process=q.process)
    return Reply(200, NodeAssessment(**result))
