"""The runtime: configuration and shared caches that every engine operation uses."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from . import budget
from .calendar import WorkCalendar
from .db import Database
from .definitions import CompiledSet, ProcessModel, compile_files
from .errors import EngineError, NotFound
from .expressions import BUILTINS, RestrictedEnvironment, data_problem, environment_globals
from .functions import build_functions
from .lookup import DEFAULT_FIELDS as DEFAULT_SEARCH_FIELDS
from .models import DeploymentFile, ProcessDefinition
from .routing import Directory
from .store import StateSerializer
from .urges import PER_HOUR as URGES_PER_HOUR

CALENDAR_TTL = 60.0  # seconds between looks for newly imported holiday notices


@dataclass
class ServiceCall:
    """What a service-task handler receives: the task's data (a copy) and the operation it runs in."""

    topic: str
    element_id: str
    data: dict[str, Any]
    business_key: str
    session: Session
    now: datetime
    events: list = field(default_factory=list)

    def record(self, event: str, **details: Any) -> None:
        """Add an audit event (e.g. a registry check's outcome) to this operation."""
        self.events.append((event, {"element": self.element_id, "topic": self.topic, **details}))


Handler = Callable[[ServiceCall], "dict[str, Any] | None"]


class _Engine(PythonScriptEngine):
    """Script engine whose service calls go to registered handlers with the operation's context."""

    def __init__(self, environment: RestrictedEnvironment, runtime: "Runtime", op: Any) -> None:
        super().__init__(environment=environment)
        self.runtime, self.op = runtime, op

    def call_service(self, task, topic: str | None = None, **kwargs):
        handler = self.runtime.handlers.get(topic or "")
        if handler is None:
            raise EngineError(f"no service handler is registered for topic {topic!r}")
        call = ServiceCall(topic, task.task_spec.bpmn_id, dict(task.data), self.op.case_key, self.op.session, self.op.now)
        with budget.outside():  # a slow registry is not the process's expressions running long
            result = handler(call)
        self.op.service_events.extend(call.events)
        if result:
            problem = data_problem(result)
            if problem:
                raise EngineError(f"service handler {topic!r} returned {problem}; only plain data can be kept")
            task.data.update(result)
        return True


class Runtime:
    """Holds the database, calendar, safe functions, service handlers and parsed-spec cache."""

    def __init__(self, db: Database, calendar: WorkCalendar | None = None,
                 handlers: dict[str, Handler] | None = None,
                 summary_fields: tuple[str, ...] = ("applicant_name", "title")) -> None:
        self.db = db
        self.calendar = calendar or WorkCalendar()
        self.functions = build_functions(self.calendar)
        self._globals = environment_globals(self.functions)  # shared by every operation's script engine
        self.handlers: dict[str, Handler] = dict(handlers or {})
        self.summary_fields = summary_fields
        self.search_fields: tuple[str, ...] = DEFAULT_SEARCH_FIELDS  # values staff may find a case by (lookup.py)
        self.serializer = StateSerializer()
        self._sets: dict[int, CompiledSet] = {}
        self._definitions: dict[int, ProcessDefinition] = {}
        self.newest_versions: dict[str, int] = {}  # process key → its newest version seen (numbering.py checks it)
        self._codes: set[str] | None = None
        self._lock = threading.Lock()
        self._calendar_stamp: tuple | None = None
        self._calendar_read = float("-inf")
        self.purge_hooks: list[Callable[[Session, int, str], int]] = []
        self.attachments_dir = Path("instance/attachments")  # scanned materials (attachments.py), outside the database
        self.urges_per_hour = URGES_PER_HOUR  # steps one person may urge in an hour (urges.py; engine/config.py)
        # starts the co-sign case of a changed shared rule table, its case number (rules.py; a workflows plugin)
        self.rule_cosign: Callable[[Session, Runtime, Any, Any], str] | None = None

    def refresh_calendar(self, session: Session, force: bool = False) -> None:
        """Take the official notices imported into the database (by any process) into the calendar; read at most
        once a minute unless forced, and reloaded only when they changed."""
        from . import calendar_notices  # it builds on the case operations, which build on this module

        if not force and time.monotonic() - self._calendar_read < CALENDAR_TTL:
            return
        self._calendar_read = time.monotonic()
        stamp = calendar_notices.stamp(session)
        if stamp != self._calendar_stamp:
            self.calendar.use_notices(calendar_notices.load(session) if stamp else {})
            self._calendar_stamp = stamp

    def on_purge(self, hook: Callable[[Session, int, str], int]) -> None:
        """Have `hook(session, case_id, business_key)` remove what a plugin keeps about a case being purged
        (returns the rows it removed)."""
        self.purge_hooks.append(hook)

    def register(self, topic: str, handler: Handler) -> None:
        """Register a service-task handler under a Camunda external-task topic."""
        self.handlers[topic] = handler

    def compile(self, session: Session | None, files: dict[str, bytes], strict: bool = True) -> CompiledSet:
        """Validate and parse files against the current departments (the standard ones without a database)
        and handlers."""
        directory = Directory.load(session) if session is not None else Directory.standard()
        reserved = set(self.functions) | set(BUILTINS)
        return compile_files(files, directory.resolve, set(self.handlers), reserved, self.calendar.tz, strict)

    def is_department(self, session: Session, code: str) -> bool:
        """Whether `code` is a department; the cached list is re-read once on a miss, so new ones are seen."""
        if self._codes is None or code not in self._codes:
            self._codes = Directory.load(session).codes
        return code in self._codes

    def forget_departments(self) -> None:
        """Drop the cached department codes after departments change."""
        self._codes = None

    def definition(self, session: Session, definition_id: int) -> ProcessDefinition:
        """A deployed process version (definitions never change once stored, so they are cached)."""
        found = self._definitions.get(definition_id)
        if found is None:
            found = session.get(ProcessDefinition, definition_id)
            if found is None:
                raise NotFound(f"no process version #{definition_id}")
            session.expunge(found)
            self._definitions[definition_id] = found
        return found

    def model(self, session: Session, definition_id: int) -> ProcessModel:
        """The parsed process of a deployed version, parsed once per deployment and then shared."""
        definition = self.definition(session, definition_id)
        compiled = self._sets.get(definition.deployment_id)
        if compiled is None:
            with self._lock:
                compiled = self._sets.get(definition.deployment_id)
                if compiled is None:
                    rows = session.execute(select(DeploymentFile.filename, DeploymentFile.content)
                                           .where(DeploymentFile.deployment_id == definition.deployment_id))
                    files = {name: content.encode("utf-8") for name, content in rows}
                    compiled = self.compile(session, files, strict=False)
                    self._sets[definition.deployment_id] = compiled
        model = compiled.processes.get(definition.process_key)
        if model is None:
            raise EngineError(f"process {definition.process_key!r} is missing from its deployment")
        return model

    def script_engine(self, op: Any) -> PythonScriptEngine:
        """A script engine bound to one operation (its session, case and audit events)."""
        return _Engine(RestrictedEnvironment(self.functions, prepared=self._globals), self, op)
