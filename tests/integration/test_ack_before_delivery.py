"""甲 acknowledges a report in the portal before chat delivered it (chat down, say): the
delivery, when it comes, is still recorded with its time, and 甲's 速報/確報 clocks run from
the acknowledgement — the reminders to report to the PPC are not lost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult, Env

Cli = Callable[..., CliResult]
DECLARE = ("declare", "--contract", "C-2026-001", "--org", "delta", "--kind", "leak")


def test_an_early_acknowledgement_keeps_the_delivery_and_the_appi_reminders(
    sqlite_env: Env, cli: Cli, parties_file: Path
) -> None:
    assert cli("parties", "load", parties_file).code == 0
    declared = cli(*DECLARE, "--summary", "USB紛失", "--by", "watanabe", "--no-flow", "--json")
    incident = declared.json()["id"]
    acked = cli("ack", incident, "--by", "tanaka", "--json").json()
    assert acked["status"] == "acknowledged"
    assert cli("facts", incident, "--people", "150", "--by", "watanabe").code == 0

    assert cli("sweep").code == 0  # chat delivers the reports now
    status = cli("status", incident, "--json").json()
    nerima = next(r for r in status["reports"] if r["to"] == "nerima")
    assert nerima["status"] == "acknowledged"
    assert nerima["sent_at"] is not None
    assert nerima["delivered_at"] is not None
    assert nerima["acknowledged_at"] < nerima["delivered_at"]
    record = cli("record", incident).out
    delivered = [line for line in record.splitlines() if "報告の配信" in line]
    assert any("練馬区 情報政策課" in line for line in delivered), delivered

    # 甲 learned of it when it acknowledged: the 速報 is due three days after.
    appi = status["appi"]
    assert appi["learned_at"] == nerima["acknowledged_at"]
    due = appi["preliminary_due_on"]
    preview = cli("sweep", "--now", f"{due}T12:00", "--json").json()
    appi_reminders = [
        m["to"]
        for m in preview["would_send"]
        if m["incident"] == incident and m["event"].startswith("appi_")
    ]
    assert appi_reminders == ["nerima"]
