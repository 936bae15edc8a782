"""Migration 0003 on databases with data: an outbox written by the 0002 schema becomes
transport rows about incidents and drills, its Slack ids move to the Slack tables, and delivery
carries on where it stopped; the downgrade puts everything back. SQLite and PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from slack_sdk import WebClient

from jikoflow.database import upgrade
from jikoflow.migrations import SCRIPT_LOCATION
from jikoflow.models.db import get_engine, reading, transaction
from jikoflow.models.enums import IncidentKind, IncidentState, ReportStatus
from jikoflow.models.outbox.facts import NoticeEvent, NoticeFacts, ReportFact, Subject, enqueue
from jikoflow.models.outbox.tables import Notification, Transport
from jikoflow.models.parties.tables import Organization
from jikoflow.models.types import utcnow
from jikoflow.notifications.console import ConsoleChannel
from jikoflow.notifications.dispatch import ChannelPacer, deliver_due
from jikoflow.notifications.slack import SlackChannel
from tests.slack_fixtures import SAMPLE_PARTIES, SLACK_TOKEN, load_parties_file
from tests.slack_server import SlackServer

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
INC = "INC-20261102-AAAAAA"
DRL = "DRL-20261102-BBBBBB"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables, on each backend."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("empty_postgres_url")
        yield url
        return
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    yield url
    get_engine(url).dispose()
    get_engine.cache_clear()


def migrate(url: str, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    with get_engine(url).begin() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)


def tables(url: str) -> dict[str, sa.Table]:
    """The database's tables as they are (reflected: types, JSON parsed)."""
    metadata = sa.MetaData()
    metadata.reflect(get_engine(url))
    return dict(metadata.tables)


def rows_of(url: str, name: str, *, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    table = tables(url)[name]
    key = table.c.get("id", table.c.get("notification_id"))
    with get_engine(url).connect() as conn:
        found = conn.execute(sa.select(table).order_by(key)).mappings()
        return [{k: v for k, v in row.items() if k not in drop} for row in found]


def insert(url: str, name: str, *rows: dict[str, Any]) -> None:
    with get_engine(url).begin() as conn:
        conn.execute(tables(url)[name].insert(), list(rows))


def old_facts(event: NoticeEvent, subject_id: str, recipient: str) -> dict[str, Any]:
    """Facts as the 0002 code wrote them: the subject's id in `incident_id`."""
    drill = subject_id.startswith("DRL-")
    facts = NoticeFacts(
        event=event,
        subject=Subject.DRILL if drill else Subject.INCIDENT,
        subject_id=subject_id,
        contract_id="C-1",
        contract_title="住民情報システム運用保守業務",
        org_id="beta",
        org_name="ベータ",
        recipient_id=recipient,
        recipient_name=recipient,
        kind=IncidentKind.LEAK,
        suspected=True,
        state=IncidentState.OPEN,
        drill=drill,
        declared_at=T0,
        reports=()
        if drill
        else (ReportFact(org_name="練馬区", status=ReportStatus.PENDING, org_id="nerima"),),
    ).model_dump(mode="json")
    del facts["subject"]
    facts["incident_id"] = facts.pop("subject_id")
    return facts


def outbox_row(ident: int, subject: str, org: str, event: NoticeEvent, **values: Any) -> dict:
    row = {
        "id": ident,
        "key": f"{subject}:{event}:{org}:{ident}",
        "incident_id": subject,
        "org_id": org,
        "channel": None,
        "report_id": None,
        "event": str(event),
        "facts": old_facts(event, subject, org),
        "status": "sent",
        "attempts": 1,
        "created_at": T0,
        "next_attempt_at": T0,
        "claimed_at": None,
        "sent_at": T0,
        "last_error": None,
        "ts": None,
        "thread_ts": None,
        "maybe_posted": False,
    }
    return row | values


def write_0002_outbox(url: str, card_ts: str, reply_ts: str) -> None:
    """An incident reported to nerima through Slack (card and one reply), a reply to beta still
    queued for the channel beta had then, and a contact check printed on the console."""
    insert(
        url,
        "organization",
        {"id": "nerima", "name": "練馬区", "kind": "client", "slack_channel": "C0NERIMA"},
        {"id": "beta", "name": "ベータ", "kind": "contractor", "slack_channel": "C0BETA"},
        {"id": "epsilon", "name": "イプシロン", "kind": "subcontractor", "slack_channel": None},
    )
    insert(
        url,
        "contract",
        {"id": "C-1", "title": "業務", "client_id": "nerima", "contractor_id": "beta"},
    )
    insert(
        url,
        "incident",
        {
            "id": INC, "contract_id": "C-1", "org_id": "beta", "kind": "leak", "suspected": True,
            "improper_purpose": False, "summary": "封筒の所在不明", "state": "open",
            "discovered_at": T0, "declared_at": T0, "is_drill": False,
        },
    )  # fmt: skip
    insert(
        url,
        "report",
        {"id": 1, "incident_id": INC, "recipient_id": "nerima", "status": "delivered"},
    )
    insert(
        url,
        "drill",
        {
            "id": DRL, "contract_id": "C-1", "type": "contact", "state": "running",
            "origin_id": "beta", "kind": "leak", "suspected": True, "started_at": T0,
            "ends_at": T0 + timedelta(hours=1), "released": 0,
        },
    )  # fmt: skip
    report, state, check = NoticeEvent.REPORT, NoticeEvent.STATE, NoticeEvent.DRILL_CHECK
    unsent = {"status": "pending", "sent_at": None}
    insert(
        url,
        "notification",
        outbox_row(1, INC, "nerima", report, channel="C0NERIMA", report_id=1, ts=card_ts),
        outbox_row(2, INC, "nerima", state, channel="C0NERIMA", ts=reply_ts, thread_ts=card_ts),
        outbox_row(3, INC, "beta", state, channel="C0OLDBETA", **unsent),
        outbox_row(4, DRL, "beta", check, channel="C0BETA", ts="console.1"),
        outbox_row(5, DRL, "epsilon", check, **unsent | {"status": "unreachable"}),
    )
    card = {"card_row_id": 1, "card_shown_id": 1}
    printed = {"card_row_id": 4, "card_shown_id": 4}
    insert(
        url,
        "chatthread",
        {"id": 1, "incident_id": INC, "channel": "C0NERIMA", "ts": card_ts} | card,
        {"id": 2, "incident_id": DRL, "channel": "C0BETA", "ts": "console.1"} | printed,
    )


def test_a_0002_outbox_becomes_transport_rows_with_slack_tables(
    fresh_url: str, slack_server: SlackServer
) -> None:
    client = WebClient(token=SLACK_TOKEN, base_url=slack_server.url)
    card_ts = client.chat_postMessage(channel="C0NERIMA", text="card")["ts"]
    reply_ts = client.chat_postMessage(channel="C0NERIMA", text="reply", thread_ts=card_ts)["ts"]
    migrate(fresh_url, "0002")
    write_0002_outbox(fresh_url, card_ts, reply_ts)
    upgrade(fresh_url)

    outbox = {r["id"]: r for r in rows_of(fresh_url, "notification")}
    assert {r["transport"] for r in outbox.values()} == {"chat"}
    subjects = {i: (r["incident_id"], r["drill_id"]) for i, r in outbox.items()}
    assert subjects == {
        1: (INC, None),
        2: (INC, None),
        3: (INC, None),
        4: (None, DRL),
        5: (None, DRL),
    }
    for row in outbox.values():
        facts = NoticeFacts.model_validate(row["facts"])
        assert facts.subject_id == (row["incident_id"] or row["drill_id"])
        assert facts.subject is (Subject.DRILL if row["drill_id"] else Subject.INCIDENT)
    assert (outbox[3]["status"], outbox[5]["status"]) == ("pending", "unreachable")
    messages = rows_of(fresh_url, "slack_message")
    assert [(m["notification_id"], m["channel"], m["ts"], m["thread_ts"]) for m in messages] == [
        (1, "C0NERIMA", card_ts, None),
        (2, "C0NERIMA", reply_ts, card_ts),
    ]  # the console's rows were never in Slack
    threads = rows_of(fresh_url, "slack_thread")
    assert [(t["subject_id"], t["channel"], t["ts"], t["card_row_id"]) for t in threads] == [
        (INC, "C0NERIMA", card_ts, 1)
    ]

    # Delivery carries on: the queued reply goes to beta's channel as it is now, a new message
    # for nerima goes into the card's thread, and the card is brought up to date.
    with transaction(fresh_url) as session:
        nerima = session.get_one(Organization, "nerima")
        facts = NoticeFacts.model_validate(outbox[2]["facts"])
        [new] = enqueue(session, facts, nerima, key_suffix="after-upgrade")
        session.flush()
        assert new.id == 6  # ids continue after the copied rows
    channel = SlackChannel(SLACK_TOKEN, slack_server.url, timeout=5)
    later = utcnow() + timedelta(minutes=1)  # the new row is queued at the real time
    stats = deliver_due(fresh_url, channel, pacer=ChannelPacer(0), now=later)
    assert (stats.sent, stats.failed) == (2, 0)
    posts = {
        p.body["metadata"]["event_payload"]["key"]: p.body
        for p in slack_server.calls("chat.postMessage")[2:]
    }
    assert posts[outbox[3]["key"]]["channel"] == "C0BETA"
    assert "thread_ts" not in posts[outbox[3]["key"]]  # the first message about INC in C0BETA
    assert posts[new.key]["channel"] == "C0NERIMA"
    assert posts[new.key]["thread_ts"] == card_ts
    assert [(u.body["channel"], u.body["ts"]) for u in slack_server.calls("chat.update")] == [
        ("C0NERIMA", card_ts)
    ]
    assert len(slack_server.replies("C0NERIMA", card_ts)) == 2


def deliver_some(url: str, slack: SlackServer) -> tuple[str, str]:
    """Incidents and a drill at head: delivered through Slack, printed, and still queued."""
    from tests import acts

    load_parties_file(url, SAMPLE_PARTIES)
    start = utcnow()  # rows are queued at the real time
    with transaction(url) as session:
        first = acts.declare(session, summary="封筒の所在不明", now=start).incident.id
    slack_channel = SlackChannel(SLACK_TOKEN, slack.url, timeout=5)
    deliver_due(url, slack_channel, pacer=ChannelPacer(0), now=start + timedelta(minutes=1))
    with transaction(url) as session:
        acts.contain(session, first, "隔離", now=start + timedelta(minutes=2))
        drill = acts.contact_check(session, now=start).id
    deliver_due(
        url,
        slack_channel,
        pacer=ChannelPacer(0),
        subjects=[first],
        now=start + timedelta(minutes=3),
    )
    console = ConsoleChannel(io.StringIO())
    deliver_due(url, console, subjects=[drill], now=start + timedelta(minutes=3))
    with transaction(url) as session:
        acts.declare(session, org="gamma", kind=IncidentKind.ERASURE, summary="誤消去", now=start)
    return first, drill


def test_downgrade_and_upgrade_again_keep_every_message(
    fresh_url: str, slack_server: SlackServer
) -> None:
    upgrade(fresh_url)
    _, drill = deliver_some(fresh_url, slack_server)
    outbox = rows_of(fresh_url, "notification")
    messages = rows_of(fresh_url, "slack_message")
    threads = rows_of(fresh_url, "slack_thread", drop=("card_digest",))
    assert {r["status"] for r in outbox} == {"sent", "pending"}
    assert len(messages) == 10  # five cards and their replies
    assert len(threads) == 5
    assert any(r["drill_id"] == drill for r in outbox)

    migrate(fresh_url, "0002", down=True)
    assert {"slack_message", "slack_thread"}.isdisjoint(tables(fresh_url))
    old = {r["id"]: r for r in rows_of(fresh_url, "notification")}
    assert len(old) == len(outbox)
    sent = {m["notification_id"]: m for m in messages}
    for row in outbox:
        was = old[row["id"]]
        assert was["incident_id"] == (row["incident_id"] or row["drill_id"])
        assert was["facts"]["incident_id"] == was["incident_id"]
        assert "subject_id" not in was["facts"]
        if row["id"] in sent:
            assert (was["channel"], was["ts"], was["thread_ts"]) == (
                sent[row["id"]]["channel"], sent[row["id"]]["ts"], sent[row["id"]]["thread_ts"]
            )  # fmt: skip
        else:  # printed on the console, or still queued: the channel it goes to
            assert was["ts"] is None
            assert was["channel"] is not None
    chat_threads = rows_of(fresh_url, "chatthread")
    assert [(t["incident_id"], t["ts"]) for t in chat_threads] == [
        (t["subject_id"], t["ts"]) for t in threads
    ]

    upgrade(fresh_url)
    assert rows_of(fresh_url, "notification") == outbox
    assert rows_of(fresh_url, "slack_message") == messages
    assert rows_of(fresh_url, "slack_thread", drop=("card_digest",)) == threads
    with reading(fresh_url) as session:
        assert session.get_one(Notification, outbox[-1]["id"]).transport is Transport.CHAT


REFUSED = [
    {"drill_id": "DRL-20261102-NOSUCH"},  # no such drill
    {"incident_id": "INC-20261102-NOSUCH"},  # no such incident
    {"incident_id": INC, "drill_id": DRL},  # two subjects
    {},  # none
    {"incident_id": INC, "org_id": None},  # nobody to address
]


def test_an_outbox_row_is_about_one_real_subject_for_someone(fresh_url: str) -> None:
    migrate(fresh_url, "0002")
    write_0002_outbox(fresh_url, "1.000001", "1.000002")
    upgrade(fresh_url)
    table = tables(fresh_url)["notification"]
    row = {"key": "k", "transport": "chat", "org_id": "nerima", "event": "report", "facts": {}}
    row |= {"status": "pending", "attempts": 0, "created_at": T0, "next_attempt_at": T0}
    row |= {"maybe_posted": False}
    with get_engine(fresh_url).begin() as conn:
        conn.execute(table.insert(), [row | {"key": "fine", "drill_id": DRL}])
    for refused in REFUSED:
        with pytest.raises(sa.exc.IntegrityError), get_engine(fresh_url).begin() as conn:
            conn.execute(table.insert(), [row | refused])
