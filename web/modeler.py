"""The browser modeler for designers: BPMN with bpmn-js and its properties panel (Camunda moddle: forms, candidate
groups, due dates, timers, extension properties), DMN with dmn-js, lanes offered from the directory's departments,
the validator's problems marked on the diagram while the designer works, drafts kept on the server per user, and
deploying with a required note. The libraries come from npm and are bundled in `make setup` (no CDN)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, jsonify, make_response, render_template, request, send_from_directory
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from engine import drafts, repository, rules
from engine.errors import DeployError, EngineError, InvalidInput
from engine.models import Department, ProcessDefinition

from . import localized
from .context import actor, require_role, row_id, runtime
from .designer import awaiting
from .i18n import department_name, error_text, say
from .names import version

bp = Blueprint("modeler", __name__)
_MODULES = Path(__file__).parent / "node_modules"
ASSETS = {"bpmn-js": _MODULES / "bpmn-js" / "dist" / "assets",
          "properties-panel": _MODULES / "@bpmn-io" / "properties-panel" / "dist" / "assets",
          "dmn-js": _MODULES / "dmn-js" / "dist" / "assets"}
BUNDLE = Path(__file__).parent / "static" / "build" / "modeler.js"
MAX_FILES = 20


@bp.route("/designer/modeler")
@login_required
def page():
    """The modeler: the designer's drafts, the departments for lanes, and the files of a deployed version to edit."""
    require_role("designer", "admin")
    with runtime().db.read() as session:
        mine = [(d.name, d.updated_at) for d in drafts.listing(session, actor().username)]
        departments = [(d.code, d.name_zh, d.name_en) for d in session.execute(
            select(Department).where(Department.parent_code.is_(None)).order_by(Department.code)).scalars()]
        versions = repository.versions(session)
    return render_template("modeler.html", drafts=mine, departments=departments, versions=versions,
                           ready=BUNDLE.exists())


@bp.route("/designer/modeler/lib.js")
@login_required
def bundle():
    require_role("designer", "admin")
    if not BUNDLE.exists():
        abort(404)
    return send_from_directory(BUNDLE.parent, BUNDLE.name, max_age=3600)


@bp.route("/designer/modeler/assets/<package>/<path:name>")
@login_required
def asset(package: str, name: str):
    if package not in ASSETS:
        abort(404)
    return send_from_directory(ASSETS[package], name, max_age=86400)


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(make_response(jsonify(error=_("Send a JSON object with the files.")), 400))
    return body


def _files() -> dict[str, str]:
    body = _body()
    files = body.get("files")
    if not isinstance(files, dict) or not files or len(files) > MAX_FILES or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        abort(400)
    try:
        for name in files:
            drafts.check_name(name)
    except EngineError as exc:
        abort(make_response(jsonify(error=error_text(exc)), 422))
    return files


def _with_version(files: dict[str, str]) -> dict[str, bytes]:
    """The edited files with the other files of the version they were opened from (`base`: a process version id):
    a process needs its rule tables and called processes, a rule table the processes that use it."""
    base = _body().get("base")
    out: dict[str, bytes] = {}
    if isinstance(base, int) and not isinstance(base, bool):
        with runtime().db.read() as session:
            definition = session.get(ProcessDefinition, base) if row_id(base) else None
            if definition is None:
                abort(make_response(jsonify(error=_("No such process version.")), 404))
            out = {name: text.encode("utf-8") for name, text in repository.files_of(session, definition).items()}
    out.update({name: content.encode("utf-8") for name, content in files.items()})
    return out


def _problems(exc: DeployError) -> list[dict]:
    return [dict(file=p.file, line=p.line, element=p.element, message=say(p.message), original=p.original)
            for p in exc.problems]


@bp.route("/designer/modeler/check", methods=["POST"])
@login_required
def check():
    """The validator's problems for the files being edited (the page marks them on the diagram)."""
    require_role("designer", "admin")
    files = _with_version(_files())
    try:
        with runtime().db.read() as session:
            runtime().compile(session, files)
    except DeployError as exc:
        return jsonify(problems=_problems(exc))
    except EngineError as exc:
        return jsonify(problems=[dict(file=None, line=None, element=None, message=error_text(exc))])
    return jsonify(problems=[])


@bp.route("/designer/drafts", methods=["POST"])
@login_required
def save():
    """Keep the files being edited as this designer's drafts."""
    require_role("designer", "admin")
    try:
        files = _files()
        with runtime().db.write() as session:
            for name, content in files.items():
                drafts.save(session, actor().username, name, content)
    except EngineError as exc:
        return jsonify(error=error_text(exc)), 422
    return jsonify(saved=sorted(files))


@bp.route("/designer/drafts/<name>")
@login_required
def draft(name: str):
    require_role("designer", "admin")
    try:
        with runtime().db.read() as session:
            content = drafts.load(session, actor().username, name).content
    except EngineError:
        abort(404)
    return content, 200, {"Content-Type": "application/xml; charset=utf-8", "Cache-Control": "no-store"}


@bp.route("/designer/drafts/<name>/delete", methods=["POST"])
@login_required
def delete(name: str):
    require_role("designer", "admin")
    with runtime().db.write() as session:
        gone = drafts.remove(session, actor().username, [drafts.check_name(name)])
    return jsonify(deleted=gone)


@bp.route("/designer/modeler/deploy", methods=["POST"])
@login_required
def deploy():
    """Deploy the files being edited (a note is required); their drafts go once deployed."""
    require_role("designer", "admin")
    files = _files()
    body = _body()
    note = str(body.get("note") or "").strip()[:500]
    if not note:
        return jsonify(error=_("Say why this version is deployed (the note is recorded).")), 422
    effective = str(body.get("effective") or "")
    try:
        at = rules.effective_moment(runtime().calendar, effective)
    except InvalidInput:
        return jsonify(error=_("The effective date %(value)s is not a date (YYYY-MM-DD).", value=effective.strip())), 422
    try:
        with runtime().db.write() as session:
            results = repository.deploy(session, runtime(), actor(), _with_version(files), note, at)
            drafts.remove(session, actor().username, list(files))
    except DeployError as exc:
        return jsonify(error=_("Nothing was deployed: the files have problems."), problems=_problems(exc)), 422
    except EngineError as exc:
        return jsonify(error=_("Nothing was deployed: %(reason)s", reason=error_text(exc))), 409
    with runtime().db.read() as session:
        pending = [dict(table=s.decision, name=s.name, version=s.proposed, label=version(s.proposed), key=s.case_key,
                        waiting=[department_name(d) for d in s.waiting], text=awaiting(s))
                   for s in rules.status(session) if s.proposed]
    return jsonify(deployed=[dict(process=r.process_key, name=r.name, version=r.version, created=r.created,
                                  label=version(r.version, localized.process(r.process_key, r.name)))
                             for r in results], proposed=pending)
