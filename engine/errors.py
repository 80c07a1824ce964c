"""Domain errors raised by the engine; adapters (CLI, web) map them to exit codes or HTTP statuses."""
from __future__ import annotations

from dataclasses import dataclass, field


# Messages by code, so that an adapter can say them in the user's language (the web layer's msgids too: keep
# the wording in step with its translations); params fill the braces. `department` params are department codes, `rule_table` a rule table's name.
MESSAGES = {
    "task_closed_completed": "task {task!r} of {key} is already completed",
    "task_closed_other": "task {task!r} of {key} is already {state}",
    "task_closed_cancelled": "task {task!r} of {key} is already withdrawn",
    "task_closed_sent_back": "task {task!r} of {key} is already sent back",
    "task_taken": "task {task!r} was just claimed by {user}",
    "task_claimed_by": "task {task!r} is claimed by {user}",
    "task_not_claimed": "task {task!r} is not claimed",
    "task_changed": "task {task!r} changed while releasing it; reload and try again",
    "task_gone": "task {task!r} was completed or cancelled just now; nothing was reassigned",
    "task_done_just_now": "task {task!r} is no longer waiting for input: someone else completed it just now",
    "case_not_running": "case {key} is no longer running; its tasks cannot be completed",
    "case_moved_on": "case {key} was changed by someone else at the same moment; reload and try again",
    "release_not_allowed": "only {user} or a supervisor of {department} may release this task",
    "reassign_not_allowed": "only a supervisor of {department} may reassign {task!r}",
    "not_a_member": "{user} may not do this: only a member of {department} may",
    "not_a_supervisor": "{user} may not do this: only a supervisor of {department} may",
    "not_a_head": "{user} may not do this: only a head of {department} may",
    "rule_pending": "{file}: {rule_table} v{version} is still awaiting co-sign ({key}); it must be signed or refused "
                    "before another change",
    "deploy_problem": "{count} problem found; nothing was deployed",
    "deploy_problems": "{count} problems found; nothing was deployed",
}




def catalogue(messages: dict[str, str]) -> dict[str, str]:
    """Register a module's messages by code (English templates; adapters translate them by their words); a code
    means one message everywhere."""
    for code, text in messages.items():
        if MESSAGES.setdefault(code, text) != text:
            raise ValueError(f"message code {code!r} is defined twice with different words")
    return messages


class Message(str):
    """Words for a person: a str in English that keeps its code and parameters, so that an adapter can say it in
    the user's language (parameters may be Messages themselves, e.g. the reason an expression is refused)."""

    code: str
    params: dict

    def __new__(cls, code: str, /, **params) -> "Message":
        english = {k: ", ".join(map(str, v)) if isinstance(v, (list, tuple, set, frozenset)) else v
                   for k, v in params.items()}
        self = super().__new__(cls, MESSAGES[code].format(**english))
        self.code, self.params = code, params
        return self

    def __reduce__(self):  # pickled and copied as a Message, not as a bare str
        return (_message, (self.code, self.params))


def _message(code: str, params: dict) -> Message:
    return Message(code, **params)


class StepName(str):
    """A step (or an event) as a message names it: the str is its BPMN name, and it keeps what identifies the step
    (its process's key, its element id, the version's definition id when known, else its case's id), so that an
    adapter can name it in the reader's language as the case's own version does."""

    process_key: str
    element_id: str
    definition_id: int | None
    case_id: int | None

    def __new__(cls, name: str, process_key: str, element_id: str, definition_id: int | None = None,
                case_id: int | None = None) -> "StepName":
        self = super().__new__(cls, name)
        self.process_key, self.element_id, self.definition_id = process_key, element_id, definition_id
        self.case_id = case_id
        return self

    @classmethod
    def of(cls, task, definition_id: int | None = None) -> "StepName":
        """An inbox row's step (a Task, or a row read with its process key and perhaps its definition id)."""
        return cls(task.name, task.process_key, task.element_id,
                   definition_id if definition_id is not None else getattr(task, "definition_id", None),
                   getattr(task, "case_id", None))

    def __reduce__(self):  # pickled and copied with what identifies it
        return (StepName, (str(self), self.process_key, self.element_id, self.definition_id, self.case_id))


class EngineError(Exception):
    """Base class: the message is meant for the person who caused it; a coded one (`code`, `params`) can be
    said in another language by an adapter."""

    def __init__(self, message: str, code: str | None = None, params: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is None and isinstance(message, Message):  # a Message names its own code and parameters
            code, params = message.code, message.params
        self.code = code
        self.params = dict(params or {})

    @classmethod
    def coded(cls, code: str, **params):
        """An error of this class with the message of `code` (see MESSAGES)."""
        return cls(Message(code, **params), code, params)


class NotFound(EngineError):
    """A case, task, process or user that does not exist."""


class Conflict(EngineError):
    """The action lost a race or no longer applies (task already completed, claimed by someone else)."""


class PermissionDenied(EngineError):
    """The actor may not do this (wrong department or role)."""


class NotAuthenticated(EngineError):
    """No valid credentials: a missing, unknown, expired or revoked API token."""


class InvalidInput(EngineError):
    """Submitted values failed validation; `fields` maps each field id to one message."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})

    def __str__(self) -> str:
        if not self.fields:
            return self.message
        lines = [self.message] + [f"  {field}: {msg}" for field, msg in self.fields.items()]
        return "\n".join(lines)


@dataclass(frozen=True)
class Problem:
    """One validation problem in a deployed file, printed as `file:line: element-id: message` (the message is
    usually a Message, which the web layer says in the user's language)."""

    file: str
    line: int | None
    element: str | None
    message: str
    original: str | None = field(default=None, compare=False)  # a parser's own words (libxml2, Python), untranslated

    def __str__(self) -> str:
        return f"{self.file}:{self.line or 0}: {self.element or '-'}: {self.message}"


class DeployError(EngineError):
    """A set of BPMN/DMN files failed validation; every problem found is listed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(Message("deploy_problem" if len(problems) == 1 else "deploy_problems", count=len(problems)))
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join([self.message] + [str(p) for p in self.problems])


class CaseFailed(EngineError):
    """A script, condition or service task failed while running a case; the case is marked as failed."""
