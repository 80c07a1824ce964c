"""The task page's other forms refused (退回, 退回重办, 转办, 委派, 抄送, 加签, 签署, 减签, 批注, documents kept with the
answer): the task page again, never a bare error page, saying what was wrong; where the page still offers the form,
it is open and holds what was typed, with the message in it; where the step has moved on (claimed, done, sent back
… meanwhile), what was typed is shown read-only to copy, under what became of the step (engine/whereabouts.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, render_template, request
from flask_babel import gettext as _

from engine import whereabouts
from engine.errors import EngineError, InvalidInput, PermissionDenied
from engine.models import Case, Task

from . import localized, races
from .context import actor, runtime
from .i18n import refusal
from .names import sentence


@dataclass(frozen=True)
class Side:
    """A refused form of the task page: its id on the page, what was typed by input name (to fill it in again),
    what was said, and what was typed as the user reads it (id, label, text: the read-only copy)."""

    form: str
    values: dict
    said: str
    shown: list = field(default_factory=list)
    told: bool = False  # `said` already says that nothing was saved and the typing is below

    def above(self) -> str:
        """The message above the page when the form is no longer on it (with nothing typed, only that)."""
        return self.said if self.told or not self.shown else _("%(what)s Nothing you typed was saved; it is below so that you can copy "
                                             "it.", what=sentence(self.said))


def shown(*rows: tuple[str, str, str]) -> list[dict[str, str]]:
    """(id, label, text) rows as the read-only copy lists them; empty texts are left out."""
    return [{"id": i, "label": label, "text": text} for i, label, text in rows if text]


def task_of(task_id: str) -> tuple[Task, Case]:
    """The step and its case, for one who may open the case (404 otherwise, as for no such step: tasks.visible);
    whoever may open it but not act on it gets `again`, which shows one of another department only their own text."""
    from .tasks import visible

    return visible(task_id)


def step_typed(task: Task, case: Case) -> tuple[dict[str, str] | None, list[dict[str, str]]]:
    """What was typed in the step's own form when it was sent along with another (加签, documents): by field, for
    the form (None: nothing was typed), and as read (the read-only copy), whatever became of the step since."""
    from .tasks import form_values

    with runtime().db.read() as session:
        model = runtime().model(session, case.definition_id)
    step = localized.form(whereabouts.step_form(model, task.element_id), case.process_key, task.element_id,
                          case.definition_id)
    if not any(f.id in request.form for f in step):
        return None, []
    values = form_values(step)
    return (values if any(v not in ("", "false") for v in values.values()) else None), races.typed_back(step, values)


def again(task_id: str, form: str, values: dict, rows: list[dict[str, str]], exc: EngineError | None = None,
          said: str | None = None, main: dict | None = None):
    """The task page after the form `form` was refused, by the engine (`exc`) or by the page's own check (`said`);
    `main`: what was typed in the step's own form when it was sent along (加签, documents), else it opens as it
    would. Nothing was changed."""
    with runtime().db.read() as session:
        where = whereabouts.of(session, actor(), task_id, refused=isinstance(exc, PermissionDenied))
        if where is None:
            abort(404)
        task = session.get(Task, task_id)
        case = session.get(Case, task.case_id)
    if where.how == "outside":  # no longer of the step's department: only that, and their own text
        return render_template("typed_back.html", lost=races.told(where), typed_back=rows), 403
    status = status_of(exc)
    # the step moved on meanwhile, or they may not act on it at all, and the engine said no more than that
    told = where.how not in ("open", "not_allowed", "with_signer") or exc is None and where.elsewhere
    if told:
        said, status = races.told(where), 403 if where.how in ("reader", "not_allowed") else 409
    elif said is None:
        said = refusal(exc)
    return _shown(task, case, Side(form, values, said, rows, told), status, main)


def kept(task_id: str, form: str, values: dict, rows: list[dict[str, str]], exc: EngineError | None = None,
         said: str | None = None):
    """The task page after a form that does not act for the step's holder was refused (签署 by an added signer,
    减签, 批注): whoever holds the step, it is said what was wrong, by the engine (`exc`) or by the page's own check
    (`said`), in the form filled in again where the page still offers it (the signer still asked, the signer's row
    still removable), else above, with what was typed read-only to copy. Nothing was changed."""
    task, case = task_of(task_id)
    side = Side(form, values, said if said is not None else refusal(exc), rows)
    me = actor()
    if me.rank_in(task.department_code) == 0 and not whereabouts.READERS & set(me.roles):
        # of the case but not of the step's department: no task page (as tasks._load), only that and their own text
        return render_template("typed_back.html", lost=side.above(), typed_back=rows), 403
    return _shown(task, case, side, status_of(exc))


def status_of(exc: EngineError | None) -> int:
    """403 not allowed, 409 the step or the case moved on, 422 what was typed (or nothing said by the engine)."""
    return 403 if isinstance(exc, PermissionDenied) else 409 if exc is not None and \
        not isinstance(exc, InvalidInput) else 422


def _shown(task: Task, case: Case, side: Side, status: int, main: dict | None = None):
    from .tasks import _page, form_and_data, opening_values  # the task page builds on this module's Side

    fields, data = form_and_data(task, case)
    values_now = main if main is not None else opening_values(task, fields, data)
    return _page(task, case, fields, data, values_now, status=status, side=side)
