"""What every command shares: settings and a ready database, the acting principal, wording of
refusals in the CLI's own terms, JSON output, and delivering what an act queued.

Exit codes: 0 ok, 2 bad input (one line on stderr naming the option), 1 internal failure.
Services name the *field* they refuse (`summary`); here it becomes the option (`--summary`).
"""

from __future__ import annotations

import functools
import json
import os
import sys
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from jikoflow.models.access import OPERATOR, Principal, person
from jikoflow.models.errors import BadInput
from jikoflow.models.settings import Settings, load_settings

try:  # Typer 0.2x ships its own copy of Click and raises that copy's exceptions
    from typer._click import exceptions as click_errors
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover
    from click import exceptions as click_errors  # type: ignore[no-redef]
    from click.globals import get_current_context  # type: ignore[no-redef]

F = TypeVar("F", bound=Callable[..., Any])

JsonOpt = Annotated[bool, typer.Option("--json", help="Print data as JSON.")]
ByOpt = Annotated[
    str | None,
    typer.Option("--by", help="The person acting (checked as the portal checks them)."),
]
NowOpt = Annotated[str | None, typer.Option("--now", help="As of this ISO time.")]
IdArg = Annotated[str, typer.Argument(metavar="ID", help="Incident id.")]

out = Console(highlight=False, soft_wrap=False)

# Fields whose option is not simply `--` + the field name.
_ARGUMENTS = {
    "id": "ID",
    "ids": "ID",
    "drill": "DRILL",
    "file": "FILE",
    "person": "PERSON",
    "input": "input",
}


SUPPORTED_DATABASES = ("sqlite:///", "postgresql+psycopg://")


class Context:
    """Settings and a ready database for one command."""

    def __init__(self) -> None:
        self.settings: Settings = load_settings()
        self._ready = False
        url = self.settings.database_url
        if not url.startswith(SUPPORTED_DATABASES):
            scheme = url.split(":", 1)[0] if ":" in url else url[:20]
            raise BadInput(
                "JIKOFLOW_DATABASE_URL",
                f"unsupported database {scheme!r}: use sqlite:///PATH or postgresql://…",
            )
        from jikoflow.database import private_home

        private_home(self.settings)

    @property
    def url(self) -> str:
        """The application database URL, upgraded to the newest schema on first use."""
        if not self._ready:
            from jikoflow.database import ensure_schema

            ensure_schema(self.settings.database_url)
            self._ready = True
        return self.settings.database_url


def database_named(ctx: Context) -> str:
    """The database a command used, as it may be shown: a mistyped home says which it is."""
    from jikoflow.database import safe_url

    return safe_url(ctx.settings.database_url)


def listen_host(host: str | None) -> str | None:
    """`--host` as given, refused before anything starts when it cannot name an address (empty
    would otherwise mean the default, quietly)."""
    if host is not None and (
        not host or len(host) > 253 or any(c.isspace() or not c.isprintable() for c in host)
    ):
        raise BadInput("host", f"not a host name or address: {host!r}")
    return host


def principal(by: str | None) -> Principal:
    """`--by PERSON` acts as that person, checked like a signed-in one; without it, the operator."""
    return OPERATOR if by is None else person(by)


def emit_json(data: Any) -> None:
    """Print data as JSON on stdout: read models, lists and dicts of them, plain data."""
    from pydantic_core import to_jsonable_python

    plain = to_jsonable_python(data)
    sys.stdout.write(json.dumps(plain, ensure_ascii=False, indent=2) + "\n")


def now_from(text: str | None) -> datetime:
    """`--now` as an aware time, or the current time."""
    from jikoflow.models.times import parse_when
    from jikoflow.models.types import utcnow

    return parse_when(text, "now") if text is not None else utcnow()


def flag(field: str, options: Mapping[str, str] | None = None) -> str:
    """The command-line name of a refused field: `discovered_at` → `--discovered-at`."""
    if options and field in options:
        return options[field]
    if field in _ARGUMENTS:
        return _ARGUMENTS[field]
    if field.isupper():
        return field  # an environment variable, such as JIKOFLOW_HOME
    if field.replace("_", "").isalnum():
        return "--" + field.replace("_", "-")
    return field  # a place in a file, such as `parties.yaml: contracts[0].client`


# Databases store 64-bit integers; a larger one would fail deep inside the driver.
_MAX_INT = 2**63 - 1


def _check_values(kwargs: Mapping[str, Any]) -> None:
    for name, value in kwargs.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, int) and not isinstance(item, bool) and abs(item) > _MAX_INT:
                raise BadInput(_parameter(name), f"{item} is out of range")
            # Click turns an empty path into "." (this directory), never a file to use.
            if isinstance(item, Path) and str(item) == ".":
                raise BadInput(_parameter(name), "names no file")


def _parameter(name: str) -> str:
    """How the command line spells one of the running command's parameters: `--window`, or an
    argument's metavar (`ID`)."""
    ctx = get_current_context(silent=True)
    for param in ctx.command.params if ctx is not None else ():
        if param.name == name:
            if param.param_type_name == "option":
                return param.opts[0]
            return (param.metavar or name.upper()).strip("[]. ")
    return name


# A refusal quotes what was typed: a megabyte pasted by mistake is shortened in the middle, and
# control characters and bidi overrides are shown escaped, never sent to the terminal.
_LONGEST = 400
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}


def one_line(text: str) -> str:
    """`text` as one short, inert line for stderr."""
    line = " ".join(text.splitlines())
    if len(line) > _LONGEST:
        line = f"{line[: _LONGEST - 120]} … {line[-100:]}"
    return "".join(_inert(c) for c in line)


def _inert(c: str) -> str:
    if c in _BIDI or unicodedata.category(c) in ("Cc", "Cs"):
        return c.encode("unicode_escape").decode("ascii")
    return c


def refuse(text: str) -> None:
    """Write one refusal line on stderr."""
    typer.echo(one_line(text), err=True)


def handled(options: Mapping[str, str] | None = None) -> Callable[[F], F]:
    """Refusals, and storage that cannot be written (a read-only home, a full disk) → exit 2
    with one line; unexpected failures → exit 1."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                _check_values(kwargs)
                return fn(*args, **kwargs)
            except BadInput as exc:
                refuse(f"error: {flag(exc.field, options)}: {exc.message}")
                raise typer.Exit(2) from None
            except (typer.Exit, typer.Abort, click_errors.ClickException):
                raise
            except Exception as exc:
                if os.environ.get("JIKOFLOW_DEBUG"):
                    raise
                from jikoflow.database import storage_failure

                if (why := storage_failure(exc)) is not None:
                    refuse(f"error: {why}")
                    raise typer.Exit(2) from None
                line = f"internal error: {type(exc).__name__}: {exc}".splitlines()[0]
                refuse(line)
                raise typer.Exit(1) from None

        return wrapper  # type: ignore[return-value]

    return decorate


def deliver_now(ctx: Context, *subjects: str | None) -> None:
    """Send what an act queued for these incidents or drills; what fails is retried later."""
    from jikoflow.notifications.delivery import deliver

    ctx.url  # noqa: B018  (the database is ready before anything is sent)
    deliver(ctx.settings, subjects=[s for s in dict.fromkeys(subjects) if s is not None])


def say_delivery_problems(errors: Mapping[str, int], *, failed: int) -> None:
    """On stderr: each delivery error with what to do about it, and how to retry what failed."""
    from jikoflow.notifications.advice import RETRY_FAILED, problem_lines

    for line in problem_lines(errors):
        typer.echo(line, err=True)
    if failed:
        typer.echo(RETRY_FAILED, err=True)


def run_app(app: typer.Typer, argv: list[str]) -> int:
    """Run `app` with `argv`; returns the exit code, with usage errors as one line (exit 2)."""
    command = typer.main.get_command(app)
    try:
        # Outside standalone mode Typer returns the code of a `typer.Exit` instead of raising it.
        result = command.main(args=argv, prog_name="jikoflow", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except click_errors.UsageError as exc:
        hint = f"{exc.ctx.command_path}: " if exc.ctx else ""
        refuse(f"error: {hint}{exc.format_message()}")
        return 2
    except click_errors.ClickException as exc:
        refuse(f"error: {exc.format_message()}")
        return exc.exit_code
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 1
    return result if isinstance(result, int) and not isinstance(result, bool) else 0
