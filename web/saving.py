"""暂存 on the task page: the holder keeps what they typed in the step's form without submitting it (engine/saving.py);
the task page fills the form from it the next time."""
from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask_login import login_required

from engine import saving
from engine.errors import Conflict, EngineError, PermissionDenied

from .context import actor, runtime
from .tasks import _load, form_and_data, form_values, lost_race, refused

bp = Blueprint("saving", __name__)


@bp.route("/tasks/<task_id>/save", methods=["POST"])
@login_required
def save(task_id: str):
    """The task form's 暂存 button: what was typed is kept on the step, nothing is submitted."""
    task, case = _load(task_id, posted=True)
    fields, data = form_and_data(task, case)
    values = form_values(fields)
    try:
        with runtime().db.write() as session:
            saving.save(session, runtime(), actor(), task_id, values)
    except (Conflict, PermissionDenied) as exc:  # taken, reassigned, done … meanwhile: what was typed comes back
        return lost_race(task_id, refused=isinstance(exc, PermissionDenied))
    except EngineError as exc:
        return refused(task, case, fields, data, values, exc)
    return redirect(url_for("tasks.show", task_id=task_id))  # the page says once that it is saved, and when (#draft-saved)
