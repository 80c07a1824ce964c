"""The Alembic migrations (the engine's and the workflows plugin's) produce exactly the schema the models
describe, on both databases."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from engine.db import Database
from engine.models import Base
from workflows.models import Base as WorkflowsBase


def test_migrations_match_models(db_url):
    metadata = MetaData()
    for table in [*Base.metadata.tables.values(), *WorkflowsBase.metadata.tables.values()]:
        table.to_metadata(metadata)
    db = Database(db_url)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    db.dispose()
    assert diff == []


def test_init_db_is_idempotent(db_url):
    db = Database(db_url)
    db.migrate()
    db.migrate()
    assert db.is_migrated()
    db.dispose()


def test_the_newest_migrations_go_down_and_up_again_with_data_in_place(db_url):
    """0029 (head titles) and 0028 (the task indexes) undone and redone on a database in use: departments referred to
    by memberships keep their rows (SQLite's batch rebuild of the table failed on the foreign keys)."""
    from alembic import command
    from sqlalchemy import func, inspect, select

    from engine.db import migration_config
    from engine.models import Department, Membership
    from engine.routing import add_user, seed_departments
    db = Database(db_url)
    db.migrate()
    with db.write() as session:
        seed_departments(session)
        add_user(session, "mig_user", "迁移", memberships={"EDU": "reviewer", "JOINT": "head"})
    cfg = migration_config()
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0027")
        columns = {c["name"] for c in inspect(connection).get_columns("departments")}
        indexes = {i["name"] for i in inspect(connection).get_indexes("tasks")}
    assert "head_title_zh" not in columns and {"ix_tasks_department_queue", "ix_tasks_assignee_queue"} <= indexes
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
    with db.read() as session:
        assert session.execute(select(func.count()).select_from(Membership)).scalar() >= 2
        assert session.get(Department, "JOINT").name_zh == "联席办"
    assert db.is_migrated()
    db.dispose()


def test_0030_fills_the_inquiry_facts_from_the_inquiry_cases_facts(db_url):
    """Taken down and up again on a database with an inquiry case: the inquiry's row comes back from the case's own
    facts, as the facts refresher made it (the figures do not change with the upgrade)."""
    from alembic import command
    from sqlalchemy import inspect, select

    from engine import cases, facts, repository
    from engine.db import migration_config
    from engine.models import InquiryFact
    from engine.routing import seed_departments
    from engine.runtime import Runtime
    from tests.engine.test_assessment import INQ
    from tests.factories import SYSTEM, bpmn

    db = Database(db_url)
    db.migrate()
    rt = Runtime(db)
    with db.write() as session:
        seed_departments(session)
        repository.deploy(session, rt, SYSTEM, {"inq.bpmn": bpmn("inq", INQ, {"PSB": ["is", "send", "answer", "ie"]})})
        cases.start(session, rt, SYSTEM, "inq", {"target": "PSB"}, business_key="M1")
    with db.write() as session:
        facts.refresh(session, rt)
    with db.read() as session:
        made = [(r.number, r.process_key, r.addressee, r.asked_at, r.reply_due_at)
                for r in session.execute(select(InquiryFact)).scalars()]
    assert len(made) == 1 and made[0][2] == "PSB"
    cfg = migration_config()
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0029")
        assert "inquiry_facts" not in inspect(connection).get_table_names()
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
    with db.read() as session:
        assert [(r.number, r.process_key, r.addressee, r.asked_at, r.reply_due_at)
                for r in session.execute(select(InquiryFact)).scalars()] == made
    db.dispose()


def test_0034_names_the_kind_of_each_kept_draft_from_the_draft_itself(db_url):
    """Taken down and up again with three drafts in place: a holder's (暂存, and one kept for a signer) named as such at
    the top level, and a delegate's answer whose form has a field called `kept` (the text the inbox used to match)."""
    from alembic import command
    from sqlalchemy import select, update

    from engine import cases, repository
    from engine.db import migration_config
    from engine.models import Task
    from engine.routing import seed_departments
    from engine.runtime import Runtime
    from tests.engine.test_delegation import KEPT_FIELD
    from tests.factories import SYSTEM, bpmn

    db = Database(db_url)
    db.migrate()
    rt = Runtime(db)
    with db.write() as session:
        seed_departments(session)
        repository.deploy(session, rt, SYSTEM, {"k.bpmn": bpmn("k", KEPT_FIELD, {"EDU": ["start", "a", "end"]})})
        steps = [cases.start(session, rt, SYSTEM, "k", {}).opened[0]["id"] for _ in range(3)]
    drafts = ['{"by": "u", "at": "2026-11-30T08:00:00+00:00", "kept": "self", "values": {"kept": "x"}}',
              '{"by": "u", "values": {"kept": "x"}, "kept": "signer"}', '{"by": "d", "values": {"kept": "x"}}']
    cfg = migration_config()
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0033")
        for step, draft in zip(steps, drafts):
            connection.execute(update(Task.__table__).where(Task.__table__.c.id == step).values(draft=draft))
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
    with db.read() as session:
        kinds = dict(session.execute(select(Task.id, Task.draft_kind).where(Task.id.in_(steps))).all())
    assert [kinds[s] for s in steps] == ["self", "signer", "delegate"]
    db.dispose()


def test_0035_names_each_versions_owner_from_its_deployed_files(db_url):
    """Taken down and up again with the real processes deployed: each version's owner_department is read back from
    its own BPMN file (a process without one has none)."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import select

    from engine import repository
    from engine.db import migration_config
    from engine.definitions import read_files
    from engine.models import ProcessDefinition
    from engine.routing import seed_departments
    from tests.factories import SYSTEM
    from workflows.handlers import register
    from workflows.walkthrough import BPMN
    from engine.runtime import Runtime

    db = Database(db_url)
    db.migrate()
    rt = Runtime(db)
    register(rt)
    with db.write() as session:
        seed_departments(session)
        repository.deploy(session, rt, SYSTEM, read_files([BPMN]))
    with db.read() as session:
        deployed = dict(session.execute(select(ProcessDefinition.process_key, ProcessDefinition.owner_department)).all())
    assert deployed["admission_review"] == "EDU" and deployed["subsidy_approval"] == "STREET"
    cfg = migration_config()
    before = ScriptDirectory.from_config(cfg).get_revision("0035").down_revision
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, before)
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
    with db.read() as session:
        assert dict(session.execute(select(ProcessDefinition.process_key, ProcessDefinition.owner_department)).all()) \
            == deployed
    assert None in deployed.values() or all(deployed.values())
    db.dispose()
