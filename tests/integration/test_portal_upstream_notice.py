"""Art. 15 (3) on the portal and in the API, through real HTTP (SQLite, then PostgreSQL): a
deeper tier (再々委託 and below) with no record that its delegator's delegator was notified is
flagged where a person meets it — beside the reporting organisation and beside each recipient
of its reports — in Japanese or English, and in the incident's JSON; with the notice on record,
nothing is flagged. The flag is what `parties show` and the record show (one rule)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from jikoflow.models.access import OPERATOR
from jikoflow.models.db import reading, transaction
from jikoflow.models.parties.service import trees
from jikoflow.models.response.documents import record_view
from tests import acts
from tests.slack_fixtures import load_parties_file
from tests.web_fixtures import Portal, sign_in

FLAG_JA = "元の委託者への通知の記録なし（第15条第3項）"
FLAG_EN = "no record of notice to the delegator (Art. 15 (3))"


@pytest.fixture
def unnotified(portal: Portal, sample_parties: dict[str, Any], tmp_path: Path) -> Portal:
    """The sample parties with no notice upward on record for gamma and delta."""
    for edge in sample_parties["contracts"][0]["delegations"]:
        if edge["to"] in ("gamma", "delta"):
            edge.pop("upstream_notified_at", None)
    path = tmp_path / "unnotified.yaml"
    path.write_text(yaml.safe_dump(sample_parties, allow_unicode=True), encoding="utf-8")
    load_parties_file(portal.db_url, path)
    return portal


def _signed_in(portal: Portal, person: str) -> httpx.Client:
    portal.set_password(person)
    browser = portal.browser()
    assert sign_in(browser, person).status_code == 303
    return browser


def _declared(portal: Portal, org: str) -> str:
    with transaction(portal.db_url) as session:
        return acts.declare(session, org=org, now=portal.clock()).incident.id


def _flagged(html: str) -> list[str]:
    return re.findall(r'class="badge overdue upstream-missing" data-org="([a-z]+)"', html)


@pytest.mark.parametrize("person", ["watanabe", "takahashi", "suzuki", "tanaka"])
def test_the_incident_page_flags_the_reporter_and_the_chain_for_everyone_on_its_path(
    unnotified: Portal, person: str
) -> None:
    incident = _declared(unnotified, "delta")
    page = _signed_in(unnotified, person).get(f"/incidents/{incident}")

    assert page.status_code == 200
    # delta beside 発生組織, then gamma among the recipients of its reports.
    assert _flagged(page.text) == ["delta", "gamma"]
    assert page.text.count(FLAG_JA) == 2
    assert re.search(r"<dt>発生組織</dt><dd>[^<]+ <span [^>]*data-org=\"delta\">", page.text)
    assert FLAG_EN not in page.text


def test_the_flag_reads_in_english_and_matches_parties_show_and_the_record(
    unnotified: Portal,
) -> None:
    incident = _declared(unnotified, "delta")
    browser = _signed_in(unnotified, "tanaka")
    assert browser.get("/lang/en", params={"next": "/"}).status_code == 303

    page = browser.get(f"/incidents/{incident}")

    assert page.text.count(FLAG_EN) == 2
    assert FLAG_JA not in page.text
    with reading(unnotified.db_url) as session:
        (tree,) = trees(session, actor=OPERATOR)
        record = record_view(session, actor=OPERATOR, incident_id=incident)
    shown = {o.id for o in tree.organizations if o.upstream_notice_missing}
    assert shown == {"gamma", "delta"}
    assert {t.org.id for t in record.path if t.upstream_notice_missing} == shown


def test_the_api_names_the_flagged_organisations_of_the_path(unnotified: Portal) -> None:
    at_delta = _declared(unnotified, "delta")
    at_gamma = _declared(unnotified, "gamma")
    api = httpx.Client(
        base_url=unnotified.url + "/api/v1",
        headers={"Authorization": f"Bearer {unnotified.token('suzuki')}"},
    )
    with api:
        assert api.get(f"/incidents/{at_delta}").json()["upstream_notice_missing"] == [
            "gamma",
            "delta",
        ]
        # Off gamma's path, delta is not named: its own tier is not gamma's chain.
        assert api.get(f"/incidents/{at_gamma}").json()["upstream_notice_missing"] == ["gamma"]


def test_nothing_is_flagged_when_the_notice_is_on_record(portal: Portal) -> None:
    incident = _declared(portal, "delta")
    page = _signed_in(portal, "tanaka").get(f"/incidents/{incident}")

    assert page.status_code == 200
    assert _flagged(page.text) == []
    assert FLAG_JA not in page.text
    api = httpx.Client(
        base_url=portal.url + "/api/v1",
        headers={"Authorization": f"Bearer {portal.token('tanaka')}"},
    )
    with api:
        assert api.get(f"/incidents/{incident}").json()["upstream_notice_missing"] == []


def test_a_person_off_the_path_sees_no_page_and_so_no_flag(unnotified: Portal) -> None:
    incident = _declared(unnotified, "gamma")
    page = _signed_in(unnotified, "watanabe").get(f"/incidents/{incident}")  # delta is below

    assert page.status_code == 404
    assert FLAG_JA not in page.text
    assert "gamma" not in page.text
