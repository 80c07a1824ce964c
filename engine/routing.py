"""Departments, users and who may act on which task (a BPMN lane is a department)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Iterable, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import wallclock
from .errors import EngineError, Message, NotFound, PermissionDenied, catalogue
from .models import Department, Membership, User

ROLE_RANK = {"reviewer": 1, "supervisor": 2, "head": 3}
GLOBAL_ROLES = ("designer", "auditor", "admin")
MESSAGES = catalogue({
    "no_active_user": "no active user {user!r}",
    "user_exists": "user {user!r} already exists",
    "role_unknown_global": "unknown role {role!r}; use {roles}",
    "no_department": "no department {department!r}",
    "role_unknown_department": "unknown department role {role!r}; use {roles}",
    # a step one may not act on (`action`: claim, complete, …; `task` best a StepName: named in the reader's language)
    "step_not_a_member": "{user} may not {action} {task!r}: only a member of {department} may",
    "step_not_a_supervisor": "{user} may not {action} {task!r}: only a supervisor of {department} may",
    "step_not_a_head": "{user} may not {action} {task!r}: only a head of {department} may",
})

DEPARTMENTS_GROUP = "jointreview.departments"


class StandardDepartment(NamedTuple):
    """A department the installation starts with: its code, names and what its head is called (zh, en)."""

    code: str
    name_zh: str
    name_en: str
    head_title_zh: str
    head_title_en: str
    oversees: bool = False  # oversees every case (see supervision.configured_overseers)


@lru_cache(maxsize=1)
def standard_departments() -> tuple[StandardDepartment, ...]:
    """The departments the installed plugins list (the `jointreview.departments` entry points: workflows/departments.py
    for the joint review), in their order; the engine itself knows none."""
    found: list[StandardDepartment] = []
    for entry in sorted(entry_points(group=DEPARTMENTS_GROUP), key=lambda e: e.name):
        try:
            listed = [StandardDepartment(*d) for d in entry.load()]
        except Exception as exc:  # noqa: BLE001 - named plainly instead of a traceback at start-up
            raise EngineError(f"departments {entry.name!r} could not be loaded: {type(exc).__name__}: {exc}") from exc
        found += [d for d in listed if d.code not in {f.code for f in found}]
    return tuple(found)


def may_take(held: str | None, needed: str) -> bool:
    """Whether a member holding the department role `held` (None: no member) may take a step that needs the role
    `needed`: the same rank or higher (a chief may take a reviewer's step, not the other way round)."""
    return ROLE_RANK.get(held or "", 0) >= ROLE_RANK.get(needed, 1)


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user with department memberships and global roles, or a system component."""

    username: str
    display_name: str = ""
    departments: dict[str, str] = field(default_factory=dict)  # code → role
    roles: frozenset[str] = frozenset()
    acting_for: dict[str, str] = field(default_factory=dict)  # code → the absent user whose role they hold there (代理)
    covering: frozenset[str] = frozenset()  # the absent users this actor is deputy for (of the same rank, too)

    def holds(self, assignee: str | None) -> bool:
        """Whether a task claimed by `assignee` is this actor's to work on (their own, or an absent principal's)."""
        return assignee == self.username or (assignee is not None and (assignee in self.acting_for.values()
                                                                        or assignee in self.covering))

    def on_behalf(self, department: str | None) -> str | None:
        """The principal this actor acts for in a department, when its role there is borrowed."""
        return self.acting_for.get(department) if department else None

    @classmethod
    def system(cls, name: str) -> "Actor":
        """A system actor (worker, portal); it may drive timers and messages, not human tasks."""
        return cls(f"system:{name}", name)

    def rank_in(self, department: str) -> int:
        """0 when not a member, else 1 reviewer, 2 supervisor, 3 head."""
        return ROLE_RANK.get(self.departments.get(department, ""), 0)

    def at_window(self, owner: str | None) -> bool:
        """Whether this actor serves at the window of `owner`, the department that answers for a case to its applicant
        (the process's owner_department): its staff record there what the applicant brings (撤回申请, 好差评)."""
        return owner is not None and self.rank_in(owner) > 0

    def window(self, owner: str | None, intake: Iterable[str] = ()) -> str | None:
        """The department at whose window this actor serves a case's applicant at the counter (receipts, notices,
        corrections, scanned materials), or None: the owner's (`at_window`), else one of `intake`, the departments
        whose windows take the process's applications (窗口受理: its plugin names them; the engine knows no process).
        Such a window serves the applicant, yet what is recorded for the case as a whole (撤回申请, 好差评) stays
        with the owner's (`at_window`)."""
        if self.at_window(owner):
            return owner
        return next((code for code in sorted(set(intake)) if self.rank_in(code) > 0), None)

    def may_work_on(self, department: str, role: str) -> bool:
        """Member of the department with at least the role the task needs."""
        return may_take(self.departments.get(department), role)

    def require(self, department: str, role: str, action: str, task: str | None = None) -> None:
        """Raise PermissionDenied unless `may_work_on`; `action` on the step `task` (a StepName), when given, is named
        in the refusal (claim “拟写答复”)."""
        if not self.may_work_on(department, role):
            need = "a member" if role == "reviewer" else f"a {role}"
            code = {"reviewer": "not_a_member", "supervisor": "not_a_supervisor", "head": "not_a_head"}.get(role)
            if code is not None and task is not None:
                raise PermissionDenied(Message(f"step_{code}", user=self.username, action=action, task=task,
                                               department=department), code, {"user": self.username,
                                                                              "department": department})
            action = f"{action} {task!r}" if task is not None else action
            raise PermissionDenied(f"{self.username} may not {action}: only {need} of {department} may", code,
                                   {"user": self.username, "department": department} if code else None)


class Directory:
    """Lane name → department code, built from the departments table (codes, names and aliases)."""

    def __init__(self, departments: list[Department]) -> None:
        self.codes = {d.code for d in departments}
        self.names = {d.code: d.name_zh for d in departments}
        self._lanes: dict[str, str] = {}
        for d in departments:
            for name in [d.code, d.name_zh, d.name_en, *d.aliases.splitlines()]:
                if name.strip():
                    self._lanes[_norm(name)] = d.code

    @classmethod
    def load(cls, session: Session) -> "Directory":
        """Read the current departments."""
        return cls(list(session.execute(select(Department)).scalars()))

    @classmethod
    def standard(cls) -> "Directory":
        """The standard departments, for checking files without a database."""
        return cls([Department(code=d.code, name_zh=d.name_zh, name_en=d.name_en, aliases="") for d in standard_departments()])

    def resolve(self, lane: str) -> str | None:
        """The department code for a lane name, or None."""
        return self._lanes.get(_norm(lane))


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def seed_departments(session: Session) -> int:
    """Create the standard departments that do not exist yet, and give those without a head title theirs (a title
    an administrator set stays); returns how many were added."""
    existing = {d.code: d for d in session.execute(select(Department)).scalars()}
    added = 0
    for d in standard_departments():
        department = existing.get(d.code)
        if department is None:
            session.add(Department(code=d.code, name_zh=d.name_zh, name_en=d.name_en, aliases="",
                                   head_title_zh=d.head_title_zh, head_title_en=d.head_title_en))
            added += 1
        elif not department.head_title_zh:
            department.head_title_zh, department.head_title_en = d.head_title_zh, d.head_title_en
    session.flush()
    return added


def load_actor(session: Session, username: str) -> Actor:
    """The actor for an active user, with memberships; NotFound when there is no such active user."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active:
        raise NotFound(Message("no_active_user", user=username))
    rows = session.execute(select(Membership.department_code, Membership.role).where(Membership.user_id == user.id))
    roles = frozenset(r for r in user.roles.split(",") if r)
    departments = {code: role for code, role in rows}
    from .deputies import highest, principals  # deputies build on the directory
    standing_in = principals(session, user.username)
    acting: dict[str, str] = {}
    for code, (role, principal) in highest(standing_in).items():
        if ROLE_RANK.get(role, 0) > ROLE_RANK.get(departments.get(code, ""), 0):  # a higher role: "A acting for B"
            departments[code], acting[code] = role, principal
    covering = frozenset(standing_in)  # their claimed steps, a colleague of the same rank's too
    return Actor(user.username, user.display_name, departments, roles, acting, covering)


def add_user(session: Session, username: str, display_name: str, password_hash: str | None = None,
             memberships: dict[str, str] | None = None, roles: tuple[str, ...] = ()) -> User:
    """Create a user with department memberships (code → reviewer/supervisor/head) and global roles."""
    if session.execute(select(User.id).where(User.username == username)).first():
        raise EngineError(Message("user_exists", user=username))
    for role in roles:
        if role not in GLOBAL_ROLES:
            raise EngineError(Message("role_unknown_global", role=role, roles=list(GLOBAL_ROLES)))
    directory = Directory.load(session)
    user = User(username=username, display_name=display_name, password_hash=password_hash,
                roles=",".join(roles), active=True, created_at=wallclock.now())
    session.add(user)
    session.flush()
    for code, role in (memberships or {}).items():
        if code not in directory.codes:
            raise NotFound(Message("no_department", department=code))
        if role not in ROLE_RANK:
            raise EngineError(Message("role_unknown_department", role=role, roles=list(ROLE_RANK)))
        session.add(Membership(user_id=user.id, department_code=code, role=role))
    session.flush()
    return user
