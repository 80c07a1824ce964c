"""Migration scripts for the workflows tables; the engine's `init-db` finds them through an entry point."""
from pathlib import Path


def location() -> Path:
    """The folder with this package's Alembic revisions."""
    return Path(__file__).parent / "versions"
