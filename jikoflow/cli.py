"""The `jikoflow` command line (DESIGN.md §7).

Exit codes: 0 ok, 2 bad input (one line on stderr naming the field), 1 internal failure.
Commands that do not run a flow never import Prefect.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from jikoflow.models.errors import BadInput
from jikoflow.models.settings import Settings, load_settings

try:  # Typer 0.2x ships its own copy of Click and raises that copy's exceptions
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover
    from click import exceptions as click_errors  # type: ignore[no-redef]

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="jikoflow",
    help="Article 24 incident response for entrusted information (受託情報の事故等対応).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
parties_app = typer.Typer(
    help="The parties file: organisations, people, contracts.", no_args_is_help=True
)
app.add_typer(parties_app, name="parties")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print data as JSON.")]
ByOpt = Annotated[str | None, typer.Option("--by", help="Person acting (audit trail).")]
NowOpt = Annotated[str | None, typer.Option("--now", help="Act as of this ISO time.")]

out = Console(highlight=False, soft_wrap=False)


class Context:
    """Settings and a ready database for one command."""

    def __init__(self) -> None:
        self.settings: Settings = load_settings()
        self._ready = False

    @property
    def url(self) -> str:
        """The application database URL, upgraded to the newest schema on first use."""
        if not self._ready:
            from jikoflow.database import ensure_schema

            ensure_schema(self.settings.database_url)
            self._ready = True
        return self.settings.database_url


def emit_json(data: Any) -> None:
    """Print data as JSON on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def now_from(text: str | None) -> datetime:
    """`--now` as an aware time, or the current time."""
    from jikoflow.models.incidents.service import parse_when
    from jikoflow.models.types import utcnow

    return parse_when(text, "--now") if text else utcnow()


def handled(fn: F) -> F:
    """Turn domain refusals into exit 2 and unexpected failures into exit 1, one line each."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except BadInput as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except (typer.Exit, typer.Abort, click_errors.ClickException):
            raise
        except Exception as exc:
            if os.environ.get("JIKOFLOW_DEBUG"):
                raise
            typer.echo(f"internal error: {type(exc).__name__}: {exc}".splitlines()[0], err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


from jikoflow import commands as _commands  # noqa: E402,F401  (registers the commands)


def run(argv: list[str]) -> int:
    """Run the CLI with `argv`; returns the exit code instead of exiting."""
    command = typer.main.get_command(app)
    try:
        # Outside standalone mode Typer returns the code of a `typer.Exit` instead of raising it.
        result = command.main(args=argv, prog_name="jikoflow", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except click_errors.UsageError as exc:
        hint = f"{exc.ctx.command_path}: " if exc.ctx else ""
        typer.echo(f"error: {hint}{exc.format_message()}".replace("\n", " "), err=True)
        return 2
    except click_errors.ClickException as exc:
        typer.echo(f"error: {exc.format_message()}".replace("\n", " "), err=True)
        return exc.exit_code
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 1
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run(sys.argv[1:]))
