"""The dashboard (/dashboard): the figures the joint review is steered by, as numbers and ECharts charts,
every number a link to the cases behind it; and the quarterly node assessment (节点考核) with its
downloads. Department heads and supervisors see their departments; JOINT's head and supervisors,
auditors and administrators see everything. Aggregates only: no personal data."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from flask import (Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, send_from_directory,
                   url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import login_required
from openpyxl import Workbook
from sqlalchemy import select

from engine import alerts, assessment, directory, facts, kpis, periods, repository
from engine.errors import InvalidInput, Message, NotFound
from engine.forms import option_labels
from engine.models import CaseRollup, ProcessDefinition
from engine.routing import ROLE_RANK

from . import localized
from .context import actor, overseers, row_id, runtime
from .details import outcome_names
from .i18n import department_name, error_text, field_errors, problems as named_problems
from .names import closing, colon, opening, period as period_name
from .spreadsheet import as_text, sheet_title

bp = Blueprint("dashboard", __name__)
ECHARTS = Path(__file__).parent / "node_modules" / "echarts" / "dist"


def visible_departments() -> list[str] | None:
    """None when the user sees every department; else the departments they head or supervise (403 if none)."""
    me = actor()
    led = sorted(code for code, role in me.departments.items() if ROLE_RANK.get(role, 0) >= ROLE_RANK["supervisor"])
    if set(me.roles) & {"auditor", "admin"} or set(led) & set(overseers()):
        return None
    if not led:
        abort(403)
    return led


def _scope(departments: list[str] | None) -> kpis.Scope:
    department = request.args.get("department") or None
    if departments is not None and department not in departments:
        department = departments[0]
    return kpis.Scope(process=request.args.get("process") or None, department=department,
                      area=request.args.get("area") or None)


def _period(page: bool = True) -> kpis.Period:
    """The period asked for; one refused is said on the `page` shown (the current quarter shown instead), else raised
    (a download or the heat map's data: no page to say it on)."""
    text = request.args.get("period")
    tz = runtime().calendar.tz
    if not text:
        return kpis.current_period(request.args.get("kind", "quarter"), tz)
    try:
        return kpis.parse_period(text)
    except InvalidInput as exc:  # the engine's words, as the REST API says them
        if not page:
            raise
        flash(error_text(exc), "error")
        return kpis.current_period("quarter", tz)


KINDS = {"month": _l("Months"), "quarter": _l("Quarters"), "year": _l("Years")}


@bp.app_template_global()
def period_choices(shown: kpis.Period) -> list[tuple[str, list[kpis.Period]]]:
    """The periods a filter bar offers, by kind named in the reader's language (engine/periods.recent)."""
    return [(str(KINDS[kind]), found) for kind, found in periods.recent(runtime().calendar.tz, shown)]


def _category_labels(session, latest: dict[str, int]) -> dict[str, str]:
    """What the processes' forms call each category value (e.g. employment → 就业补贴), in the reader's language."""
    labels: dict[str, str] = {}
    for process_key, definition_id in latest.items():
        model = runtime().model(session, definition_id)
        category = model.kpi_fields.get("category")
        if category:
            specs = [*model.spec.task_specs.values(),
                     *(t for sub in model.subprocess_specs.values() for t in sub.task_specs.values())]
            labels.update(localized.options(process_key, category, option_labels(specs, category), definition_id))
    return labels


def _choices(session, departments: list[str] | None) -> dict:
    rows = session.execute(select(ProcessDefinition.process_key, ProcessDefinition.name, ProcessDefinition.id)
                           .order_by(ProcessDefinition.version)).all()
    latest = {key: definition_id for key, _, definition_id in rows}
    names = {key: localized.process(key, name, latest[key]) for key, name, _ in rows}  # the newest version's name
    codes = departments or directory.codes(session)
    areas = sorted(a for a in session.execute(select(CaseRollup.area).distinct()).scalars() if a)
    return {"processes": names, "departments": codes, "areas": areas, "categories": _category_labels(session, latest)}


@bp.route("/dashboard")
@login_required
def index():
    """Headline figures with comparisons, charts and the tables behind them."""
    departments = visible_departments()
    period, scope = _period(), _scope(departments)
    tz = runtime().calendar.tz
    with runtime().db.read() as session:
        figures = kpis.compare(session, period, scope, tz)
        trend = kpis.trend(session, period, scope, tz)
        choices = _choices(session, departments)
        updated = facts.as_of(session)
        raised = alerts.open_alerts(session, departments)
    steps = {code: row for code, row in figures["steps"].items() if departments is None or code in departments}
    charts = {  # each month named as the reader writes it (2026年11月, November 2026; Nov 2026 under the axis)
        "trend": [{**m, "name": period_name(m["month"]), "short": period_name(m["month"], short=True)} for m in trend], "steps": steps, "volume": figures["volume"],
        "labels": {"handling": _("Handling time (working days)"), "accepted": _("Accepted"),
                   "on_time": _("On time"), "overdue": _("Overdue now"), "escalations": _("Escalations"),
                   "by_area": _("Applications by district"), "by_process": _("Accepted by process"),
                   "by_category": _("Subsidies by type")},
        "processes": choices["processes"], "categories": choices["categories"],
        "areas": {area: area or _("not given") for area in figures["volume"]["by_area"]},  # the bars' names
        "departments": {code: department_name(code) for code in steps},  # the axes name them; links keep the codes
    }
    return render_template("dashboard.html", f=figures, period=period, scope=scope, choices=choices, steps=steps,
                           charts=charts, updated=updated, limited=departments, alerts=raised)


@bp.route("/dashboard/cases")
@login_required
def drill():
    """The cases (or steps) behind one number of the dashboard."""
    departments = visible_departments()
    period, scope = _period(), _scope(departments)
    figure = request.args.get("figure", "")
    group, value = request.args.get("group") or None, request.args.get("value")
    if figure in kpis.STEP_FIGURES and departments is not None and value not in departments:
        value = scope.department
    try:
        with runtime().db.read() as session:
            rows = kpis.cases_behind(session, figure, period, scope, runtime().calendar.tz, group, value or None)
            choices = _choices(session, departments)
            outcomes = outcome_names(session, rows) if figure not in kpis.STEP_FIGURES else {}
    except InvalidInput as exc:
        abort(404, exc.message)
    return render_template("dashboard_cases.html", rows=rows, figure=figure, period=period, scope=scope,
                           steps=figure in kpis.STEP_FIGURES, group=group, value=value, processes=choices["processes"],
                           outcomes=outcomes, about=_about(scope, group, value, choices))


def _about(scope: kpis.Scope, group: str | None, value: str | None, choices: dict) -> list[str]:
    """What a drill-down is limited to, each named once in the reader's words: a department scoped and grouped by
    is one 教育局, not 教育局 · 教育局; a process or a category by its name, not its code."""
    named = {"department": department_name, "addressee": department_name,
             "process": lambda v: choices["processes"].get(v, v), "category": lambda v: choices["categories"].get(v, v)}
    parts = [department_name(scope.department) if scope.department else None,
             choices["processes"].get(scope.process, scope.process) if scope.process else None, scope.area]
    if group:
        parts.append(named.get(group, str)(value) if value else _("not given"))
    return list(dict.fromkeys(p for p in parts if p))


def _assessed(departments: list[str] | None, period: kpis.Period) -> tuple[kpis.Period, dict]:
    with runtime().db.read() as session:
        codes = departments or directory.codes(session)
        result = assessment.assess(session, period, codes, runtime().calendar.tz,
                                   process=request.args.get("process") or None)
    return period, result


@bp.route("/dashboard/assessment")
@login_required
def node_assessment():
    """The node assessment of a quarter (or month, year): inputs, parts, score and rank per department."""
    departments = visible_departments()
    period, result = _assessed(departments, _period())
    return render_template("assessment.html", period=period, result=result, columns=assessment.COLUMNS,
                           rows=[assessment.flat(r) for r in result["departments"]], parts=assessment.PARTS,
                           rates=assessment.RATES, can_weigh="admin" in actor().roles, shares=shares(result["weights"]))


def shares(weights: dict[str, float]) -> dict[str, str]:
    """Each weight as its share of the score in percent (0.4 of 1 → 40), as people read weights; the score is the
    weighted mean, so weights typed as these percentages weigh the same."""
    total = sum(weights.values())
    return {name: f"{100 * w / total:.1f}".rstrip("0").rstrip(".") if total else "0" for name, w in weights.items()}


@bp.route("/dashboard/assessment.<kind>")
@login_required
def assessment_download(kind: str):
    """The node assessment as CSV or Excel, with a header row a spreadsheet can filter."""
    if kind not in ("csv", "xlsx"):
        abort(404)
    departments = visible_departments()
    try:
        period, result = _assessed(departments, _period(page=False))
    except InvalidInput as exc:  # said on the assessment page, not a file of another period
        flash(error_text(exc), "error")
        return redirect(url_for("dashboard.node_assessment", process=request.args.get("process") or None))
    header = [_(label) for name, label in assessment.COLUMNS]
    rows = [[department_name(row[name]) if name == "department" else row[name] for name, label in assessment.COLUMNS]
            for row in map(assessment.flat, result["departments"])]
    filename = f"node-assessment-{period.label}.{kind}"
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        rates = [name in assessment.RATES for name, _label in assessment.COLUMNS]
        writer.writerows([[_percent(v) if rate else as_text(v) for v, rate in zip(row, rates)] for row in rows])
        body, mime = ("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"
    else:
        book = Workbook()
        sheet = book.active
        sheet.title = sheet_title(period_name(period.label))  # 2026年11月 / November 2026, as the page names it
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # a name, not a formula (openpyxl writes "=…" as one)
        for number, (name, _label) in enumerate(assessment.COLUMNS, 1):
            if name in assessment.RATES:  # 0.83 reads 83.0 %
                for (cell,) in sheet.iter_rows(min_row=2, min_col=number, max_col=number):
                    cell.number_format = "0.0%"
        sheet.auto_filter.ref = sheet.dimensions
        sheet.freeze_panes = "A2"
        buffer = io.BytesIO()
        book.save(buffer)
        body, mime = buffer.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _percent(value):
    """A rate in a CSV as a spreadsheet reads a percentage (0.971 → 97.1%), as the page and the Excel file show it."""
    return "" if value is None else f"{value * 100:.1f}%"


@bp.route("/dashboard/assessment/weights", methods=["POST"])
@login_required
def weights():
    """Administrators set the weights of the score (stored and audited)."""
    if "admin" not in actor().roles:
        abort(403)
    given = {name: request.form.get(name, "") for name in assessment.PARTS}
    try:
        with runtime().db.write() as session:
            assessment.set_weights(session, actor(), given)
        flash(_("The weights were saved."), "ok")
    except InvalidInput as exc:
        flash(_("The weights were not saved: %(problems)s",
                problems=named_problems(field_errors(exc), label=_)), "error")
    return redirect(url_for("dashboard.node_assessment", period=request.form.get("period") or None))


ALERTS_PER_PAGE = 25


@bp.route("/dashboard/alerts")
@login_required
def alert_list():
    """Stagnation alerts raised and not cleared (visible departments), filtered by department and kind, a page at a
    time; and the rules that raise them."""
    return _alerts_page()


def _alerts_page(typed: dict | None = None, status: int = 200):
    """The alerts page; `typed`: what a refused new rule held, to fill its form in again."""
    departments = visible_departments()
    department = request.args.get("department") or None
    kind = request.args.get("kind") if request.args.get("kind") in alerts.KINDS else None
    try:
        page = max(int(request.args.get("page", "1")), 1)
    except ValueError:
        page = 1
    with runtime().db.read() as session:
        choices = _choices(session, departments)
        if department is not None and department not in choices["departments"]:
            department = None  # a department one does not see is no filter
        shown = [department] if department else departments
        total = alerts.count_open(session, shown, kind)
        pages = max((total + ALERTS_PER_PAGE - 1) // ALERTS_PER_PAGE, 1)
        page = min(page, pages)
        raised = alerts.open_alerts(session, shown, limit=ALERTS_PER_PAGE, kind=kind,
                                    offset=(page - 1) * ALERTS_PER_PAGE)
        rules = alerts.rules(session)
        steps = _rule_steps(session, rules)
        offered = _offered_steps(session, choices["processes"]) if "admin" in actor().roles else {}
    typed = typed or {}
    group = next((key for key in [typed.get("process_key"), *offered] if typed.get("element_id") in offered.get(key, ())),
                 None)  # the process group whose step was chosen: the chosen process's own, if it has that step
    return render_template("alerts.html", alerts=raised, rules=rules, steps=steps, processes=choices["processes"],
                           can_edit="admin" in actor().roles, kinds=list(alerts.KINDS), total=total, page=page,
                           pages=pages, department=department, kind=kind, departments=choices["departments"],
                           offered=offered, typed=typed, step_group=group), status


def _rule_steps(session, rules: list) -> dict[int, str]:
    """Each step rule's step as the newest version of its process names it, in the reader's language; a step that
    version no longer has keeps its element id and says so."""
    names = {key: repository.step_names(session, runtime(), key) for key in {r.process_key for r in rules if r.element_id}}
    out = {}
    for r in (r for r in rules if r.element_id):
        name = names[r.process_key].get(r.element_id)
        out[r.id] = (localized.step(r.process_key, r.element_id, name) if name is not None else
                     r.element_id + opening() + _("no longer in the current process") + closing())
    return out


def _offered_steps(session, processes: dict[str, str]) -> dict[str, dict[str, str]]:
    """The steps a new step rule may name: per process, its newest version's steps (element id → name in the
    reader's language)."""
    return {key: {eid: localized.step(key, eid, name)
                  for eid, name in repository.step_names(session, runtime(), key).items()} for key in processes}


@bp.route("/dashboard/alerts/rules", methods=["POST"])
@login_required
def alert_rules():
    """Administrators add or remove alert rules (audited); a refused new rule shows its form again as it was filled."""
    if "admin" not in actor().roles:
        abort(403)
    typed = {name: request.form.get(name, "") for name in ("process_key", "kind", "threshold", "element_id")}
    try:
        with runtime().db.write() as session:
            if request.form.get("remove"):
                number = row_id(request.form["remove"])
                if number is None:  # not a rule's number (a crafted form): past 64 bits the database raised
                    abort(400)
                alerts.remove_rule(session, actor(), number)
                flash(_("The rule was removed."), "ok")
            else:
                try:
                    threshold = float(typed["threshold"])
                except ValueError:
                    raise InvalidInput(Message("alert_not_saved"), {"threshold": Message("alert_number")}) from None
                alerts.add_rule(session, runtime(), actor(), alerts.RuleSpec(typed["process_key"], typed["kind"],
                                                                             threshold, typed["element_id"] or None))
                flash(_("The rule was saved; cases are watched under it from their next move."), "ok")
    except (InvalidInput, NotFound) as exc:
        said = field_errors(exc) if getattr(exc, "fields", None) else {}
        flash(_("The rule was not saved: %(problems)s",
                problems=named_problems(said) or error_text(exc)), "error")
        return _alerts_page({} if request.form.get("remove") else typed, 400)
    return redirect(url_for("dashboard.alert_list"))


@bp.route("/dashboard/bottlenecks")
@login_required
def bottlenecks():
    """The process diagram coloured by the mean working days per step, with the cases waiting at each step."""
    departments = visible_departments()
    period, scope = _period(), _scope(departments)
    with runtime().db.read() as session:
        choices = _choices(session, departments)
    process = scope.process or next(iter(choices["processes"]), None)
    return render_template("bottlenecks.html", period=period, scope=scope, process=process, choices=choices,
                           limited=departments)


@bp.route("/dashboard/bottlenecks.json")
@login_required
def bottleneck_data():
    """The BPMN of the process's newest version and the figures per step, for the heat map."""
    departments = visible_departments()
    try:
        period, scope = _period(page=False), _scope(departments)
    except InvalidInput as exc:
        return jsonify(error=error_text(exc)), 400
    if not scope.process:
        abort(404)
    with runtime().db.read() as session:
        definition = session.execute(select(ProcessDefinition).where(ProcessDefinition.process_key == scope.process)
                                     .order_by(ProcessDefinition.version.desc()).limit(1)).scalar_one_or_none()
        if definition is None:
            abort(404)
        xml = repository.main_xml(session, definition)
        steps = kpis.bottlenecks(session, period, scope, runtime().calendar.tz)
    steps = {element: {**s, "days": _days(s["work_days"].get("avg"))} for element, s in steps.items()}
    return jsonify(xml=xml, steps=steps, labels={"waiting": _("Waiting now"), "too_few": _("too few cases"),
                                                 "colon": colon()})


def _days(avg: float | None) -> str | None:
    """A step's mean working days as its badge says them, number and unit placed by the language (3.2个工作日)."""
    return None if avg is None else _("%(n)s working days", n=avg)


@bp.route("/vendor/echarts/<path:name>")
def vendor(name: str) -> Response:
    """Apache ECharts from npm (installed by the setup), served by us: no CDN."""
    if not ECHARTS.exists():
        abort(404)
    return send_from_directory(ECHARTS, name, max_age=86400)


@bp.app_template_filter("pct")
def percent(value: float | None) -> str:
    """A share as a percentage; — when there is none (no data, or too few cases)."""
    return f"{100 * value:.1f}%" if isinstance(value, (int, float)) else "—"


@bp.app_template_filter("change")
def change(value: float | None) -> str:
    """A relative change as +12.5% / −3.0%; empty when it cannot be computed."""
    return f"{'+' if value >= 0 else ''}{100 * value:.1f}%" if isinstance(value, (int, float)) else ""
