"""Designer views: processes and their versions, upload and validate BPMN/DMN with every problem marked
on the diagram, deploy, view and download any version, compare two versions."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select

from engine import model_diff, repository, rules, uploads
from engine.bpmnxml import is_bpmn
from engine.lint_messages import kind as kind_words
from engine.errors import DeployError, EngineError, InvalidInput
from engine.models import Deployment, ProcessDefinition

from . import localized
from .context import actor, require_role, row_id, runtime
from .i18n import department_name, error_text
from .names import rule_table, separator

bp = Blueprint("designer", __name__)


def _unstash(session, token: str) -> dict[str, bytes]:
    found = uploads.files(session, token, actor().username)
    if found is None:
        abort(404)
    return found


@bp.route("/designer")
@login_required
def index():
    """Every deployed version, newest first within each process."""
    require_role("designer", "admin")
    with runtime().db.read() as session:
        versions = repository.versions(session)
        notes = dict(session.execute(select(Deployment.id, Deployment.note)).all())
    return render_template("designer.html", versions=versions, notes=notes)


@bp.route("/designer/validate", methods=["POST"])
@login_required
def validate():
    """Check uploaded files; show every problem, on the diagram too; offer to deploy when all is well."""
    require_role("designer", "admin")
    files = {Path(f.filename or "").name: f.read() for f in request.files.getlist("files") if f.filename}
    if not files:
        flash(_("Choose one or more .bpmn or .dmn files."), "error")
        return redirect(url_for("designer.index"))
    problems, processes, shared = [], [], []
    try:
        with runtime().db.read() as session:
            compiled = runtime().compile(session, files)
            shared = rules.changes(session, files)
        processes = sorted(model.name for model in compiled.processes.values())
    except DeployError as exc:
        problems = exc.problems
    except EngineError as exc:
        problems = []
        flash(error_text(exc), "error")
    with runtime().db.write() as session:
        token = uploads.stash(session, actor().username, files)
    status = 422 if problems else 200
    undrawable = sorted(n for n, content in files.items() if n.endswith(".bpmn") and not is_bpmn(content))
    return render_template("designer_check.html", token=token, files=sorted(files), problems=problems,
                           processes=processes, shared=shared, marks=_marks(problems), undrawable=undrawable), status


def _marks(problems) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in problems:
        if p.element:
            out.setdefault(p.file, []).append(p.element)
    return out


@bp.route("/designer/uploads/<token>/<name>")
@login_required
def uploaded(token: str, name: str):
    """An uploaded file, for the diagram on the check page."""
    require_role("designer", "admin")
    with runtime().db.read() as session:
        files = _unstash(session, token)
    if name not in files:
        abort(404)
    return Response(files[name], mimetype="application/xml")


@bp.route("/designer/deploy", methods=["POST"])
@login_required
def deploy():
    """Deploy the files checked a moment ago (validated again; nothing is stored if they fail)."""
    require_role("designer", "admin")
    token = request.form.get("token", "")
    note = request.form.get("note", "").strip()
    with runtime().db.read() as session:
        _unstash(session, token)  # an unknown or another designer's set: 404
    if not note:
        flash(_("Say why this version is deployed (the note is recorded)."), "error")
        return redirect(url_for("designer.index"))
    effective = request.form.get("effective", "")
    try:
        at = rules.effective_moment(runtime().calendar, effective)
    except InvalidInput:
        flash(_("The effective date %(value)s is not a date (YYYY-MM-DD).", value=effective.strip()), "error")
        return redirect(url_for("designer.index"))
    try:
        with runtime().db.write() as session:
            files = _unstash(session, token)
            results = repository.deploy(session, runtime(), actor(), files, note, at)
            uploads.discard(session, token)
    except DeployError:  # the files changed since they were checked: the error page lists every problem
        raise
    except EngineError as exc:  # e.g. a shared table still awaiting co-sign: nothing was deployed
        flash(_("Nothing was deployed: %(reason)s", reason=error_text(exc)), "error")
        return redirect(url_for("designer.index"))
    with runtime().db.read() as session:
        for pending in (s for s in rules.status(session) if s.proposed):
            flash(awaiting(pending), "info")
    for item in results:
        if item.created:
            flash(_("%(name)s: version %(version)d deployed.", name=localized.process(item.process_key, item.name),
                    version=item.version), "success")
        else:
            flash(_("%(name)s: unchanged (version %(version)d).", name=localized.process(item.process_key, item.name),
                    version=item.version), "info")
    return redirect(url_for("designer.index"))


def awaiting(pending: rules.Status) -> str:
    """A proposed version of a shared table as the designer is told of it after a deploy (this page's and the
    modeler's): the table by its name, who has still to sign, which version stays in force."""
    return _("Rule table %(table)s v%(version)s awaits co-sign by %(departments)s (%(key)s); v%(active)s stays in "
             "force until all have signed.", table=rule_table(pending.name), version=pending.proposed,
             departments=separator().join(department_name(d) for d in pending.waiting), key=pending.case_key,
             active=pending.active)


@bp.route("/designer/versions/<int:definition_id>")
@login_required
def version(definition_id: int):
    """One version: its diagram and its files."""
    require_role("designer", "admin")
    definition, files = _version(definition_id)
    main = next((n for n, c in files.items() if n.endswith(".bpmn") and f'id="{definition.process_key}"' in c), None)
    return render_template("designer_version.html", definition=definition, files=sorted(files), main=main)


@bp.route("/designer/versions/<int:definition_id>/files/<name>")
@login_required
def download(definition_id: int, name: str):
    """Download one file of a version."""
    require_role("designer", "admin")
    _, files = _version(definition_id)
    if name not in files:
        abort(404)
    return Response(files[name], mimetype="application/xml",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.route("/designer/compare")
@login_required
def compare():
    """Two versions compared side by side, element by element (rule tables row by row)."""
    require_role("designer", "admin")
    a, b = row_id(request.args.get("a")), row_id(request.args.get("b"))
    if a is None or b is None:
        abort(404)
    (da, fa), (db, fb) = _version(a), _version(b)
    fa = {n: c for n, c in fa.items() if n in da.files.splitlines()}  # only the files each process uses
    fb = {n: c for n, c in fb.items() if n in db.files.splitlines()}
    return render_template("designer_compare.html", a=da, b=db, files=model_diff.compare(fa, fb), kind=_kind)


KINDS = {"process": _l("the process's settings"), "sequenceFlow": _l("sequence flow"), "lane": _l("lane"),
         "participant": _l("pool"), "collaboration": _l("collaboration"), "message": _l("message definition"),
         "messageFlow": _l("message flow"), "association": _l("association"), "textAnnotation": _l("annotation")}


def _kind(element_kind: str) -> str:
    """A BPMN element's kind in the user's language (user task, sequence flow …)."""
    return str(KINDS[element_kind]) if element_kind in KINDS else _(str(kind_words(element_kind)))


def _version(definition_id: int) -> tuple[ProcessDefinition, dict[str, str]]:
    with runtime().db.read() as session:
        definition = session.get(ProcessDefinition, definition_id)
        if definition is None:
            abort(404)
        return definition, repository.files_of(session, definition)


@bp.route("/designer/versions/<int:definition_id>/diagram")
@login_required
def diagram(definition_id: int):
    """The main BPMN of a version, for the viewer."""
    require_role("designer", "admin")
    definition, files = _version(definition_id)
    main = next((c for n, c in files.items() if n.endswith(".bpmn") and f'id="{definition.process_key}"' in c), "")
    return jsonify(xml=main, done=[], current=[], overdue=[])
