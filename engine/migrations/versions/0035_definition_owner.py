"""The department a process version answers for (its BPMN's owner_department) as a column of the version: a
department's case search finds the cases of the versions it owns, as the case page decides who may open a case by
its own version, without compiling every version to find out. Filled from the deployed files.

Revision ID: 0035
Revises: 0034
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op
from lxml import etree

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def owner_in(content: str, process_key: str) -> str | None:
    """The owner_department property of the process `process_key` in a BPMN file, if it is there."""
    try:
        root = etree.fromstring(content.encode("utf-8"), PARSER)
    except etree.XMLSyntaxError:
        return None
    for process in root.xpath("//*[local-name()='process'][@id=$key]", key=process_key):
        for prop in process.xpath("./*[local-name()='extensionElements']/*[local-name()='properties']"
                                  "/*[local-name()='property'][@name='owner_department']"):
            return (prop.get("value") or "").strip() or None
    return None


def upgrade() -> None:
    op.add_column("process_definitions", sa.Column("owner_department", sa.String(64)))
    definitions = sa.table("process_definitions", sa.column("id", sa.Integer), sa.column("process_key", sa.String),
                           sa.column("deployment_id", sa.Integer), sa.column("files", sa.Text),
                           sa.column("owner_department", sa.String))
    files = sa.table("deployment_files", sa.column("deployment_id", sa.Integer), sa.column("filename", sa.String),
                     sa.column("content", sa.Text))
    bind = op.get_bind()
    for definition_id, process_key, deployment_id, names in bind.execute(sa.select(
            definitions.c.id, definitions.c.process_key, definitions.c.deployment_id, definitions.c.files)).all():
        wanted = [n for n in (names or "").splitlines() if n.lower().endswith(".bpmn")]
        contents = bind.execute(sa.select(files.c.content).where(files.c.deployment_id == deployment_id,
                                                                 files.c.filename.in_(wanted))).scalars().all()
        owner = next((o for o in (owner_in(c, process_key) for c in contents) if o), None)
        if owner:
            bind.execute(definitions.update().where(definitions.c.id == definition_id).values(owner_department=owner))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # cases refer to the table: SQLite drops the column in place (3.35+)
        op.execute("ALTER TABLE process_definitions DROP COLUMN owner_department")
    else:
        op.drop_column("process_definitions", "owner_department")
