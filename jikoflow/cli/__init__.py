"""The `jikoflow` command line (DESIGN.md §7), assembled from its command groups.

Exit codes: 0 ok, 2 bad input (one line on stderr naming the option), 1 internal failure.
Commands that do not run a flow never import Prefect.
"""

from __future__ import annotations

import sys

import typer

from jikoflow.cli import (
    drill_plans,
    drills,
    incidents,
    outbox,
    parties,
    policy,
    response,
    users,
    web,
)
from jikoflow.cli.common import run_app
from jikoflow.demo import demo
from jikoflow.serve import serve


def build() -> typer.Typer:
    """The whole command line: every group added here, explicitly."""
    app = typer.Typer(
        name="jikoflow",
        help="Article 24 incident response for entrusted information (受託情報の事故等対応).",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    app.command()(parties.init)
    app.add_typer(parties.app, name="parties")
    incidents.register(app)
    response.register(app)
    outbox.register(app)
    drill_app = typer.Typer(
        help="Drills (Art. 24 (3)): contact-tree checks and tabletop exercises.",
        no_args_is_help=True,
    )
    drills.register(drill_app)
    drill_plans.register(drill_app)
    app.add_typer(drill_app, name="drill")
    app.add_typer(users.users_app, name="users")
    app.add_typer(policy.policy_app, name="policy")
    app.command()(web.web)
    app.command()(serve)
    app.command()(demo)
    return app


app = build()


def run(argv: list[str]) -> int:
    """Run the CLI with `argv`; returns the exit code instead of exiting."""
    return run_app(app, argv)


def main() -> None:
    """Console-script entry point."""
    sys.exit(run(sys.argv[1:]))
