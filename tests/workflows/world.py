"""A small world for process tests: the real bpmn/ deployed, one user per department role, and people in
the department registries built on purpose (clean or with one inconsistency each)."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine import cases, repository
from engine.config import Settings, make_runtime
from engine.definitions import read_files
from engine.routing import Actor, add_user, load_actor, seed_departments
from workflows import idcards, registries
from workflows.walkthrough import BPMN

PORTAL = Actor.system("portal")
ROLES = {f"{code.lower()}_{role}": (code, role)
         for code in ("EDU", "PSB", "HRSS", "HUD", "HEALTH", "STREET", "FIN", "JOINT")
         for role in ("reviewer", "supervisor", "head")}


@dataclass
class Person:
    name: str
    id_number: str
    child_name: str
    child_id: str
    address: str = "杭州市西湖区文三路100号"
    district: str = "西湖区"
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def admission(self, **changes: Any) -> dict[str, Any]:
        data = dict(applicant_name=self.name, applicant_id=self.id_number, phone="13800138000",
                    child_name=self.child_name, child_id=self.child_id, address=self.address, district=self.district,
                    materials=["residence_permit", "social_insurance", "housing", "vaccination", "household_register"])
        data.update(changes)
        return data

    def subsidy(self, **changes: Any) -> dict[str, Any]:
        data = dict(subsidy_type="employment", applicant_name=self.name, applicant_id=self.id_number, phone="13900139000",
                    bank_account="6222021202001234567", child_id=self.child_id, address=self.address,
                    household_type="normal", income_per_capita=2000)
        data.update(changes)
        return data


class World:
    """Runtime, users and registry people for one test database."""

    def __init__(self, db_url: str) -> None:
        self.rt = make_runtime(Settings.from_env(db_url))
        self.rng = random.Random(7)
        with self.rt.db.write() as session:
            seed_departments(session)
        with self.rt.db.write() as session:
            repository.deploy(session, self.rt, Actor.system("test"), read_files([BPMN]))
            for username, (code, role) in ROLES.items():
                add_user(session, username, username, memberships={code: role})
        with self.rt.db.read() as session:
            self.users = {name: load_actor(session, name) for name in ROLES}

    def person(self, name: str = "张伟", *, years: int = 8, months: int = 48, housing: str = "rent",
               employed: bool = True, vaccinated: bool = True, **registry_changes: dict[str, Any]) -> Person:
        """A person in every registry; `psb=dict(status="revoked")` etc. changes one registry's record,
        and `psb=None` leaves that registry without a record."""
        person = Person(name, idcards.make("330106", date(1988, 5, 3), self.rng), "张小明",
                        idcards.make("330106", date(2019, 9, 1), self.rng))
        records = {
            "psb": ("PSB", "residence_permits", dict(id_number=person.id_number, name=name, permit_no="330106201800123",
                                                     address=person.address, district=person.district,
                                                     issued=date(date.today().year - years, 1, 1).isoformat(),
                                                     expires="2030-12-31", status="valid")),
            "hrss": ("HRSS", "social_insurance", dict(id_number=person.id_number, name=name, insured_months=months,
                                                      last_paid="2026-10-01", employer="杭州某科技公司", employed=employed)),
            "hud": ("HUD", "rental_filings", dict(id_number=person.id_number, name=name, filing_no="ZL2023001",
                                                  housing_type=housing, address=person.address, district=person.district,
                                                  start="2023-01-01", end=None, status="active")),
            "health": ("HEALTH", "vaccinations", dict(child_id_number=person.child_id, child_name="张小明",
                                                      complete=vaccinated, missing=None if vaccinated else "乙脑疫苗第二剂")),
            "edu": ("EDU", "students", dict(child_id_number=person.child_id, child_name="张小明", school="文三街小学",
                                            grade="一年级", enrolled=True)),
        }
        with self.rt.db.write() as session:
            for key, (dept, name_, record) in records.items():
                if key in registry_changes and registry_changes[key] is None:
                    continue
                record = {**record, **(registry_changes.get(key) or {})}
                registries.save_records(session, registries.dataset(dept, name_), [record], "test")
        return person

    def start(self, process: str, data: dict[str, Any]) -> cases.Outcome:
        with self.rt.db.write() as session:
            return cases.start(session, self.rt, PORTAL, process, data)

    def complete(self, username: str, outcome_or_id, element: str | None = None, **values: Any) -> cases.Outcome:
        task_id = outcome_or_id if isinstance(outcome_or_id, str) else opened(outcome_or_id)[element]
        with self.rt.db.write() as session:
            return cases.complete(session, self.rt, self.users[username], task_id, values)

    def message(self, key: str, name: str, **payload: Any) -> cases.Outcome:
        with self.rt.db.write() as session:
            return cases.send_message(session, self.rt, PORTAL, key, name, payload)

    def fire(self, case_id: int) -> cases.Outcome:
        with self.rt.db.write() as session:
            return cases.fire_timers(session, self.rt, case_id)

    def data(self, case_id: int, task_id: str | None = None) -> dict[str, Any]:
        """The case data as a task sees it (parallel branches differ), else as the last finished step left it."""
        from uuid import UUID

        from engine.models import Case

        with self.rt.db.read() as session:
            wf = cases.load(session, self.rt, session.get(Case, case_id))
        if task_id:
            return dict(wf.get_task_from_id(UUID(task_id)).data)
        if wf.completed:
            return dict(wf.data)
        return dict(wf.last_task.data if wf.last_task is not None else wf.task_tree.data)

    def inbox(self, department: str) -> list[tuple[str, str]]:
        """(business key, element) of the department's open tasks."""
        from sqlalchemy import select

        from engine.models import Case, Task

        with self.rt.db.read() as session:
            rows = session.execute(select(Case.business_key, Task.element_id).join(Case, Case.id == Task.case_id)
                                   .where(Task.department_code == department, Task.state == "open")).all()
        return sorted((k, e) for k, e in rows)

    def events(self, case_id: int) -> list[str]:
        from sqlalchemy import select

        from engine.models import AuditEntry

        with self.rt.db.read() as session:
            return list(session.execute(select(AuditEntry.event).where(AuditEntry.case_id == case_id)
                                        .order_by(AuditEntry.seq)).scalars())


def opened(outcome: cases.Outcome) -> dict[str, str]:
    """element id → task id of the tasks an operation opened."""
    return {row["element_id"]: row["id"] for row in outcome.opened}
