"""Documents kept with a step's answer (a user task's `attach` property, e.g. the department asked in an inquiry
attaching the records its answer rests on): uploaded while the step is open by whoever may complete it, listed
with the answer when it is submitted (engine/cases.py), opened by the case's readers and by the department that
kept them (web/counter.py `download`)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine import attachments
from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.models import Case, Task

from .context import actor, runtime
from .counter import PER_UPLOAD, _upload_problem
from .i18n import refusal
from .names import separator

bp = Blueprint("step_files", __name__)


def kept_field(task: Task, case: Case) -> str | None:
    """The data field a step lists its kept documents in, if it keeps any."""
    with runtime().db.read() as session:
        model = runtime().model(session, case.definition_id)
    return model.attach.get((model.process_of(task.element_id), task.element_id))


def files_of(task: Task) -> list:
    with runtime().db.read() as session:
        return attachments.of_task(session, task.id)


@bp.route("/tasks/<task_id>/attachments", methods=["POST"])
@login_required
def upload(task_id: str):
    """Keep scanned documents with the answer of an open step the user may complete."""
    with runtime().db.read() as session:
        task = session.get(Task, task_id)
        case = session.get(Case, task.case_id) if task is not None else None
    if task is None or case is None:
        abort(404)
    me = actor()
    if not me.may_work_on(task.department_code, task.role):
        abort(403)
    back = redirect(url_for("tasks.show", task_id=task_id) + "#kept-files")
    if task.state != "open" or kept_field(task, case) is None:
        flash(_("Documents can be kept only with the answer of an open step that takes them."), "error")
        return back
    files = [f for f in request.files.getlist("file") if f and f.filename]
    if not files or len(files) > PER_UPLOAD:
        flash(_("Choose one to %(n)s scanned files (PDF, JPEG or PNG) to upload.", n=PER_UPLOAD), "error")
        return back
    added, name = [], ""
    try:
        with runtime().db.write() as session:  # all the files or none
            attachments.keeping(session, runtime(), me, task_id)
            row = session.get(Case, case.id)
            for item in files:
                name = (item.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:120]
                data = item.stream.read(attachments.MAX_BYTES + 1)
                added.append(attachments.add(session, runtime().attachments_dir, me, row, "answer", item.filename,
                                             data, task.department_code, task_id=task.id).filename)
    except PermissionDenied:
        abort(403)
    except Conflict as exc:  # with an added signer (加签) just now
        flash(refusal(exc), "error")
        return back
    except InvalidInput as exc:
        flash(_upload_problem(next(iter(exc.fields.values()), ""), name), "error")
        return back
    flash(_("Attached: %(files)s.", files=separator().join(added)), "success")
    return back
