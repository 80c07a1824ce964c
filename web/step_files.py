"""Documents kept with a step's answer (a user task's `attach` property, e.g. the department asked in an inquiry
attaching the records its answer rests on): uploaded while the step is open by whoever may complete it, listed
with the answer when it is submitted (engine/cases.py), opened by the case's readers and by the department that
kept them (web/counter.py `download`)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine import attachments, saving
from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.models import Case, Task

from . import side_forms
from .context import actor, runtime
from .counter import PER_UPLOAD, _upload_problem
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
    """Keep scanned documents with the answer of an open step the user may complete, and what was typed in the
    step's form (which its button sends) as the user's draft (暂存), so that the page holds it again; refused, the
    task page again naming what was wrong, with that typing still in the form."""
    task, case = side_forms.task_of(task_id)  # one who may not act on it: again(), below
    me = actor()
    chosen_files = request.files.getlist("kept-file") + request.files.getlist("file")  # the page's, or a client's
    files = [f for f in chosen_files if f and f.filename]
    chosen = separator().join(_file_name(f.filename) for f in files)
    values, rows = side_forms.step_typed(task, case)
    rows = rows + side_forms.shown(("upload-files", _("Scanned file"), chosen))

    def again(exc=None, said=None):
        return side_forms.again(task_id, "kept-files", {}, rows, exc, said, main=values)

    if not me.may_work_on(task.department_code, task.role):
        return again()
    if task.state != "open" or kept_field(task, case) is None:
        return again(said=_("Documents can be kept only with the answer of an open step that takes them."))
    if not files or len(files) > PER_UPLOAD:
        return again(said=_("Choose one to %(n)s scanned files (PDF, JPEG or PNG) to upload.", n=PER_UPLOAD))
    added, name = [], ""
    drafted = values is not None and saving.typed(values)  # what was typed in the form stays as a draft (暂存)
    try:
        with runtime().db.write() as session:  # all the files or none, and the draft with them
            attachments.keeping(session, runtime(), me, task_id)
            if drafted:
                try:
                    saving.save(session, runtime(), me, task_id, values)
                except InvalidInput as exc:
                    raise _Unkept(exc) from exc
            row = session.get(Case, case.id)
            for item in files:
                name = _file_name(item.filename)
                data = item.stream.read(attachments.MAX_BYTES + 1)
                added.append(attachments.add(session, runtime().attachments_dir, me, row, "answer", item.filename,
                                             data, task.department_code, task_id=task.id).filename)
    except _Unkept as unkept:  # what was typed cannot be kept as it is (hidden characters, too long)
        return again(unkept.refused)
    except InvalidInput as exc:
        return again(said=_upload_problem(next(iter(exc.fields.values()), ""), name))
    except (Conflict, PermissionDenied) as exc:  # with an added signer (加签) just now, claimed meanwhile …
        return again(exc)
    if drafted:
        flash(_("Attached: %(files)s. What you typed in the form is saved (暂存) and is in it again.",
                files=separator().join(added)), "success")
        return redirect(url_for("tasks.show", task_id=task_id) + "#kept-files")
    flash(_("Attached: %(files)s.", files=separator().join(added)), "success")
    return redirect(url_for("tasks.show", task_id=task_id) + "#kept-files")


class _Unkept(Exception):
    """The draft of what was typed was refused: nothing is uploaded, the refusal names what is wrong in the form."""

    def __init__(self, refused: InvalidInput):
        super().__init__(str(refused))
        self.refused = refused


def _file_name(filename: str | None) -> str:
    """A file's name without the folders a browser may send with it."""
    return (filename or "").replace("\\", "/").rsplit("/", 1)[-1][:120]
