"""Alembic migrations of the application database."""

from pathlib import Path

SCRIPT_LOCATION = Path(__file__).resolve().parent
# The newest revision; a test checks it against the scripts so `ensure_schema` stays cheap.
HEAD = "0013"
