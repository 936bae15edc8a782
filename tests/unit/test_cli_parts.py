"""The command line loads only the group of the command it runs; all the groups together are
the whole command line."""

from __future__ import annotations

import typer

from jikoflow.cli import COMMANDS, build


def _names(app: typer.Typer) -> set[str]:
    command = typer.main.get_command(app)
    assert isinstance(command, typer.core.TyperGroup)
    return set(command.commands)


def test_the_map_names_every_command_of_the_whole_command_line() -> None:
    assert _names(build()) == set(COMMANDS)


def test_each_command_builds_only_its_own_group() -> None:
    for name, group in COMMANDS.items():
        siblings = {other for other, theirs in COMMANDS.items() if theirs is group}
        assert _names(build(name)) == siblings


def test_an_unknown_command_builds_everything_so_it_can_be_suggested() -> None:
    assert _names(build("stauts")) == set(COMMANDS)
