"""At the counter (窗口): print the 受理回执 and the 一次性告知书 (page and PDF), record the corrections an applicant
brings in person (补正登记), and keep scanned materials as attachments of the case (workflows/counter.py,
engine/attachments.py). Printing, uploading and opening an attachment are recorded in the audit log."""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, gettext as _
from flask_login import login_required
from sqlalchemy import select

from engine import attachments, cases, supervision, wallclock
from engine.errors import Conflict, InvalidInput, NotFound
from engine.models import Case, Department, Task
from engine.models_office import Attachment
from workflows import counter
from workflows.intake import INTAKES
from workflows.portal import PUBLIC

from .cases import _case, _owner as owner_of, _scope
from .context import actor, overseers, runtime
from . import localized
from .i18n import error_text, field_errors
from .printing import render
from .names import separator

bp = Blueprint("counter", __name__)
OTHER = "other"
PER_UPLOAD = 5  # files in one upload
UPLOAD_LIMIT = PER_UPLOAD * attachments.MAX_BYTES + 1024 * 1024


def upload_limit() -> None:
    """Scanned materials may be larger than the app's usual request limit (4 MB): widen it for their upload only."""
    if request.endpoint in ("counter.upload", "step_files.upload"):
        request.max_content_length = UPLOAD_LIMIT


@dataclass
class Panel:
    """What the case page offers at the counter, for this user."""

    served: bool = False
    window: bool = False
    notice: bool = False
    correction: bool = False
    may_attach: bool = False
    may_open: bool = False
    kinds: list[tuple[str, str]] = field(default_factory=list)
    files: list = field(default_factory=list)


def _owner(case: Case) -> str | None:
    with runtime().db.read() as session:
        return owner_of(session, case)


def _state(case: Case):
    """(model, the case's current data, the correction message it waits for or None, that wait's deadline)."""
    with runtime().db.read() as session:
        model = runtime().model(session, case.definition_id)
        if case.status != "running":
            return model, {}, None, None
        wf = cases.load(session, runtime(), case)
    message = counter.correction_message(case.process_key)
    waiting = message if message in cases.waiting_messages(wf) else None
    return model, cases.current_data(wf), waiting, cases.message_deadline(wf, message) if waiting else None


def _my_window(case: Case, owner: str | None) -> str | None:
    """The user's department that serves this case's applicant at the counter, or None (the engine's rule,
    Actor.window: the owner's window, or one that takes the process's applications)."""
    intake = INTAKES.get(case.process_key)
    return actor().window(owner, intake.departments if intake else ())


def _may_open(case: Case, owner: str | None) -> bool:
    """Whoever may read the case's whole file (not a department that only answered an inquiry) may open its
    attachments."""
    if case.purged_at is not None:
        return False
    with runtime().db.read() as session:
        tasks = list(session.execute(select(Task).where(Task.case_id == case.id)).scalars())
        model = runtime().model(session, case.definition_id)
    me = actor()
    whole = _scope(model, case, tasks, me, supervision.may_supervise(me, overseers())) is None
    return whole or _my_window(case, owner) is not None


def _kept_by_own_department(case: Case, attachment_id: int) -> bool:
    """A document the user's department kept with a step's answer (web/step_files.py), which it may open again even
    where it reads no more of the case than that step (an inquiry it answered)."""
    with runtime().db.read() as session:
        row = session.get(Attachment, attachment_id)
    return row is not None and row.case_id == case.id and row.task_id is not None \
        and row.department in actor().departments


def panel(case: Case, waiting: list[str], missing: list[str], whole_file: bool) -> Panel:
    """The counter section of the case page (a Jinja global), from what the case page already read: the messages
    the case waits for, the items missing, and whether the reader may read the whole case file."""
    if not counter.served(case.process_key) or case.purged_at is not None:
        return Panel()
    window = _my_window(case, _owner(case)) is not None
    with runtime().db.read() as session:
        files = attachments.of_case(session, case.id) if whole_file or window else []
    correcting = counter.correction_message(case.process_key) in waiting
    view = PUBLIC[case.process_key]
    names = localized.options(case.process_key, view.materials_field, view.materials, case.definition_id) \
        if view.materials_field else view.materials  # in the reader's language, as the process translates them
    kinds = list(names.items()) + [(OTHER, _("Other material"))]
    return Panel(True, window, window and correcting and bool(missing), window and correcting,
                 window and case.status == "running", whole_file or window, kinds, files)


def _paper(key: str, kind: str):
    case = _case(key)
    if not counter.served(case.process_key) or case.purged_at is not None:
        abort(404)
    model, data, waiting, deadline = _state(case)
    window = _my_window(case, model.owner_department)
    if window is None:
        abort(403)
    office = _office(window)
    if kind == "receipt":
        if case.status != "running":
            with runtime().db.read() as session:
                wf = cases.load(session, runtime(), case)
            data = cases.current_data(wf)
        doc = counter.receipt(case.business_key, case.process_key, case.started_at, data,
                              model.case_target_workdays, runtime().calendar, office)
        return case, doc, office, bool(waiting and data.get("missing_items"))
    doc = counter.notice(case.business_key, case.process_key, data, wallclock.now(), deadline, runtime().calendar, office)
    if doc is None or not waiting:
        flash(_("%(key)s waits for no correction: there is no notice to print.", key=key), "error")
        return case, None, office, False
    return case, doc, office, True


def _office(code: str) -> str:
    """The window's department as the paper names it: always in Chinese (an official document), whatever the
    clerk's screen language."""
    with runtime().db.read() as session:
        row = session.get(Department, code)
    return row.name_zh if row is not None else code


def _issued(key: str, form: str):
    """The paper this URL names (the 受理回执, or the 一次性告知书 on the notice URLs) as (case, document, office,
    whether a notice is due), its issue recorded; document None (said, nothing recorded) when there is none."""
    kind = "notice" if request.endpoint in ("counter.notice", "counter.notice_pdf") else "receipt"
    case, doc, office, told = _paper(key, kind)
    if doc is not None:
        with runtime().db.write() as session:
            cases.note(session, actor(), key, "document_printed",
                       {"document": "one_time_notice" if kind == "notice" else kind, "format": form})
    return case, doc, office, told


@bp.route("/cases/<key>/receipt")
@bp.route("/cases/<key>/notice", endpoint="notice")
@login_required
def receipt(key: str):
    """The 受理回执 (or the 一次性告知书) as a page to print."""
    case, doc, office, told = _issued(key, "page")
    if doc is None:
        return redirect(url_for("cases.show", key=key))
    return render_template("counter_document.html", case=case, doc=doc, office=office, told=told,
                           today=counter.day(wallclock.now(), runtime().calendar))


@bp.route("/cases/<key>/receipt.pdf")
@bp.route("/cases/<key>/notice.pdf", endpoint="notice_pdf")
@login_required
def receipt_pdf(key: str):
    """The same paper as a PDF (A4, Chinese font embedded)."""
    case, doc, office, _told = _issued(key, "pdf")
    if doc is None:
        return redirect(url_for("cases.show", key=key))
    body = render(doc, office, counter.day(wallclock.now(), runtime().calendar))
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename=\"{doc.kind}-{key}.pdf\"; "
                               f"filename*=UTF-8''{quote(f'{doc.title}-{key}.pdf')}",
        "Cache-Control": "no-store"})


@bp.route("/cases/<key>/correction", methods=["GET", "POST"])
@login_required
def correction(key: str):
    """补正登记: what the applicant brought to the window goes to the case, as a correction through the portal
    would; the case then checks the application again."""
    case = _case(key)
    if not counter.served(case.process_key):
        abort(404)
    model, data, waiting, deadline = _state(case)
    if _my_window(case, model.owner_department) is None:
        abort(403)
    if not waiting:
        flash(_("%(key)s waits for no correction now.", key=key), "error")
        return redirect(url_for("cases.show", key=key))
    form = counter.correction_form(case.process_key, data)
    form = counter.in_english(form) if localized.english() else form
    values, errors, chosen = {}, {}, []
    if request.method == "POST":
        values = {f.id: request.form.get(f.id, "") for f in form if f.type != "multi"}
        chosen = request.form.getlist("materials")
        try:
            payload = counter.correction(case.process_key, data, values, chosen)
            with runtime().db.write() as session:
                cases.send_message(session, runtime(), actor(), key, waiting, payload)
        except InvalidInput as exc:
            errors = field_errors(exc, form=form)
        except (Conflict, NotFound) as exc:
            flash(error_text(exc), "error")
            return redirect(url_for("cases.show", key=key))
        else:
            flash(_("The correction of %(key)s was recorded; the application is checked again.", key=key), "success")
            return redirect(url_for("cases.show", key=key))
    return render_template("counter_correction.html", case=case, form=form, values=values, errors=errors,
                           chosen=chosen, missing=data.get("missing_items") or [],
                           deadline=format_date(deadline.astimezone(runtime().calendar.tz).date(), "long")
                           if deadline else None), \
        (422 if errors else 200)


@bp.route("/cases/<key>/attachments", methods=["POST"])
@login_required
def upload(key: str):
    """Scanned materials brought to the window, kept with the case."""
    case = _case(key)
    window = _my_window(case, _owner(case))
    if window is None or not counter.served(case.process_key):
        abort(403)
    if case.status != "running":
        flash(_("%(key)s is finished: no attachments can be added.", key=key), "error")
        return redirect(url_for("cases.show", key=key))
    kinds = dict(PUBLIC[case.process_key].materials) | {OTHER: ""}
    kind = request.form.get("kind", OTHER)
    files = [f for f in request.files.getlist("file") if f and f.filename]
    if kind not in kinds:
        flash(_("Choose what the scanned file is."), "error")
        return redirect(url_for("cases.show", key=key))
    if not files:
        flash(_("Choose a scanned file (PDF, JPEG or PNG) to upload."), "error")
        return redirect(url_for("cases.show", key=key))
    if len(files) > PER_UPLOAD:
        flash(_("Upload at most %(n)s files at a time.", n=PER_UPLOAD), "error")
        return redirect(url_for("cases.show", key=key))
    added, name = [], ""
    try:
        with runtime().db.write() as session:  # all the files or none
            row = session.get(Case, case.id)
            for item in files[:PER_UPLOAD]:
                name = (item.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:120]
                data = item.stream.read(attachments.MAX_BYTES + 1)
                added.append(attachments.add(session, runtime().attachments_dir, actor(), row, kind, item.filename,
                                             data, window).filename)
    except InvalidInput as exc:
        flash(_upload_problem(next(iter(exc.fields.values()), ""), name), "error")
        return redirect(url_for("cases.show", key=key))
    flash(_("Attached: %(files)s.", files=separator().join(added)), "success")
    return redirect(url_for("cases.show", key=key))


def _upload_problem(problem: str, name: str) -> str:
    if problem == "empty":
        return _("%(file)s is empty.", file=name)
    if problem.startswith("too_large"):
        return _("%(file)s is larger than %(limit)s MB.", file=name, limit=problem.split(":")[1])
    if problem == "too_many":
        return _("This case already has the most attachments it may have.")
    return _("%(file)s is not a PDF, JPEG or PNG file.", file=name)


@bp.route("/cases/<key>/attachments/<int:attachment_id>")
@login_required
def download(key: str, attachment_id: int):
    """One attachment, for those who may read the case file; every opening is recorded."""
    case = _case(key)
    if not _may_open(case, _owner(case)) and not _kept_by_own_department(case, attachment_id):
        abort(403)
    try:
        with runtime().db.write() as session:
            row = attachments.get(session, attachment_id)
            if row.case_id != case.id:
                abort(404)
            department = next(iter(actor().departments), None)
            data = attachments.read(session, runtime().attachments_dir, actor(), row, session.get(Case, case.id),
                                    department)
            name, media = row.filename, row.media_type
    except NotFound:
        abort(404)
    except attachments.Damaged:
        flash(_("The file of this attachment is missing or damaged in the store; tell the administrator."), "error")
        return redirect(url_for("cases.show", key=key))
    disposition = "inline" if request.args.get("view") else "attachment"
    return Response(data, mimetype=media, headers={
        "Content-Disposition": f"{disposition}; filename=\"attachment-{attachment_id}{name[name.rfind('.'):]}\"; "
                               f"filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox"})


@bp.app_context_processor
def _globals():
    return {"counter_panel": panel}
