"""Tampering with database access alone shows: an edited audit event (its hash recomputed), an
edited cause text, an edited record with its SHA-256 recomputed, an edited containment or
measure, a deleted revision — `audit verify` names the first broken entry and exits 1, and
`status` (and its JSON) warns. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from jikoflow.models.audit.service import _digest
from jikoflow.models.db import get_engine
from tests.conftest import CliResult, Env


@pytest.fixture
def submitted(
    loaded_env: Env, cli: Callable[..., CliResult], declare: Callable[..., dict[str, Any]]
) -> str:
    """An incident with containment, a cause (two revisions), a measure and a submitted record."""
    incident: str = declare()["id"]
    for argv in (
        ("contain", incident, "--action", "封筒を回収", "--done"),
        ("cause", incident, "--text", "宛名の確認漏れ"),
        ("cause", incident, "--text", "宛名の二重確認がなかった"),
        ("prevent", incident, "--measure", "二人で宛名を確認する"),
        ("submit", incident),
    ):
        result = cli(*argv)
        assert result.code == 0, result.err
    return incident


def _sql(env: Env, statement: str, **params: Any) -> None:
    with get_engine(env.url).begin() as conn:
        conn.execute(sa.text(statement), params)


def _broken(cli: Callable[..., CliResult], incident: str) -> tuple[CliResult, str | None]:
    verify = cli("audit", "verify", incident)
    status = cli("status", incident, "--json")
    assert status.code == 0, status.err
    return verify, status.json()["trail_broken"]


def test_an_untouched_trail_verifies(
    submitted: str, loaded_env: Env, cli: Callable[..., CliResult]
) -> None:
    verify, broken = _broken(cli, submitted)
    assert verify.code == 0, verify.out + verify.err
    assert "1 chain(s)" in verify.out
    assert broken is None
    every = cli("audit", "verify")
    assert every.code == 0, every.out
    assert "改ざん" not in cli("status", submitted).out


def test_an_audit_event_edited_with_its_hash_recomputed_is_named(
    submitted: str, loaded_env: Env, cli: Callable[..., CliResult]
) -> None:
    with get_engine(loaded_env.url).begin() as conn:
        row = (
            conn.execute(
                sa.text(
                    "SELECT seq, prev_hash, at, actor, action FROM auditevent "
                    "WHERE chain = :c AND action = 'cause_recorded' ORDER BY seq LIMIT 1"
                ),
                {"c": submitted},
            )
            .mappings()
            .one()
        )
    # The unkeyed hash is what anyone can recompute: the actor is rewritten, the hash "fixed".
    from jikoflow.models.audit.service import events_of
    from jikoflow.models.db import reading

    with reading(loaded_env.url) as session:
        event = next(e for e in events_of(session, submitted) if e.seq == row["seq"])
    forged = _digest(
        event.prev_hash, submitted, event.seq, event.at, "intruder", event.action, event.detail
    )
    _sql(
        loaded_env,
        "UPDATE auditevent SET actor = 'intruder', hash = :h WHERE chain = :c AND seq = :s",
        h=forged,
        c=submitted,
        s=row["seq"],
    )
    verify, broken = _broken(cli, submitted)
    assert verify.code == 1
    assert f"audit event {row['seq']} (cause_recorded)" in verify.out
    assert broken == f"audit event {row['seq']} (cause_recorded)"
    panel = cli("status", submitted).out
    assert "改ざんの疑い" in panel
    assert "tampering suspected" in panel


def test_an_audit_event_detail_edit_is_named(
    submitted: str, loaded_env: Env, cli: Callable[..., CliResult]
) -> None:
    _sql(
        loaded_env,
        "UPDATE auditevent SET detail = :d WHERE chain = :c AND action = 'record_submitted'",
        d=json.dumps({"version": 1, "sha256": "0" * 64}),
        c=submitted,
    )
    verify, broken = _broken(cli, submitted)
    assert verify.code == 1
    assert broken is not None
    assert "(record_submitted)" in broken


def test_a_cause_text_edit_is_named(
    submitted: str, loaded_env: Env, cli: Callable[..., CliResult]
) -> None:
    _sql(
        loaded_env,
        "UPDATE causerevision SET text = '不明' WHERE incident_id = :i AND revision = 1",
        i=submitted,
    )
    verify, broken = _broken(cli, submitted)
    assert verify.code == 1
    assert broken == "cause revision 1"
    assert f"{submitted}: BROKEN at cause revision 1" in verify.out


def test_a_record_edited_with_its_sha256_recomputed_is_named(
    submitted: str, loaded_env: Env, cli: Callable[..., CliResult]
) -> None:
    with get_engine(loaded_env.url).connect() as conn:
        content = conn.execute(
            sa.text("SELECT content FROM recordversion WHERE incident_id = :i"), {"i": submitted}
        ).scalar_one()
    forged = content.replace("宛名の二重確認がなかった", "原因なし")
    assert forged != content
    digest = hashlib.sha256(forged.encode()).hexdigest()
    _sql(
        loaded_env,
        "UPDATE recordversion SET content = :t, sha256 = :h WHERE incident_id = :i",
        t=forged,
        h=digest,
        i=submitted,
    )
    verify, broken = _broken(cli, submitted)
    assert verify.code == 1
    assert broken == "record version 1"


def test_a_record_content_edit_alone_names_its_sha256(
    submitted: str, loaded_env: Env, cli: Callable[..., CliResult]
) -> None:
    _sql(
        loaded_env,
        "UPDATE recordversion SET content = content || ' ' WHERE incident_id = :i",
        i=submitted,
    )
    _verify, broken = _broken(cli, submitted)
    assert broken == "record version 1: its SHA-256 does not match its content"


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("UPDATE containmentaction SET text = '何もしていない'", "containment action"),
        ("UPDATE preventionmeasure SET text = '対策なし'", "measure 1"),
        ("DELETE FROM causerevision WHERE revision = 2", "its row is missing"),
        ("UPDATE causerevision SET seal = NULL WHERE revision = 2", "cause revision 2"),
    ],
)
def test_other_sealed_rows_and_deletions_are_named(
    submitted: str, loaded_env: Env, cli: Callable[..., CliResult], statement: str, named: str
) -> None:
    _sql(
        loaded_env,
        statement + " WHERE incident_id = :i"
        if "WHERE" not in statement
        else statement + " AND incident_id = :i",
        i=submitted,
    )
    verify, broken = _broken(cli, submitted)
    assert verify.code == 1
    assert broken is not None
    assert named in broken


def test_a_deleted_event_breaks_the_chain_and_verify_all_says_so(
    submitted: str, loaded_env: Env, cli: Callable[..., CliResult]
) -> None:
    _sql(loaded_env, "DELETE FROM auditevent WHERE chain = :c AND seq = 2", c=submitted)
    every = cli("audit", "verify")
    assert every.code == 1
    assert f"{submitted}: BROKEN at audit event 3" in every.out
    assert "1 of " in every.out.splitlines()[-1]


def test_another_key_fails_verification(
    submitted: str, loaded_env: Env, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The key lives outside the database: the home's key file, 0600.
    key_file = loaded_env.home / "audit_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("JIKOFLOW_AUDIT_KEY", "another-key-" + "x" * 40)
    verify, broken = _broken(cli, submitted)
    assert verify.code == 1
    assert broken == "audit event 1 (declared)"


def test_verify_refuses_unknown_incidents_and_people_verifying_everything(
    loaded_env: Env, cli: Callable[..., CliResult]
) -> None:
    unknown = cli("audit", "verify", "INC-NOPE")
    assert unknown.code == 2
    assert unknown.err.count("\n") == 1
    assert "Traceback" not in unknown.err
    everyone = cli("audit", "verify", "--by", "tanaka")
    assert everyone.code == 2
    assert "--by" in everyone.err


def _newest_seq(env: Env, chain: str) -> int:
    with get_engine(env.url).connect() as conn:
        found = conn.execute(
            sa.text("SELECT max(seq) FROM auditevent WHERE chain = :c"), {"c": chain}
        ).scalar_one()
    assert isinstance(found, int)
    return found


@pytest.mark.parametrize("deleted", [1, 3])
def test_deleting_the_newest_events_is_named_by_the_chains_head(
    submitted: str, loaded_env: Env, cli: Callable[..., CliResult], deleted: int
) -> None:
    # What is left is an intact, shorter chain: every hash and seal still matches.
    newest = _newest_seq(loaded_env, submitted)
    _sql(
        loaded_env,
        "DELETE FROM auditevent WHERE chain = :c AND seq > :s",
        c=submitted,
        s=newest - deleted,
    )
    gone = str(newest) if deleted == 1 else f"{newest - deleted + 1}–{newest}"
    verify, broken = _broken(cli, submitted)
    assert verify.code == 1
    assert broken == f"audit event {gone}: missing (the chain's head names it)"
    assert f"{submitted}: BROKEN at audit event {gone}" in cli("audit", "verify").out


def test_a_head_moved_back_without_the_key_or_deleted_is_named(
    submitted: str, loaded_env: Env, cli: Callable[..., CliResult]
) -> None:
    newest = _newest_seq(loaded_env, submitted)
    _sql(loaded_env, "DELETE FROM auditevent WHERE chain = :c AND seq = :s", c=submitted, s=newest)
    # The intruder points the head at the event now newest; its seal needs the key.
    _sql(
        loaded_env,
        "UPDATE audithead SET seq = :s, hash = (SELECT hash FROM auditevent "
        "WHERE chain = :c AND seq = :s) WHERE chain = :c",
        c=submitted,
        s=newest - 1,
    )
    verify, broken = _broken(cli, submitted)
    assert verify.code == 1
    assert broken == "its head (its seal does not match)"
    _sql(loaded_env, "DELETE FROM audithead WHERE chain = :c", c=submitted)
    _verify, broken = _broken(cli, submitted)
    assert broken == "its head is missing"


def test_a_chain_whose_events_are_all_deleted_is_named_by_its_head(
    loaded_env: Env, cli: Callable[..., CliResult]
) -> None:
    # The parties chain: no incident row points at it, only its head remains.
    assert cli("audit", "verify").code == 0
    newest = _newest_seq(loaded_env, "parties")
    _sql(loaded_env, "DELETE FROM auditevent WHERE chain = 'parties'")
    every = cli("audit", "verify")
    assert every.code == 1
    gone = "1" if newest == 1 else f"1–{newest}"
    assert f"parties: BROKEN at audit event {gone}: missing" in every.out


def test_acts_after_the_head_keep_the_trail_verifying(
    submitted: str, loaded_env: Env, cli: Callable[..., CliResult]
) -> None:
    before = _newest_seq(loaded_env, submitted)
    accepted = cli("accept", submitted, "--by", "tanaka")
    assert accepted.code == 0, accepted.err
    with get_engine(loaded_env.url).connect() as conn:
        head = conn.execute(
            sa.text("SELECT seq, hash FROM audithead WHERE chain = :c"), {"c": submitted}
        ).one()
        newest = conn.execute(
            sa.text("SELECT seq, hash FROM auditevent WHERE chain = :c ORDER BY seq DESC"),
            {"c": submitted},
        ).first()
    assert head == newest
    assert head[0] > before
    assert cli("audit", "verify").code == 0


def test_a_read_sees_one_snapshot_while_deliveries_commit(db_url: str) -> None:
    """A status read while a delivery commits its events never reports the trail broken: the
    read's events and the chain's head come from the same moment."""
    from sqlmodel import select

    from jikoflow.models.audit.service import events_of, record_event
    from jikoflow.models.audit.tables import AuditHead
    from jikoflow.models.audit.verify import check_incident
    from jikoflow.models.db import reading, transaction
    from jikoflow.models.parties.file import read_parties
    from jikoflow.models.parties.service import load_parties
    from tests import acts
    from tests.conftest import SAMPLE_PARTIES

    with transaction(db_url) as session:
        load_parties(session, read_parties(SAMPLE_PARTIES))
        incident = acts.declare(session).incident.id
    with reading(db_url) as session:
        before = len(events_of(session, incident))
        with transaction(db_url) as other:  # another process delivers meanwhile
            record_event(other, incident, "report_sent", detail={"to": "acme"})
        assert len(events_of(session, incident)) == before
        head = session.exec(select(AuditHead).where(AuditHead.chain == incident)).one()
        assert head.seq == before
        assert check_incident(session, incident).broken is None
    with reading(db_url) as session:
        assert len(events_of(session, incident)) == before + 1
        assert check_incident(session, incident).broken is None
