"""Alembic environment: runs on the connection the engine hands over (see engine.db.Database.migrate)."""
from alembic import context

from engine.models import Base

config = context.config
metadata = config.attributes.get("metadata", Base.metadata)
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `jointreview init-db`")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
