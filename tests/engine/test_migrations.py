"""The Alembic migrations produce exactly the schema the models describe, on both databases."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine.db import Database
from engine.models import Base


def test_migrations_match_models(db_url):
    db = Database(db_url)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    db.dispose()
    assert diff == []


def test_init_db_is_idempotent(db_url):
    db = Database(db_url)
    db.migrate()
    db.migrate()
    assert db.is_migrated()
    db.dispose()
