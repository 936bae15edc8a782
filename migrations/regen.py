"""Regenerate the initial migration from the tables (before the first release only).

Usage: python -m migrations.regen
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config

from migrations import HEAD, SCRIPT_LOCATION


def main() -> None:
    """Rewrite versions/<HEAD>_initial_schema.py against an empty SQLite database."""
    for old in (SCRIPT_LOCATION / "versions").glob(f"{HEAD}_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        config = Config()
        config.set_main_option("script_location", str(SCRIPT_LOCATION))
        config.set_main_option("sqlalchemy.url", f"sqlite:///{Path(tmp) / 'empty.db'}")
        command.revision(config, message="initial schema", autogenerate=True, rev_id=HEAD)


if __name__ == "__main__":
    main()
