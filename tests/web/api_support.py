"""What the REST API tests share: submitting as a portal, and a case waiting at an EDU step (the `issue` and
`client` fixtures are in conftest.py)."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from engine.models import Case, Task

PROBLEM = "application/problem+json"


def applicant(world, **changes):
    person = world.person(**changes)
    body = {"process": "admission_review", **person.admission()}
    return person, body


def submit(client, headers, body, key=None):
    """Submit as a portal does: every submission with its own Idempotency-Key unless one is given."""
    return client.post("/api/v1/applications", json=body, headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())})


def edu_task(world, client, portal):
    """A new admission application: (its key, its open EDU step)."""
    _, body = applicant(world)
    return open_task(world, submit(client, portal, body).get_json()["business_key"])


def open_task(world, key):
    """(key, the one open task's id) of a case."""
    with world.rt.db.read() as session:
        return key, session.execute(select(Task.id).join(Case, Case.id == Task.case_id)
                                    .where(Case.business_key == key, Task.state == "open")).scalar_one()
