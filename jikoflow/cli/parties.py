"""`jikoflow init` and `jikoflow parties load|show`: the database and the parties file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jikoflow.cli.common import Context, JsonOpt, emit_json, handled, out
from jikoflow.models.access import OPERATOR
from jikoflow.usecases import act, read

app = typer.Typer(help="The parties file: organisations, people, contracts.", no_args_is_help=True)


@handled()
def init(json_out: JsonOpt = False) -> None:
    """Create or upgrade the database."""
    from jikoflow.database import safe_url, upgrade

    ctx = Context()
    before, after = upgrade(ctx.settings.database_url)
    where = safe_url(ctx.settings.database_url)
    if json_out:
        emit_json({"database": where, "from": before, "to": after})
    else:
        out.print(f"database ready at revision {after} ({where})")


@app.command("load")
@handled()
def load(
    file: Annotated[Path, typer.Argument(help="The parties YAML file.")],
    json_out: JsonOpt = False,
) -> None:
    """Load the parties file: all or nothing, and loading it twice changes nothing."""
    from jikoflow.models.parties.file import read_parties
    from jikoflow.models.parties.service import load as load_parties

    parties = read_parties(file)
    ctx = Context()
    loaded = act(ctx.url, load_parties, actor=OPERATOR, parties=parties, source=file.name)
    if json_out:
        emit_json({"changed": loaded})
    elif loaded.changed:
        summary = ", ".join(f"{v} {k}" for k, v in loaded.model_dump().items())
        out.print(f"loaded {file}: {summary} changed")
    else:
        out.print(f"loaded {file}: already up to date")


@app.command("show")
@handled()
def show(
    contract: Annotated[str | None, typer.Option("--contract", help="One contract.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Draw each contract's delegation tree, marking tiers without 甲's approval."""
    from jikoflow.models.parties.service import trees

    ctx = Context()
    found = read(ctx.url, trees, actor=OPERATOR, contract_id=contract)
    if json_out:
        emit_json(found)
        return
    from jikoflow.terminal.incidents import chain_tree

    if not found:
        from jikoflow.database import safe_url

        where = safe_url(ctx.settings.database_url)
        typer.echo(
            f"no contracts in {where}: load a parties file with `jikoflow parties load FILE`"
        )
    for tree in found:
        out.print(chain_tree(tree, ctx.settings.lang))
