"""Auditor views (read-only): search all cases, the audit log with filters and CSV export, and the
button that verifies the hash chain."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, abort, flash, render_template, request, stream_with_context
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select

from engine import audit as chain
from engine import eventlog
from engine.models import AuditEntry, ProcessDefinition

from .context import actor, require_role, runtime
from .details import readable
from .i18n import department_name, say
from .names import chinese, moment, person
from .privacy import exported_entries, record_export
from .spreadsheet import as_text
from . import localized, search as cases_search

bp = Blueprint("audit", __name__)
EVENTS = ["case_started", "task_ready", "task_claimed", "task_released", "task_reassigned", "task_completed",
          "task_cancelled", "timer_fired", "reminder", "escalation", "message_received", "case_completed",
          "case_failed", "case_stuck", "registry_unavailable", "fraud_screened", "comment_added", "case_viewed",
          "data_revealed", "process_deployed", "user_created", "password_set", "user_activated", "user_deactivated",
          "access_changed", "department_alias_added", "token_issued", "token_revoked", "milestone",
          "assessment_weights_set", "event_log_exported", "stagnation_alert", "alert_rule_added", "alert_rule_removed",
          "case_rated", "audit_exported", "data_read", "task_sent_back", "task_withdrawn", "task_urged", "task_transferred", "deputy_named", "deputy_revoked", "case_copied", "task_delegated", "delegation_returned", "supervision_opened",
          "supervision_closed", "signer_added", "task_signed", "signer_removed", "sent_for_signature", "clock_stopped",
          "case_purged", "legal_hold_placed", "legal_hold_lifted",
          "clock_resumed", "department_wait_started", "department_wait_ended", "department_unit_saved",
          "calendar_notice_imported", "calendar_day_added", "calendar_day_removed", "calendar_notice_named",
          "due_dates_recomputed", "decision_made",
          "rule_version_proposed", "rule_version_activated", "rule_version_refused", "rule_deployed",
          "case_migrated", "attachment_added", "attachment_viewed", "document_printed",
          "notice_published", "department_head_title_set", "task_draft_saved", "delegation_sent_back",
          "delegation_returned_to_queue"]
PAGE = 50
# The export's columns as the audit page names them (the hashed values stay as they are; see export())
HEADINGS = {"seq": _l("Entry number"), "at": _l("Time"), "actor": _l("Who"), "department": _l("Department"),
            "case_id": _l("Case number (internal)"), "business_key": _l("Business key"), "task_id": _l("Task number"),
            "event": _l("Event code"), "details": _l("Details (as recorded)"), "prev_hash": _l("Previous entry's hash"),
            "hash": _l("Hash"), "redacted_at": _l("Details removed at")}


@bp.app_template_global()
def event_label(event: str) -> str:
    """An audit event's name in the user's language (案件受理 for case_started): the one source for the audit page,
    the case timeline and the export."""
    return _(event)


def _entries(args: dict[str, str], limit: int | None = PAGE):
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc())
    cal = runtime().calendar
    for name, op in (("from", "ge"), ("to", "lt")):
        day = _day(args.get(name, ""))
        if day is not None:
            moment = datetime.combine(day + timedelta(days=1 if name == "to" else 0), time(0), cal.tz)
            stmt = stmt.where(AuditEntry.at >= moment if op == "ge" else AuditEntry.at < moment)
    if args["event"]:
        stmt = stmt.where(AuditEntry.event == args["event"])
    if args["actor"]:
        stmt = stmt.where(AuditEntry.actor == args["actor"])
    if args["key"]:
        stmt = stmt.where(AuditEntry.business_key == args["key"].upper())
    before = args["before"]
    if before.isascii() and before.isdigit() and len(before) <= 18:  # a page cursor (an entry's seq); else ignored
        stmt = stmt.where(AuditEntry.seq < int(before))
    if limit:
        stmt = stmt.limit(limit)
    with runtime().db.read() as session:
        return list(session.execute(stmt).scalars())


def _shown(entries) -> dict:
    """What the log page shows of each entry: its details in words and the department beside the actor. An urge's
    entry is stored under the urged step's department (the node assessment counts it there); the page names the
    urging person's own department (details.by_department) instead."""
    raw = {e.seq: json.loads(e.details) for e in entries}
    departments = {e.seq: (raw[e.seq].get("by_department") or e.department) if e.event == "task_urged"
                   else e.department for e in entries}
    return dict(details=readable(entries, raw), departments=departments)


def _processes() -> dict[str, str]:
    """The deployed processes, key → name in the user's language (the newest version's name), by name."""
    with runtime().db.read() as session:
        rows = session.execute(select(ProcessDefinition.process_key, ProcessDefinition.name, ProcessDefinition.id)
                               .order_by(ProcessDefinition.version)).all()
    names = {key: localized.process(key, name, version) for key, name, version in rows}
    return dict(sorted(names.items(), key=lambda item: item[1]))


def _process(text: str) -> str | None:
    """The process an event-log export asks for, by key or by name; "" for one no deployed process has."""
    if not text:
        return None
    processes = _processes()
    if text in processes:
        return text
    return next((key for key, name in processes.items() if text == name), "")


def verdict(result: chain.Verification) -> str:
    """The result of a chain check in the user's language."""
    if result.ok:
        return _("Audit log intact: %(count)d entries, hash chain verified.", count=result.checked)
    return _("Audit log broken at entry #%(seq)d: %(reason)s", seq=result.bad_seq, reason=say(result.reason))


def _args() -> dict[str, str]:
    args = {k: request.args.get(k, "").strip() for k in ("event", "actor", "key", "before", "from", "to")}
    for name in ("from", "to"):
        if args[name] and _day(args[name]) is None:
            flash(_("%(value)s is not a date (YYYY-MM-DD); that filter was left out.", value=args[name][:20]), "error")
            args[name] = ""
    return args


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@bp.route("/audit")
@login_required
def log():
    """The audit log, newest first, filtered by event, actor and case; paged by entry number."""
    require_role("auditor", "admin")
    args = _args()
    entries = _entries(args)
    return render_template("audit.html", entries=entries, args=args, result=None, events=EVENTS, processes=_processes(),
                           next_before=entries[-1].seq if len(entries) == PAGE else None,
                           **_shown(entries))


@bp.route("/audit/verify", methods=["POST"])
@login_required
def verify():
    """Check the whole hash chain now and say which entry, if any, was tampered with."""
    require_role("auditor", "admin")
    with runtime().db.read() as session:
        result = chain.verify(session)
    args = {k: "" for k in ("event", "actor", "key", "before", "from", "to")}
    entries = _entries(args)
    return render_template("audit.html", entries=entries, args=args, result=result, verdict=verdict(result), events=EVENTS,
                           processes=_processes(),
                           next_before=entries[-1].seq if len(entries) == PAGE else None,
                           **_shown(entries))


@bp.route("/audit/export.csv")
@login_required
def export():
    """The filtered audit log as CSV (for people without an account), with each entry's hash. Every hashed field
    is written exactly as hashed, in the order of engine/audit.EXPORT_COLUMNS, so the chain can be checked from the
    file; in Chinese the headings are Chinese and four last columns give what a reader looks for, as the audit page
    shows it: the event's name, the time in the office's time zone (the hashed time is UTC), who by name and the
    department by name."""
    require_role("auditor", "admin")
    rows = exported_entries(_entries(_args(), limit=None), actor())
    record_export(actor(), "audit log CSV (web)", len(rows))
    if chinese():  # the same columns in Chinese, then the readable ones: nothing hashed is changed or moved
        text = chain.csv_text(rows, [str(HEADINGS[c]) for c in chain.EXPORT_COLUMNS],
                              [(_("Event"), lambda entry: event_label(entry.event)),
                               (_("Time (Beijing time)"), lambda entry: moment(entry.at, "yyyy-MM-dd HH:mm:ss")),
                               (_("Who (name)"), lambda entry: as_text(person(entry.actor))),  # names are typed by people
                               (_("Department (name)"), lambda entry: as_text(department_name(entry.department))
                                if entry.department else "")])
    else:
        text = chain.csv_text(rows)
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=audit-log.csv"})


@bp.route("/audit/eventlog")
@login_required
def eventlog_export():
    """The case histories as a process-mining event log (XES or CSV), streamed; the export is recorded."""
    require_role("auditor", "admin")
    kind = request.args.get("format", "xes")
    try:
        start, end = (date.fromisoformat(request.args[k]) if request.args.get(k) else None for k in ("from", "to"))
    except ValueError:
        abort(400, _("Dates are written YYYY-MM-DD."))
    if kind not in ("xes", "csv"):
        abort(404)
    asked = request.args.get("process", "").strip()
    process = _process(asked)
    if process == "":  # not an empty file with only its header: the audit page says which name is unknown
        flash(_("No process %(process)s is deployed; choose one of the list.", process=asked[:100]), "error")
        return log(), 400
    selection = eventlog.Selection(process, start, end)
    with runtime().db.write() as session:
        eventlog.record_export(session, actor().username, kind, selection)
    writer = eventlog.xes if kind == "xes" else eventlog.csv_log

    def stream():
        with runtime().db.read() as session:
            yield from writer(session, selection, runtime().calendar.tz)
    mime = "application/xml" if kind == "xes" else "text/csv"
    return Response(stream_with_context(stream()), content_type=f"{mime}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="jointreview-eventlog.{kind}"'})


@bp.route("/audit/cases")
@login_required
def search():
    """All cases, searched by business key, applicant, process and status (read-only)."""
    require_role("auditor", "admin")
    return cases_search.results(_("Search cases"), "audit.search")
