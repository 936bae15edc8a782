"""Every command of the CLI against bad values: each value-taking option and argument, found by
walking the command tree itself, is given the classes of bad values that apply to its type
(empty, blank, terminal escapes and bidi overrides, 1 MB, not UTF-8, out-of-range numbers,
impossible and far-off dates, unknown ids and choices, paths that must not be written).

Each case exits 2 with exactly one line on stderr naming the option or argument, prints nothing
on stdout, leaves the database and the home byte for byte as they were, and sends no message
(the fake Slack receives nothing although the incident has reports waiting). A control case
per command runs the same command line with good values and succeeds, so each refusal is the
bad value's doing. A command or option added without an entry here (or a commented exemption)
fails `test_every_command_and_option_has_an_entry`.

The cases run in-process against one prepared SQLite database, compared byte for byte after
each case (and put back if a case changed it); time is frozen on a Tokyo business morning.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
import typer

from tests.conftest import SAMPLE_PARTIES, CliResult
from tests.slack_fixtures import SLACK_TOKEN
from tests.slack_server import SlackServer

# A Tuesday morning in Tokyo, well after every approval in the sample parties file.
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
CONTRACT = "C-2026-001"


# --- The world the commands run against ------------------------------------------------------


@dataclass
class World:
    """The prepared home and database, and the ids of what is in it."""

    root: Path
    home: Path
    database: Path
    outside: Path  # a directory outside the home, with one existing file
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The database URL."""
        return f"sqlite:///{self.database}"


def _run(argv: list[str], stdin: str | None = None) -> CliResult:
    """The CLI in-process, its output captured (for fixtures wider than one test)."""
    from jikoflow.cli import run

    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run(argv)
    finally:
        sys.stdin = saved
    return CliResult(code, out.getvalue(), err.getvalue())


def _ok(*argv: str, stdin: str | None = None) -> CliResult:
    result = _run(list(argv), stdin)
    assert result.code == 0, (argv, result.err)
    return result


def _prepare(world: World) -> None:
    """Parties, a submitted and an open incident, messages that could not be delivered, a
    contact drill, a tabletop with an inject out, a plan, a finding, an API token, and a third
    incident whose reports wait to be sent."""
    _ok("parties", "load", str(SAMPLE_PARTIES))
    policy = world.outside / "policy.yaml"
    policy.write_text("defaults:\n  drills:\n    closed_days: keep\n", encoding="utf-8")
    _ok("policy", "load", str(policy))
    declare = ["declare", "--contract", CONTRACT, "--org", "delta", "--kind", "leak", "--json"]
    submitted = _ok(*declare, "--summary", "封筒1通の所在不明", "--no-flow").json()["id"]
    _ok("contain", submitted, "--action", "搬送停止", "--done")
    _ok("cause", submitted, "--text", "受領確認の欠如")
    _ok("prevent", submitted, "--measure", "受領署名の必須化", "--owner", "watanabe")
    _ok("submit", submitted)
    world.ids["submitted"] = submitted
    world.ids["drill"] = _ok(
        "drill", "run", "--contract", CONTRACT, "--type", "contact", "--no-flow", "--json"
    ).json()["id"]
    tabletop = ["drill", "run", "--contract", CONTRACT, "--type", "tabletop", "--no-flow"]
    world.ids["tabletop"] = _ok(*tabletop, "--scenario", "lost-forms-tier3", "--json").json()["id"]
    _ok("drill", "next", world.ids["tabletop"], "--no-flow")
    plan = ["drill", "plan", "--contract", CONTRACT, "--type", "contact", "--json"]
    world.ids["plan"] = str(_ok(*plan, "--cron", "0 10 1 */6 *").json()["id"])
    finding = ["drill", "finding", "add", world.ids["drill"], "--json"]
    world.ids["finding"] = str(_ok(*finding, "--text", "連絡網の更新").json()["id"])
    world.ids["token"] = str(_ok("users", "token", "suzuki", "--json").json()["id"])
    # Everything queued so far goes out, except to delta's channel, which does not exist: those
    # messages are left unreachable for `notifications retry`.
    _ok("sweep")
    # A suspicion (おそれ): it may also be proposed as 該当なし.
    opened = _ok(*declare, "--suspected", "--summary", "入力用紙1箱の所在不明", "--no-flow").json()
    world.ids["incident"] = opened["id"]
    _ok("cause", opened["id"], "--text", "調査中")
    _ok("prevent", opened["id"], "--measure", "搬送記録の照合", "--owner", "watanabe")
    _ok("instruct", opened["id"], "--text", "経過を報告すること", "--by", "tanaka")
    failed = _ok("notifications", "--failed", "--json").json()
    world.ids["message"] = str(failed[0]["id"])
    # Reports that wait: a refused command that went on to deliver would send them, and a
    # refused act that went on would send its own notices; the fake Slack would see either.
    waiting = _ok(*declare, "--summary", "郵便物1通の誤配", "--no-flow").json()["id"]
    world.ids["waiting"] = waiting
    queued = _ok("notifications", "--incident", waiting, "--json").json()
    assert queued, "reports should wait"
    assert {m["status"] for m in queued} == {"pending"}, queued
    (world.outside / "existing.md").write_text("keep me\n", encoding="utf-8")
    (world.outside / "parties.yaml").write_text(SAMPLE_PARTIES.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackServer]:
    """The fake Slack for the whole module; delta's channel does not exist there."""
    server = SlackServer(token=SLACK_TOKEN)
    with server:
        yield server


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, slack: SlackServer) -> Iterator[World]:
    """The prepared world, time frozen at T0, the environment pointed at it."""
    from jikoflow.models.db import get_engine

    root = tmp_path_factory.mktemp("corpus")
    made = World(root, root / "home", root / "db" / "jikoflow.db", root / "outside")
    made.outside.mkdir()
    with (
        pytest.MonkeyPatch.context() as patch,
        time_machine.travel(T0, tick=True),
    ):
        patch.setenv("JIKOFLOW_HOME", str(made.home))
        patch.setenv("JIKOFLOW_DATABASE_URL", made.url)
        for name in ("JIKOFLOW_LANG", "JIKOFLOW_DEBUG", "JIKOFLOW_SMTP_URL", "SLACK_APP_TOKEN"):
            patch.delenv(name, raising=False)
        patch.delenv("JIKOFLOW_AUDIT_KEY", raising=False)
        patch.setenv("SLACK_BOT_TOKEN", SLACK_TOKEN)
        patch.setenv("SLACK_API_URL", slack.url)
        patch.setattr("jikoflow.notifications.slack.SlackChannel.interval", 0.0)
        slack.known_channels = {"C0NERIMA", "C0ACME", "C0BETA", "C0GAMMA"}
        _prepare(made)
        get_engine(made.url).dispose()
        shutil.copytree(root, root.with_name(root.name + "-pristine"))
        yield made
        get_engine(made.url).dispose()


def _fingerprint(world: World) -> dict[str, bytes]:
    """The bytes of every file under the world's root: the database with its -wal and -shm, the
    home, the directory outside.

    The engine keeps one connection open throughout (it is opened first if need be), so the
    write-ahead log stays in place: reading, or a write transaction that rolls back, leaves the
    three files as they were, and any commit changes the log's bytes (or, checkpointed, the
    database's)."""
    from jikoflow.database import current_revision

    current_revision(world.url)  # a connection in the pool: the -wal and -shm exist
    return {
        str(p.relative_to(world.root)): p.read_bytes()
        for p in sorted(world.root.rglob("*"))
        if p.is_file()
    }


def _restore(world: World) -> None:
    from jikoflow.models.db import get_engine

    get_engine(world.url).dispose()
    shutil.rmtree(world.root)
    shutil.copytree(world.root.with_name(world.root.name + "-pristine"), world.root)


# --- Classes of bad values ---------------------------------------------------------------------

Value = str | Callable[[World], str]


@dataclass(frozen=True)
class Bad:
    """One class of bad value: its name (the case id) and the value (or how to make it)."""

    name: str
    value: Value

    def text(self, world: World) -> str:
        """The value for this world."""
        return self.value(world) if callable(self.value) else self.value


EMPTY = Bad("empty", "")
BLANK = Bad("blank", " \t ")
ESCAPE = Bad("ansi-escape", "x\x1b[2J\x1b]0;owned\x07")
C1 = Bad("c1-control", "x\x9b31m")
BIDI = Bad("bidi-override", "x\u202ey")
OVERSIZE = Bad("oversize-1mb", "x" * 2**20)
# What Python makes of an argument that is not UTF-8 (surrogateescape).
UNDECODABLE = Bad("not-utf8", b"x\xff\xfe".decode("utf-8", "surrogateescape"))

HOSTILE = (ESCAPE, C1, BIDI, OVERSIZE, UNDECODABLE)
# Free text: anything printable, line breaks included, but not nothing or blanks.
TEXT = (EMPTY, BLANK, *HOSTILE)
# Optional free text (a note, a reason that may be left out): empty is leaving it out.
NOTE = HOSTILE


def unknown(value: str) -> Bad:
    """An id that names nothing."""
    return Bad("unknown", value)


def ident(missing: str) -> tuple[Bad, ...]:
    """An id typed as text: one that names nothing, and every bad text."""
    return (unknown(missing), *TEXT)


INCIDENT = ident("INC-2026-9999")
DRILL = ident("DRL-20261201-9999")
PERSON = ident("nobody")
ORG = ident("nowhere")
CONTRACT_ID = ident("C-0000-000")
CHOICE = (Bad("unknown-choice", "nonsense"), *TEXT)

NEGATIVE = Bad("negative", "-1")
INT64 = Bad("2^63", str(2**63))
INT64_NEGATIVE = Bad("-2^63-1", str(-(2**63) - 1))
HUGE = Bad("2^64", str(2**64))
NOT_A_NUMBER = Bad("not-a-number", "ten")
FRACTION = Bad("fraction", "1.5")
ZERO = Bad("zero", "0")
# A count of things: whole, not negative, within 64 bits.
COUNT = (NEGATIVE, INT64, INT64_NEGATIVE, HUGE, NOT_A_NUMBER, FRACTION, EMPTY, BLANK, UNDECODABLE)
# A number that starts at 1 (a measure, an inject, a version, months, minutes).
NUMBER = (ZERO, *COUNT)


def row(missing: str = "999999") -> tuple[Bad, ...]:
    """A numbered row's id (plan, finding, token, message)."""
    return (unknown(missing), *NUMBER)


TIME = (
    *TEXT,
    Bad("malformed", "yesterday 10:00"),
    Bad("hour-25", "2026-11-27T25:00"),
    Bad("month-13", "2026-13-01T00:00"),
    Bad("impossible-date", "2026-02-30T10:00"),
    Bad("year-0001", "0001-01-01T00:00"),
    Bad("far-future", "9999-12-31T23:59"),
    Bad("bad-offset", "2026-11-27T10:00+25:00"),
)
DAY = (
    *TEXT,
    Bad("malformed", "next tuesday"),
    Bad("impossible-date", "2026-02-30"),
    Bad("year-0001", "0001-01-01"),
    Bad("far-future", "9999-12-31"),
    Bad("time-not-day", "2026-12-10T10:00"),
)


def _database(world: World) -> str:
    return str(world.database)


def _wal(world: World) -> str:
    return str(world.database) + "-wal"


def _home(world: World) -> str:
    return str(world.home)


def _in_home(world: World) -> str:
    return str(world.home / "record.md")


def _directory(world: World) -> str:
    return str(world.outside)


def _no_parent(world: World) -> str:
    return str(world.outside / "missing" / "record.md")


def _existing(world: World) -> str:
    return str(world.outside / "existing.md")


# Where a rendered file must not be written.
OUT = (
    EMPTY,
    Bad("dot", "."),
    Bad("the-database", _database),
    Bad("the-database-wal", _wal),
    Bad("the-home", _home),
    Bad("inside-the-home", _in_home),
    Bad("a-directory", _directory),
    Bad("missing-parent", _no_parent),
    Bad("existing-file", _existing),
    Bad("oversize-name", lambda w: str(w.outside / ("x" * 5000))),
    Bad("not-utf8", lambda w: str(w.outside) + "/" + UNDECODABLE.text(w)),
)


def _empty_file(world: World) -> str:
    path = world.root.with_name(world.root.name + "-files") / "empty.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b"")
    return str(path)


def _binary_file(world: World) -> str:
    path = world.root.with_name(world.root.name + "-files") / "binary.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b"\x00\xff\xfe\x00" * 64)
    return str(path)


# A file to read.
IN_FILE = (
    EMPTY,
    Bad("missing", lambda w: str(w.outside / "missing.yaml")),
    Bad("a-directory", _directory),
    Bad("the-database", _database),
    Bad("empty-file", _empty_file),
    Bad("binary-file", _binary_file),
    Bad("oversize-name", lambda w: str(w.outside / ("x" * 5000))),
    Bad("not-utf8", lambda w: str(w.outside) + "/" + UNDECODABLE.text(w)),
)
# A shipped scenario's id, or a file.
SCENARIO = (unknown("no-such-scenario"), BLANK, ESCAPE, C1, BIDI, OVERSIZE, *IN_FILE)


# --- The table: every command, its good values and the bad ones that apply --------------------


@dataclass(frozen=True)
class Spec:
    """One command: a value per parameter that works (the control case), flags always given,
    standard input, and per value-taking parameter the classes of bad values it refuses.

    `variants` are other good command lines for parameters that only go with other values
    (`prevent --evidence` goes with `--implemented N`, not `--measure`): the parameter's bad
    values are tried in its variant, so a refusal is never about the combination instead.
    """

    valid: dict[str, str]
    bad: dict[str, tuple[Bad, ...]]
    flags: tuple[str, ...] = ()
    stdin: str | None = None
    variants: dict[str, dict[str, str]] = field(default_factory=dict)

    def good(self, name: str | None = None) -> dict[str, str]:
        """The good values for trying parameter `name` (its variant's, if it has one)."""
        return self.variants.get(name, self.valid) if name is not None else self.valid


BY = {"by": PERSON}
TABLETOP = {"contract": CONTRACT, "drill_type": "tabletop", "scenario": "lost-forms-tier3"}

SPECS: dict[str, Spec] = {
    "init": Spec({}, {}),
    "parties load": Spec({"file": "{outside}/parties.yaml"}, {"file": IN_FILE}),
    "parties show": Spec({}, {"contract": CONTRACT_ID}),
    "declare": Spec(
        {"contract": CONTRACT, "org": "delta", "kind": "leak", "summary": "所在不明"},
        {
            "contract": CONTRACT_ID,
            "org": ORG,
            "kind": CHOICE,
            "summary": TEXT,
            "discovered_at": TIME,
            "key": (*TEXT, Bad("space", "a b")),
            **BY,
        },
        flags=("--no-flow",),
    ),
    "status": Spec({"incident_id": "{incident}"}, {"incident_id": INCIDENT, "now": TIME, **BY}),
    "list": Spec({}, {"contract": CONTRACT_ID, "now": TIME, **BY}),
    "ack": Spec(
        {"incident_id": "{incident}", "org": "nerima"},
        {"incident_id": INCIDENT, "org": ORG, **BY},
    ),
    "correct-discovery": Spec(
        {"incident_id": "{incident}", "discovered_at": "2026-12-01T09:00", "reason": "誤記"},
        {"incident_id": INCIDENT, "discovered_at": TIME, "reason": TEXT, **BY},
    ),
    "contain": Spec(
        {"incident_id": "{incident}", "action": "搬送停止"},
        {"incident_id": INCIDENT, "action": TEXT, **BY},
    ),
    "cause": Spec(
        {"incident_id": "{incident}", "text": "受領確認の欠如"},
        {"incident_id": INCIDENT, "text": TEXT, **BY},
    ),
    "prevent": Spec(
        {"incident_id": "{incident}", "measure": "受領署名の必須化", "owner": "watanabe"},
        variants={
            "implemented": {"incident_id": "{incident}", "implemented": "1"},
            "evidence": {"incident_id": "{incident}", "implemented": "1", "evidence": "照合記録"},
        },
        bad={
            "incident_id": INCIDENT,
            "measure": TEXT,
            "owner": PERSON,
            "due": DAY,
            "implemented": row("99"),
            "evidence": NOTE,
            **BY,
        },
    ),
    "record": Spec(
        {"incident_id": "{incident}"},
        {
            "incident_id": INCIDENT,
            "lang": CHOICE,
            "fmt": CHOICE,
            "out_path": OUT,
            "version": row("99"),
            "dates": CHOICE,
            **BY,
        },
    ),
    "submit": Spec(
        {"incident_id": "{incident}", "reason": "誤検知"},
        {"incident_id": INCIDENT, "lang": CHOICE, "reason": TEXT, **BY},
        flags=("--not-an-incident",),
    ),
    "accept": Spec(
        {"incident_id": "{submitted}", "by": "tanaka"},
        {"incident_id": INCIDENT, "by": PERSON, "version": row("99")},
    ),
    "facts": Spec(
        {"incident_id": "{incident}", "records": "120"},
        {
            "incident_id": INCIDENT,
            "occurred_at": TIME,
            "discovered_by": TEXT,
            "how": TEXT,
            "items": (*TEXT, Bad("only-commas", ",,,"), Bad("too-many", ",".join("x" * 51))),
            "records": COUNT,
            "people": COUNT,
            "secondary_damage": TEXT,
            "subject_notice": CHOICE,
            **BY,
        },
    ),
    "reclassify": Spec(
        {"incident_id": "{incident}", "reason": "確認", "kind": "destruction"},
        {"incident_id": INCIDENT, "reason": TEXT, "kind": CHOICE, **BY},
    ),
    "return": Spec(
        {"incident_id": "{submitted}", "reason": "記載不足", "by": "tanaka"},
        {"incident_id": INCIDENT, "reason": TEXT, "by": PERSON},
    ),
    "instruct": Spec(
        {"incident_id": "{incident}", "text": "報告を求める", "by": "tanaka"},
        variants={
            "done": {"incident_id": "{incident}", "done": "1", "by": "tanaka"},
            "note": {"incident_id": "{incident}", "done": "1", "note": "報告済み", "by": "tanaka"},
        },
        bad={
            "incident_id": INCIDENT,
            "text": TEXT,
            "due": DAY,
            "done": row("99"),
            "note": NOTE,
            **BY,
        },
    ),
    "publish": Spec(
        {"incident_id": "{incident}", "decision": "publish", "by": "tanaka"},
        {"incident_id": INCIDENT, "decision": CHOICE, "on": DAY, "reason": NOTE, **BY},
    ),
    "ppc": Spec(
        {"incident_id": "{incident}"},
        {
            "incident_id": INCIDENT,
            "stage": CHOICE,
            "fmt": CHOICE,
            "dates": CHOICE,
            "out_path": OUT,
            **BY,
        },
    ),
    "notifications": Spec({}, {"incident": INCIDENT, **BY}),
    "notifications retry": Spec({"ids": "{message}"}, {"ids": row(), "now": TIME, **BY}),
    "sweep": Spec({}, {"now": TIME}),
    "drill run": Spec(
        {"contract": CONTRACT, "drill_type": "contact"},
        variants={"scenario": TABLETOP},
        bad={
            "contract": CONTRACT_ID,
            "drill_type": CHOICE,
            "scenario": SCENARIO,
            "org": ORG,
            "window": NUMBER,
            "now": TIME,
            **BY,
        },
        flags=("--no-flow",),
    ),
    "drill ack": Spec(
        {"drill_id": "{drill}", "org": "nerima"},
        {"drill_id": DRILL, "org": ORG, "now": TIME, **BY},
    ),
    "drill show": Spec({"drill_id": "{drill}"}, {"drill_id": DRILL, **BY}),
    "drill status": Spec({"drill_id": "{drill}"}, {"drill_id": DRILL, **BY}),
    "drill list": Spec({}, {"contract": CONTRACT_ID, **BY}),
    "drill next": Spec(
        {"drill_id": "{tabletop}"}, {"drill_id": DRILL, "now": TIME, **BY}, flags=("--no-flow",)
    ),
    "drill respond": Spec(
        {"drill_id": "{tabletop}", "inject": "1", "role": "origin_manager", "text": "直ちに報告"},
        {
            "drill_id": DRILL,
            "inject": row("99"),
            "role": ident("no_such_role"),
            "text": TEXT,
            "now": TIME,
            **BY,
        },
    ),
    "drill join": Spec(
        {"drill_id": "{tabletop}", "by": "watanabe"},
        {"drill_id": DRILL, "by": PERSON, "now": TIME},
    ),
    "drill close": Spec({"drill_id": "{drill}"}, {"drill_id": DRILL, "now": TIME, **BY}),
    "drill tick": Spec({}, {"now": TIME}),
    "drill report": Spec(
        {"drill_id": "{drill}"},
        {
            "drill_id": DRILL,
            "lang": CHOICE,
            "fmt": CHOICE,
            "out_path": OUT,
            "now": TIME,
            **BY,
        },
    ),
    "drill scenarios": Spec({}, {}),
    "drill validate": Spec({"file": "{scenario_file}"}, {"file": IN_FILE}),
    "drill plan": Spec(
        {"contract": CONTRACT, "drill_type": "contact", "cron": "0 10 1 */6 *"},
        variants={"scenario": {**TABLETOP, "cron": "0 10 1 */6 *"}},
        bad={
            "contract": CONTRACT_ID,
            "drill_type": CHOICE,
            "cron": (
                *TEXT,
                Bad("minute-61", "61 10 1 */6 *"),
                Bad("three-fields", "0 10 1"),
                Bad("never", "0 0 30 2 *"),
            ),
            "tz": (unknown("Mars/Olympus"), Bad("path", "../../../etc/passwd"), *TEXT),
            "scenario": SCENARIO,
            "org": ORG,
            "window": NUMBER,
            **BY,
        },
    ),
    "drill plans": Spec({}, BY),
    "drill unplan": Spec({"plan_id": "{plan}"}, {"plan_id": row(), **BY}),
    "drill due": Spec({}, {"contract": CONTRACT_ID, "now": TIME, **BY}),
    "drill policy": Spec(
        {"contract": CONTRACT, "contact_months": "3"},
        {"contract": CONTRACT_ID, "contact_months": NUMBER, "tabletop_months": NUMBER, **BY},
    ),
    "drill finding add": Spec(
        {"drill_id": "{drill}", "text": "手順書の改訂"},
        {"drill_id": DRILL, "text": TEXT, "owner": PERSON, "due_date": DAY, **BY},
    ),
    "drill finding list": Spec({}, {"drill_id": DRILL, **BY}),
    "drill finding update": Spec(
        {"finding_id": "{finding}", "state": "in_progress"},
        {
            "finding_id": row(),
            "state": CHOICE,
            "owner": PERSON,
            "due_date": DAY,
            "note": NOTE,
            **BY,
        },
    ),
    "drill finding close": Spec(
        {"finding_id": "{finding}"}, {"finding_id": row(), "note": NOTE, **BY}
    ),
    "users set-password": Spec(
        {"person": "sato"},
        {"person": PERSON},
        flags=("--password-stdin",),
        stdin="correct horse battery staple\n",
    ),
    "users token": Spec({"person": "sato"}, {"person": PERSON, "name": TEXT}),
    "users tokens": Spec({"person": "suzuki"}, {"person": PERSON}),
    "users revoke-token": Spec({"token_id": "{token}"}, {"token_id": row()}),
    "users lock": Spec({"person": "sato"}, {"person": PERSON}),
    "users unlock": Spec({"person": "sato"}, {"person": PERSON}),
    "users totp-reset": Spec({"person": "sato"}, {"person": PERSON}),
    "users show": Spec({"person": "sato"}, {"person": PERSON}),
    # An empty policy file is the built-in policy (models/policy/file.py), so it loads.
    "policy load": Spec(
        {"file": "{outside}/policy.yaml"},
        {"file": tuple(b for b in IN_FILE if b.name != "empty-file")},
    ),
    "policy show": Spec({}, {}),
    "audit verify": Spec({"incident_id": "{incident}"}, {"incident_id": INCIDENT, **BY}),
}

# Commands that run until stopped, or only demonstrate: no control case here, and only the
# values that are refused before the command starts (see LONG_RUNNING below).
EXEMPT_COMMANDS = {
    "serve": "runs the scheduler and the portal until stopped (tests/integration/test_serve.py)",
    "web": "runs the portal until stopped (tests/integration/test_web_command.py)",
    "demo": "takes no values; loads the sample and declares, a demonstration",
}

# Values of the long-running commands that are refused before they start; anything that got
# through would reach `Context()`, which is made to fail here instead of starting a server.
# (A well-formed host that does not resolve is only found out when the portal binds it.)
PORT = (NEGATIVE, Bad("65536", "65536"), INT64, NOT_A_NUMBER, EMPTY, UNDECODABLE)
HOST = (EMPTY, BLANK, ESCAPE, BIDI, Bad("space", "local host"), OVERSIZE, UNDECODABLE)
LONG_RUNNING: dict[str, dict[str, tuple[Bad, ...]]] = {
    "serve": {
        "tick": (
            ZERO,
            NEGATIVE,
            Bad("below-minimum", "0.1"),
            Bad("nan", "NaN"),
            Bad("infinite", "inf"),
            NOT_A_NUMBER,
            EMPTY,
            UNDECODABLE,
        ),
        "port": PORT,
        "host": HOST,
    },
    "web": {"port": PORT, "host": HOST},
}

# Options that take a value but are not tried here, and why.
EXEMPT_OPTIONS: dict[tuple[str, str], str] = {}


# --- Walking the command tree ------------------------------------------------------------------


def _tree() -> dict[str, Any]:
    """Every command of the CLI by its path, with the groups that take values of their own."""
    from jikoflow.cli import build

    commands: dict[str, Any] = {}

    def walk(command: Any, path: list[str]) -> None:
        own = any(_takes_value(p) for p in command.params)
        if path and (own or not hasattr(command, "commands")):
            commands[" ".join(path)] = command
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(build()), [])
    return commands


def _takes_value(param: Any) -> bool:
    """Whether a parameter takes a value (flags do not; --help is not a parameter here)."""
    return not getattr(param, "is_flag", False) and param.expose_value


COMMANDS = _tree()
SCENARIO_FILE = (
    Path(__file__).resolve().parents[2] / "drills" / "scenarios" / "lost-forms-tier3.yaml"
)


def _argv(
    path: str, spec: Spec, world: World, name: str | None = None, bad: str | None = None
) -> list[str]:
    """The command line: the command, its options, flags, then `--` and its arguments; with
    `name`, the good values of its variant, and with `bad`, that parameter's value is `bad`."""
    places = {**world.ids, "outside": str(world.outside), "scenario_file": str(SCENARIO_FILE)}
    values = {k: v.format(**places) for k, v in spec.good(name).items()}
    if name is not None and bad is not None:
        values[name] = bad
    options: list[str] = []
    arguments: list[str] = []
    for param in COMMANDS[path].params:
        if param.name not in values:
            continue
        if param.param_type_name == "argument":
            arguments.append(values[param.name])
        else:
            options += [param.opts[0], values[param.name]]
    return [*path.split(), *options, *spec.flags, *(["--", *arguments] if arguments else [])]


def _cases() -> list[Any]:
    return [
        pytest.param(path, name, bad, id=f"{path}-{name}-{bad.name}")
        for path, spec in SPECS.items()
        for name, classes in spec.bad.items()
        for bad in classes
    ]


def _controls() -> list[Any]:
    return [
        pytest.param(path, name, id=f"{path}-{name}" if name else path)
        for path, spec in SPECS.items()
        for name in (None, *spec.variants)
    ]


# --- Checks -------------------------------------------------------------------------------------

_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}


def _inert(line: str) -> bool:
    """No terminal control characters, lone surrogates or bidi overrides in a line."""
    return not any(unicodedata.category(c) in ("Cc", "Cs") or c in _BIDI for c in line)


def _prefixes(path: str, name: str, argv: list[str], bad: str) -> list[str]:
    """How a refusal of parameter `name` may begin: `error: --window: …`, `error: ID: …`,
    Click's `… Invalid value for '--window'…`, the position of an argument that is not UTF-8,
    or, for a file, its path."""
    param = next(p for p in COMMANDS[path].params if p.name == name)
    names = [*param.opts, *param.secondary_opts]
    if param.param_type_name == "argument":
        names.append((param.metavar or name.upper()).strip("[]. "))
    prefixes = [f"error: {n}: " for n in names]
    prefixes += [f"Invalid value for '{n}" for n in names]
    prefixes += [f"Missing parameter: {n}" for n in names]
    position = argv.index(bad) + 1 if bad in argv else 0
    prefixes.append(f"error: argument {position} is not valid UTF-8")
    if name in ("file", "scenario"):  # a file is named by its path (refusals shorten it)
        prefixes += [f"error: {str(Path(bad))[:100]}", f"error: {Path(bad).name[:100]}"]
    return prefixes


def assert_refused(result: CliResult, prefixes: list[str]) -> None:
    """Exit 2, nothing on stdout, and one short inert line on stderr naming the parameter."""
    assert result.code == 2, (result.code, result.out[:300], result.err[:300])
    assert result.out == "", result.out[:300]
    assert result.err.endswith("\n"), result.err[:300]
    assert result.err.count("\n") == 1, result.err[:300]
    line = result.err[:-1]
    assert line.startswith("error: "), line[:300]
    assert "Traceback" not in line, line[:300]
    assert _inert(line), ascii(line[:300])
    assert len(line) <= 500, line[:300]
    assert any(p in line for p in prefixes), (prefixes, line[:300])


@pytest.fixture
def untouched(world: World, slack: SlackServer) -> Iterator[None]:
    """The world byte for byte as prepared, and not one request to Slack, after the test."""
    before = _fingerprint(world)
    requests = len(slack.requests)
    yield
    after = _fingerprint(world)
    sent = slack.requests[requests:]
    if after != before:
        _restore(world)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"changed: {changed}"
    assert not sent, [r.method for r in sent]


@pytest.fixture(scope="module")
def built_once(world: World) -> Iterator[None]:
    """Each command group built and converted to Click once for the module, not once per case:
    the cases still go through `jikoflow.cli.run`, only the construction is shared."""
    import jikoflow.cli

    built: dict[str | None, Any] = {}
    converted: dict[int, Any] = {}
    build, get_command = jikoflow.cli.build, typer.main.get_command

    def cached_build(command: str | None = None) -> Any:
        if command not in built:
            built[command] = build(command)
        return built[command]

    def cached_get_command(app: Any) -> Any:
        if id(app) not in converted:
            converted[id(app)] = get_command(app)
        return converted[id(app)]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jikoflow.cli, "build", cached_build)
        patch.setattr(typer.main, "get_command", cached_get_command)
        yield


# --- Tests --------------------------------------------------------------------------------------


def test_every_command_and_option_has_an_entry() -> None:
    for path, command in COMMANDS.items():
        if path in EXEMPT_COMMANDS:
            options = LONG_RUNNING.get(path, {})
        else:
            assert path in SPECS, f"`jikoflow {path}` has no entry in SPECS (or EXEMPT_COMMANDS)"
            options = SPECS[path].bad
        for param in command.params:
            if not _takes_value(param) or (path, param.name) in EXEMPT_OPTIONS:
                continue
            assert param.name in options, f"`jikoflow {path}`: {param.opts} has no bad values"
    for path, spec in SPECS.items():
        assert path in COMMANDS, f"SPECS names `jikoflow {path}`, which does not exist"
        names = {p.name for p in COMMANDS[path].params}
        assert set(spec.bad) | set(spec.valid) | set(spec.variants) <= names, path


def test_the_checks_see_a_change_and_a_message(
    world: World, built_once: None, slack: SlackServer
) -> None:
    """The checks are not blind: a command that acts changes the fingerprint and posts."""
    before, requests = _fingerprint(world), len(slack.requests)
    try:
        _ok("cause", world.ids["waiting"], "--text", "調査中")
        assert _fingerprint(world) != before
        assert len(slack.requests) > requests
    finally:
        _restore(world)
    assert _fingerprint(world) == before


@pytest.mark.parametrize(("path", "name"), _controls())
def test_the_good_values_work(
    world: World,
    built_once: None,
    path: str,
    name: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The control: each command line of the table succeeds with its good values (on a copy)."""
    from jikoflow.models.db import get_engine

    root = tmp_path / "world"
    copy = World(root, root / "home", root / "db" / "jikoflow.db", root / "outside", world.ids)
    shutil.copytree(world.root.with_name(world.root.name + "-pristine"), copy.root)
    monkeypatch.setenv("JIKOFLOW_HOME", str(copy.home))
    monkeypatch.setenv("JIKOFLOW_DATABASE_URL", copy.url)
    spec = SPECS[path]
    argv = _argv(path, spec, copy, name)
    try:
        result = _run(argv, spec.stdin)
    finally:
        get_engine(copy.url).dispose()
    assert result.code == 0, (argv, result.err)


@pytest.mark.parametrize(("path", "name", "bad"), _cases())
def test_a_bad_value_is_refused_and_changes_nothing(
    world: World,
    built_once: None,
    untouched: None,
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    name: str,
    bad: Bad,
) -> None:
    spec = SPECS[path]
    if spec.stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(spec.stdin))
    value = bad.text(world)
    argv = _argv(path, spec, world, name, value)
    assert_refused(cli(*argv), _prefixes(path, name, argv, value))


@pytest.mark.parametrize(
    ("path", "name", "bad"),
    [
        pytest.param(path, name, bad, id=f"{path}-{name}-{bad.name}")
        for path, options in LONG_RUNNING.items()
        for name, classes in options.items()
        for bad in classes
    ],
)
def test_a_long_running_command_refuses_before_it_starts(
    world: World,
    built_once: None,
    untouched: None,
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    name: str,
    bad: Bad,
) -> None:
    def started() -> None:
        raise AssertionError(f"`jikoflow {path}` started")

    # A value that got through would start a server; this fails (exit 1) instead.
    monkeypatch.setattr("jikoflow.cli.common.Context.__init__", lambda self: started())
    value = bad.text(world)
    argv = [*path.split(), f"--{name}", value]
    assert_refused(cli(*argv), _prefixes(path, name, argv, value))


PASSWORDS = [
    pytest.param("", id="nothing"),
    pytest.param("\n", id="empty-line"),
    pytest.param("x" * 2**20 + "\n", id="oversize-1mb"),
]


@pytest.mark.parametrize("stdin", PASSWORDS)
def test_a_bad_password_on_standard_input_is_refused(
    world: World,
    built_once: None,
    untouched: None,
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
    stdin: str,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    result = cli("users", "set-password", "--password-stdin", "sato")
    assert_refused(result, ["error: password: "])


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_an_unknown_option_is_one_line(
    world: World, built_once: None, untouched: None, cli: Callable[..., CliResult], path: str
) -> None:
    result = cli(*path.split(), "--no-such-option\x1b[2J")
    assert_refused(result, ["No such option: --no-such-option"])


def test_retry_with_one_unknown_id_among_good_ones_changes_nothing(
    world: World, built_once: None, untouched: None, cli: Callable[..., CliResult]
) -> None:
    """All or nothing: a failed message is not queued again when another id names nothing."""
    argv = ["notifications", "retry", "--", world.ids["message"], "999999"]
    assert_refused(cli(*argv), ["error: ID: "])


# The environment an acting command runs in. (A database URL naming a file that does not exist
# yet is not among them: every command creates the database it is pointed at.)
ENVIRONMENT = [
    pytest.param(
        "JIKOFLOW_AUDIT_KEY", lambda w: "short", "error: JIKOFLOW_AUDIT_KEY: ", id="audit-key"
    ),
    pytest.param(
        "JIKOFLOW_DATABASE_URL",
        lambda w: f"sqlite:///{w.outside}",
        "error: the database cannot be written (unable to open database file)",
        id="url-a-directory",
    ),
    pytest.param(
        "JIKOFLOW_DATABASE_URL",
        lambda w: f"sqlite:///{w.outside / 'parties.yaml'}",
        "error: JIKOFLOW_DATABASE_URL: the file is not a SQLite database",
        id="url-not-a-database",
    ),
    pytest.param(
        "JIKOFLOW_HOME",
        lambda w: str(w.outside / "existing.md"),
        "error: JIKOFLOW_HOME: ",
        id="home-a-file",
    ),
]


@pytest.mark.parametrize(("variable", "value", "says"), ENVIRONMENT)
def test_a_bad_environment_is_one_line_and_changes_nothing(
    world: World,
    built_once: None,
    untouched: None,
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: Callable[[World], str],
    says: str,
) -> None:
    monkeypatch.setenv(variable, value(world))
    result = cli("cause", "--text", "調査中", "--", world.ids["incident"])
    assert_refused(result, [says])
