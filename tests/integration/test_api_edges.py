"""The API at its edges, over real HTTP (SQLite, then PostgreSQL): HEAD answered as GET, numbers
too large for the database, a measure's owner from outside the contract, the evidence of an
implemented measure, and typed line breaks that must not reshape the written record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from jikoflow.models.db import transaction
from jikoflow.models.enums import OrgKind, Role
from jikoflow.models.incidents.tables import Incident
from jikoflow.models.parties.tables import Organization, Person
from jikoflow.models.response.tables import PreventionMeasure
from tests.integration.test_api_incidents import DECLARATION, Api
from tests.web_fixtures import Portal, csrf_of, sign_in

HUGE = "99999999999999999999999"


def _with_cause(portal: Portal) -> tuple[Api, str]:
    """A worker at delta and their incident, its cause recorded (measures may be added)."""
    worker = Api(portal, "yamamoto")
    incident = worker.declare()["id"]
    assert worker.post(f"/incidents/{incident}/cause", {"text": "確認漏れ"}).status_code == 201
    return worker, incident


def _stranger(portal: Portal) -> None:
    """okada, a manager at an organisation in no chain of the sample contract."""
    with transaction(portal.db_url) as session:
        session.add(Organization(id="omega", name="オメガ株式会社", kind=OrgKind.CONTRACTOR))
        session.flush()
        session.add(Person(id="okada", org_id="omega", name="岡田 一", role=Role.MANAGER))


def test_head_is_answered_as_get_without_a_body(portal: Portal) -> None:
    api = Api(portal, "yamamoto")
    for path in ("/healthz", "/static/portal.css"):
        got, head = api.client.get(portal.url + path), api.client.head(portal.url + path)
        assert (head.status_code, got.status_code) == (200, 200), path
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-length"] == got.headers["content-length"]
    me = api.client.head("/me")
    assert (me.status_code, me.content) == (200, b"")
    assert me.headers["content-type"] == "application/json"
    anonymous = api.client.head("/me", headers={"Authorization": "Bearer nonsense"})
    assert (anonymous.status_code, anonymous.content) == (401, b"")
    # A route that only takes POST is still refused for HEAD, saying which methods it takes.
    refused = api.client.head("/incidents/INC-20261201-NOSUCH/submit")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "POST"


@pytest.mark.parametrize("number", [HUGE, "1000001", "0"])
def test_a_number_out_of_range_in_a_path_is_refused_naming_it(portal: Portal, number: str) -> None:
    worker, incident = _with_cause(portal)
    assert (
        worker.post(f"/incidents/{incident}/measures", {"measure": "二重確認"}).status_code == 201
    )
    ward = Api(portal, "tanaka")
    for api, path in (
        (worker, f"/incidents/{incident}/measures/{number}/implemented"),
        (ward, f"/incidents/{incident}/instructions/{number}/done"),
    ):
        answer = api.post(path)
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["field"] == "number"
    # The portal's forms refuse it too, on the page, and nothing was marked.
    portal.set_password("yamamoto")
    browser = portal.browser()
    assert sign_in(browser, "yamamoto").status_code == 303
    page = browser.get(f"/incidents/{incident}")
    form = {"csrf_token": csrf_of(page.text)}
    marked = browser.post(f"/incidents/{incident}/measures/{number}/implemented", data=form)
    assert marked.status_code == 422
    assert "Traceback" not in marked.text
    assert [m.implemented_at for m in portal.rows(PreventionMeasure)] == [None]


def test_a_measure_owner_is_a_person_of_the_incidents_contract(portal: Portal) -> None:
    _stranger(portal)
    worker, incident = _with_cause(portal)
    at = f"/incidents/{incident}/measures"
    answers: dict[str, Any] = {}
    for owner in ("okada", "ghost"):
        answer = worker.post(at, {"measure": "二重確認", "owner": owner})
        answers[owner] = (answer.status_code, answer.json()["field"])
    # Someone on another contract reads exactly as no one: the answer tells nothing of them.
    assert answers == {"okada": (422, "owner"), "ghost": (422, "owner")}
    assert portal.rows(PreventionMeasure) == []
    # Anyone of the contract may own one, above the incident or below it.
    for owner in ("tanaka", "watanabe"):
        assert worker.post(at, {"measure": "二重確認", "owner": owner}).status_code == 201
    assert [m.owner_id for m in portal.rows(PreventionMeasure)] == ["tanaka", "watanabe"]


def test_the_evidence_of_an_implemented_measure_is_kept(portal: Portal) -> None:
    worker, incident = _with_cause(portal)
    at = f"/incidents/{incident}/measures"
    assert worker.post(at, {"measure": "二重確認"}).status_code == 201
    unknown = worker.post(f"{at}/1/implemented", {"proof": "x"})
    assert (unknown.status_code, unknown.json()["field"]) == (422, "proof")
    done = worker.post(f"{at}/1/implemented", {"evidence": "手順書第3版の配布記録"})
    assert done.status_code == 200, done.text
    assert done.json()["evidence"] == "手順書第3版の配布記録"
    [row] = portal.rows(PreventionMeasure)
    assert row.evidence == "手順書第3版の配布記録"
    record = worker.get(f"/incidents/{incident}/record", params={"format": "md"}).text
    assert "手順書第3版の配布記録" in record


def test_line_breaks_in_the_facts_cannot_add_sections_to_the_record(portal: Portal) -> None:
    worker, incident = _with_cause(portal)
    facts = {
        "discovered_by": "受付係\n## 偽の受理",
        "how": "窓口で発見\n\n## 偽の節\n- 偽の項目",
        "secondary_damage": "なし\n# 偽の表題",
    }
    assert worker.post(f"/incidents/{incident}/facts", facts).status_code == 201
    ward = Api(portal, "tanaka")
    for api, path in (
        (worker, f"/incidents/{incident}/record"),
        (ward, f"/incidents/{incident}/ppc"),
    ):
        text = api.get(path, params={"format": "md"}).text
        lines = text.splitlines()
        assert not any(line.startswith(("# 偽", "## 偽", "- 偽")) for line in lines)
        # What was typed is all there, its line breaks shown as breaks within the item and its
        # markup escaped (a reader shows `## 偽の受理` as typed, not as a heading).
        assert "受付係<br>\\#\\# 偽の受理" in text
        assert "窓口で発見<br><br>\\#\\# 偽の節<br>\\- 偽の項目" in text


def test_a_refusal_names_the_act_refused(portal: Portal) -> None:
    worker, incident = _with_cause(portal)
    ward, above = Api(portal, "tanaka"), Api(portal, "sato")  # sato: a worker at 乙
    given = ward.post(f"/incidents/{incident}/instructions", {"text": "経緯を報告してください"})
    assert given.status_code == 201, given.text
    refused = above.post(f"/incidents/{incident}/instructions/1/done")
    assert refused.status_code == 403
    assert "may not mark 甲's instructions done" in refused.json()["detail"]
    assert worker.post(f"/incidents/{incident}/instructions/1/done").status_code == 200


def test_malformed_json_is_refused_as_the_body(portal: Portal) -> None:
    api = Api(portal, "yamamoto")
    headers = {"Content-Type": "application/json"}
    answer = api.client.post("/incidents", content=b'{"contract": ', headers=headers)
    assert answer.status_code == 422
    assert (answer.json()["field"], answer.json()["pointer"]) == ("body", "/")
    # Nor can a body that is not UTF-8 or is nested past any reason be read: the same refusal.
    for body in (b'{"summary": "\xff\xfe"}', b"[" * 100_000 + b"]" * 100_000):
        unreadable = api.client.post("/incidents", content=body, headers=headers)
        assert unreadable.status_code == 422
        assert unreadable.json()["field"] == "body"
    assert api.client.get("/nowhere").status_code == 404  # other HTTP refusals as before
    assert portal.rows(Incident) == []


def test_every_time_in_an_answer_is_written_alike(portal: Portal) -> None:
    worker, incident = _with_cause(portal)
    ward = Api(portal, "tanaka")
    at = f"/incidents/{incident}"
    facts = {"occurred_at": "2026-11-30T09:00:00", "people": 500}
    assert worker.post(f"{at}/facts", facts).status_code == 201
    assert ward.post(f"{at}/instructions", {"text": "報告してください"}).status_code == 201
    assert ward.post(f"{at}/ack").status_code == 200
    times: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and len(value) > 19 and value[10:11] == "T":
            times.append(value)

    walk(worker.get(at).json())
    walk(ward.get(at).json())  # 甲 sees its APPI clocks too
    assert len(times) > 10
    # Each with its offset written out, as Python writes it: never a `Z` beside a `+00:00`.
    assert not [t for t in times if t.endswith("Z")]
    assert all(datetime.fromisoformat(t).utcoffset() is not None for t in times)


def test_a_refusal_is_worded_in_plain_words(portal: Portal) -> None:
    api = Api(portal, "yamamoto")
    blank = api.post("/incidents", {**DECLARATION, "summary": "   "})
    assert blank.status_code == 422
    expected = {"detail": "must not be empty", "field": "summary", "pointer": "/summary"}
    assert blank.json() == expected


def test_an_organisation_elsewhere_reads_as_one_that_does_not_exist(portal: Portal) -> None:
    _stranger(portal)  # omega exists, in no chain of the sample contract
    worker, ward = Api(portal, "watanabe"), Api(portal, "tanaka")
    incident = worker.declare()["id"]
    answers = {}
    for org in ("omega", "nowhere"):
        declared = worker.post("/incidents", {**DECLARATION, "org": org})
        acked = ward.post(f"/incidents/{incident}/ack", {"org": org})
        answers[org] = [
            (a.status_code, a.json()["field"], a.json()["detail"].replace(org, "ORG"))
            for a in (declared, acked)
        ]
    assert answers["omega"] == answers["nowhere"]
    assert [code for code, _, _ in answers["omega"]] == [422, 422]
