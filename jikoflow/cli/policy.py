"""`jikoflow policy load FILE` / `policy show`: the policy file (clocks, escalation, calendar and
sign-in rules per contract and organisation)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jikoflow.cli.common import Context, JsonOpt, emit_json, handled
from jikoflow.models.access import OPERATOR
from jikoflow.usecases import act, read

policy_app = typer.Typer(
    help="The policy file: clocks, escalation, calendar, sign-in.", no_args_is_help=True
)


@policy_app.command("load")
@handled()
def policy_load(
    file: Annotated[Path, typer.Argument(help="The policy YAML file.")],
    json_out: JsonOpt = False,
) -> None:
    """Load the policy file: validated first, all or nothing; loading it twice changes nothing."""
    from jikoflow.models.policy.file import read_policy
    from jikoflow.models.policy.service import load_policy

    policy, text = read_policy(file)
    loaded = act(
        Context().url, load_policy, actor=OPERATOR, policy=policy, name=file.name, text=text
    )
    if json_out:
        emit_json(loaded.model_dump(mode="json"))
    elif any(loaded.changed.values()):
        summary = ", ".join(f"{v} {k}" for k, v in loaded.changed.items())
        typer.echo(f"loaded {file}: {summary} changed")
    else:
        typer.echo(f"loaded {file}: already up to date")


@policy_app.command("show")
@handled()
def policy_show(json_out: JsonOpt = False) -> None:
    """The effective policy of every contract and organisation (defaults filled)."""
    from jikoflow.models.policy.service import policy_view

    view = read(Context().url, policy_view)
    data = view.model_dump(mode="json")
    if json_out:
        emit_json(data)
        return
    import yaml

    from jikoflow.models.times import tokyo_time

    data["loaded_at"] = (
        tokyo_time(data["loaded_at"], compact=True) if data["loaded_at"] else "never (built-in)"
    )
    typer.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False).rstrip())
