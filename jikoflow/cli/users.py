"""`jikoflow users …`: sign-in for the portal and API tokens (operator acts, DESIGN.md §8).

Passwords are read from standard input only (never from the command line, where other users
of the machine see it in the process list); a token is printed once, at creation.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from jikoflow.cli.common import Context, JsonOpt, emit_json, handled
from jikoflow.models.access import OPERATOR
from jikoflow.models.errors import BadInput
from jikoflow.usecases import act, read

users_app = typer.Typer(help="Portal sign-in and API tokens.", no_args_is_help=True)

PersonArg = Annotated[str, typer.Argument(metavar="PERSON", help="Person id.")]


def _account_line(view: Any) -> str:
    state = "locked" if view.locked else "active"
    if view.locked_until is not None and not view.locked:
        from jikoflow.models.times import tokyo_time

        state = f"backing off until {tokyo_time(view.locked_until, compact=True)}"
    password = "password set" if view.has_password else "no password"
    totp = "TOTP on" if view.totp_enabled else "TOTP off"
    return f"{view.person}: {state}, {password}, {totp}"


def _print_account(view: Any, json_out: bool) -> None:
    if json_out:
        emit_json(view.model_dump(mode="json"))
    else:
        typer.echo(_account_line(view))


def _read_password() -> str:
    if sys.stdin.isatty():  # typed by hand: without echo
        import getpass

        line = getpass.getpass("password: ")
    else:
        line = sys.stdin.readline()
    password = line.removesuffix("\n").removesuffix("\r")
    if not password:
        raise BadInput("password", "nothing on standard input")
    return password


@users_app.command("set-password")
@handled({"password": "password"})
def set_password_command(
    person: PersonArg,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Give PERSON a password for the portal (their open sessions end)."""
    from jikoflow.models.accounts.service import set_password

    if not password_stdin:
        raise BadInput("password", "give it on standard input with --password-stdin")
    password = _read_password()
    view = act(Context().url, set_password, actor=OPERATOR, person_id=person, password=password)
    _print_account(view, json_out)


@users_app.command("token")
@handled()
def token_command(
    person: PersonArg,
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "api",
    json_out: JsonOpt = False,
) -> None:
    """Create an API token acting as PERSON; it is printed now and never again."""
    from jikoflow.models.accounts.service import create_api_token

    created = act(Context().url, create_api_token, actor=OPERATOR, person_id=person, name=name)
    if json_out:
        emit_json({"token": created.token, "id": created.id, "name": created.name})
        return
    typer.echo(created.token)
    typer.echo(
        f"token #{created.id} ({created.name}) for {person}: shown once, keep it safe",
        err=True,
    )


@users_app.command("tokens")
@handled()
def tokens_command(person: PersonArg, json_out: JsonOpt = False) -> None:
    """List PERSON's API tokens (names and dates; never the tokens)."""
    from jikoflow.models.accounts.service import list_api_tokens

    tokens = read(Context().url, list_api_tokens, actor=OPERATOR, person_id=person)
    if json_out:
        emit_json([t.model_dump(mode="json") for t in tokens])
        return
    from jikoflow.models.times import tokyo_time

    if not tokens:
        typer.echo(f"{person} has no API tokens")
    for t in tokens:
        state = f"revoked {tokyo_time(t.revoked_at, compact=True)}" if t.revoked_at else "active"
        used = tokyo_time(t.last_used_at, compact=True) if t.last_used_at else "never used"
        typer.echo(
            f"#{t.id}  {t.name}  created {tokyo_time(t.created_at, compact=True)}  {used}  {state}"
        )


@users_app.command("revoke-token")
@handled()
def revoke_token_command(
    token_id: Annotated[int, typer.Argument(metavar="ID", help="Token id (from `users tokens`).")],
    json_out: JsonOpt = False,
) -> None:
    """Revoke an API token at once."""
    from jikoflow.models.accounts.service import revoke_api_token

    view = act(Context().url, revoke_api_token, actor=OPERATOR, token_id=token_id)
    if json_out:
        emit_json(view.model_dump(mode="json"))
    else:
        typer.echo(f"token #{view.id} ({view.name}) of {view.person} revoked")


@users_app.command("lock")
@handled()
def lock_command(person: PersonArg, json_out: JsonOpt = False) -> None:
    """Refuse PERSON's sign-in and API tokens until unlocked (their sessions end)."""
    from jikoflow.models.accounts.service import lock_person

    view = act(Context().url, lock_person, actor=OPERATOR, person_id=person)
    _print_account(view, json_out)


@users_app.command("unlock")
@handled()
def unlock_command(person: PersonArg, json_out: JsonOpt = False) -> None:
    """Lift a lock or a back-off after failed sign-ins."""
    from jikoflow.models.accounts.service import unlock_person

    view = act(Context().url, unlock_person, actor=OPERATOR, person_id=person)
    _print_account(view, json_out)


@users_app.command("totp-reset")
@handled()
def totp_reset_command(person: PersonArg, json_out: JsonOpt = False) -> None:
    """Remove PERSON's TOTP (a lost phone); they enrol again when required."""
    from jikoflow.models.accounts.service import reset_totp

    view = act(Context().url, reset_totp, actor=OPERATOR, person_id=person)
    _print_account(view, json_out)


@users_app.command("show")
@handled()
def show_command(person: PersonArg, json_out: JsonOpt = False) -> None:
    """PERSON's sign-in state: password, lock, back-off, TOTP."""
    from jikoflow.models.accounts.service import account_view

    view = read(Context().url, account_view, person_id=person)
    _print_account(view, json_out)
