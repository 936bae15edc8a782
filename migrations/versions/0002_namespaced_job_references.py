"""scheduled drill plans name their job by the jikoflow namespace

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:00:00

Plans written before the code moved under one `jikoflow` import namespace point the scheduler
at `drills.jobs:fire_plan`; APScheduler keeps that reference pickled in each job's state.
"""

import pickle
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JOBS = sa.table(
    "jikoflow_jobs",
    sa.column("id", sa.Unicode(191)),
    sa.column("job_state", sa.LargeBinary),
)
_MOVES = {"drills.jobs:fire_plan": "jikoflow.drills.jobs:fire_plan"}


def _rewrite(moves: dict[str, str]) -> None:
    connection = op.get_bind()
    for job_id, blob in connection.execute(sa.select(_JOBS.c.id, _JOBS.c.job_state)).all():
        state = pickle.loads(blob)
        if state.get("func") in moves:
            state["func"] = moves[state["func"]]
            connection.execute(
                _JOBS.update()
                .where(_JOBS.c.id == job_id)
                .values(job_state=pickle.dumps(state, pickle.HIGHEST_PROTOCOL))
            )


def upgrade() -> None:
    _rewrite(_MOVES)


def downgrade() -> None:
    _rewrite({new: old for old, new in _MOVES.items()})
