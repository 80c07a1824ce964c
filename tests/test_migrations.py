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
