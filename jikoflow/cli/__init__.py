"""The `jikoflow` command line (DESIGN.md §7), assembled from its command groups.

Exit codes: 0 ok, 2 bad input (one line on stderr naming the option), 1 internal failure.
Commands that do not run a flow never import Prefect.

Every group is added here, explicitly. A command line names its command first, so only that
command's group is imported and built (`jikoflow status` never loads the drill, portal or
serve modules); help and anything unknown build them all.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import NoReturn

import typer

from jikoflow.cli.common import run_app

Group = Callable[[typer.Typer], None]


def _parties(app: typer.Typer) -> None:
    from jikoflow.cli import parties

    app.command()(parties.init)
    app.add_typer(parties.app, name="parties")


def _incidents(app: typer.Typer) -> None:
    from jikoflow.cli import incidents

    incidents.register(app)


def _response(app: typer.Typer) -> None:
    from jikoflow.cli import response

    response.register(app)


def _decisions(app: typer.Typer) -> None:
    from jikoflow.cli import decisions

    decisions.register(app)


def _outbox(app: typer.Typer) -> None:
    from jikoflow.cli import outbox

    outbox.register(app)


def _drills(app: typer.Typer) -> None:
    from jikoflow.cli import drill_plans, drills

    drill_app = typer.Typer(
        help="Drills (Art. 24 (3)): contact-tree checks and tabletop exercises.",
        no_args_is_help=True,
    )
    drills.register(drill_app)
    drill_plans.register(drill_app)
    app.add_typer(drill_app, name="drill")


def _accounts(app: typer.Typer) -> None:
    from jikoflow.cli import policy, users

    app.add_typer(users.users_app, name="users")
    app.add_typer(policy.policy_app, name="policy")


def _audit(app: typer.Typer) -> None:
    from jikoflow.cli import audit

    app.add_typer(audit.audit_app, name="audit")


def _service(app: typer.Typer) -> None:
    from jikoflow.cli import web
    from jikoflow.demo import demo
    from jikoflow.serve import serve

    app.command()(web.web)
    app.command()(serve)
    app.command()(demo)


# Each top-level command and the group that defines it.
COMMANDS: dict[str, Group] = {
    "init": _parties,
    "parties": _parties,
    "declare": _incidents,
    "status": _incidents,
    "list": _incidents,
    "ack": _incidents,
    "correct-discovery": _incidents,
    "contain": _response,
    "cause": _response,
    "prevent": _response,
    "record": _response,
    "submit": _response,
    "accept": _response,
    "facts": _decisions,
    "reclassify": _decisions,
    "return": _decisions,
    "instruct": _decisions,
    "publish": _decisions,
    "ppc": _decisions,
    "notifications": _outbox,
    "sweep": _outbox,
    "drill": _drills,
    "users": _accounts,
    "policy": _accounts,
    "audit": _audit,
    "web": _service,
    "serve": _service,
    "demo": _service,
}


# Commands that run until they are stopped.
_UNTIL_STOPPED = frozenset({"web", "serve", "demo"})


def _root() -> None:
    """Article 24 incident response for entrusted information (受託情報の事故等対応)."""


def build(command: str | None = None) -> typer.Typer:
    """The command line: the group of `command` only, or every group."""
    app = typer.Typer(
        name="jikoflow",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    # A callback keeps a group of one command a group: `jikoflow status ID`, not `jikoflow ID`.
    app.callback()(_root)
    wanted = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for group in wanted:
        group(app)
    return app


def run(argv: list[str]) -> int:
    """Run the CLI with `argv`; returns the exit code instead of exiting."""
    for position, arg in enumerate(argv, start=1):
        # Python keeps undecodable bytes as surrogates; they would fail later, on output.
        if not arg.isascii() and not _utf8(arg):
            typer.echo(f"error: argument {position} is not valid UTF-8", err=True)
            return 2
    command = argv[0] if argv and not argv[0].startswith("-") else None
    # What jikoflow creates (database, keys, rendered records, Prefect's files) is the
    # operator's alone: personal data of incidents must not be readable by other accounts.
    previous = os.umask(0o077)
    try:
        return run_app(build(command), argv)
    finally:
        os.umask(previous)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def main() -> None:
    """Console-script entry point."""
    argv = sys.argv[1:]
    if not argv or argv[0] not in _UNTIL_STOPPED:
        # A command is a short process: the cyclic garbage collector would only slow its start
        # (it runs over and over while SQLAlchemy, pydantic and the tables are built, about 4%
        # of `status`), and all memory goes back at exit. A flow turns it back on
        # (`prepare_prefect`), as do the commands that run until stopped.
        gc.disable()
    code = run(argv)
    if "prefect" in sys.modules or threading.active_count() > 1:
        sys.exit(code)  # a flow ran or a thread is still at work: the ordinary exit waits
    _exit_without_teardown(code)


def _exit_without_teardown(code: int) -> NoReturn:
    """Exit once output is flushed and connections closed, skipping the interpreter's teardown:
    freeing SQLAlchemy's and pydantic's objects one by one takes longer (about 0.3 s) than a
    read command's own work, and nothing of the command's depends on it."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    if "jikoflow.models.db" in sys.modules:  # the command used the database
        from jikoflow.usecases import close_connections

        close_connections()
    logging.shutdown()
    os._exit(code)
