"""Domain errors raised by the engine; adapters (CLI, web) map them to exit codes or HTTP statuses."""
from __future__ import annotations

from dataclasses import dataclass


class EngineError(Exception):
    """Base class: the message is meant for the person who caused it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
    """One validation problem in a deployed file, printed as `file:line: element-id: message`."""

    file: str
    line: int | None
    element: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line or 0}: {self.element or '-'}: {self.message}"


class DeployError(EngineError):
    """A set of BPMN/DMN files failed validation; every problem found is listed."""

    def __init__(self, problems: list[Problem]) -> None:
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{len(problems)} {noun} found; nothing was deployed")
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join([self.message] + [str(p) for p in self.problems])


class CaseFailed(EngineError):
    """A script, condition or service task failed while running a case; the case is marked as failed."""
