"""The incident pages through real HTTP (SQLite, then PostgreSQL): the way back after sign-in,
where a person may declare, a refused form shown again with nothing written, the list a page
at a time with late incidents marked, the live report state that does not keep a session
alive, the record's documents, English, and addresses that carry ids only."""

from __future__ import annotations

import re

import httpx
import pytest

from jikoflow.models.accounts.tables import WebSession
from jikoflow.models.db import transaction
from jikoflow.models.incidents.tables import Incident
from jikoflow.models.response.tables import PreventionMeasure
from tests import acts
from tests.integration.conftest import table_rows
from tests.web_fixtures import Portal, csrf_of, sign_in

SUMMARY = "山田太郎様の住民票の写し（個人番号 123456789012）を誤送付"


def _signed_in(portal: Portal, person: str) -> httpx.Client:
    portal.set_password(person)
    browser = portal.browser()
    assert sign_in(browser, person).status_code == 303
    return browser


def _declared(portal: Portal, *, org: str = "delta", summary: str = "封筒1通の所在不明") -> str:
    with transaction(portal.db_url) as session:
        return acts.declare(session, org=org, summary=summary, now=portal.clock()).incident.id


def test_an_unsigned_visitor_signs_in_and_comes_back_to_the_incident(portal: Portal) -> None:
    incident = _declared(portal)
    portal.set_password("tanaka")
    browser = portal.browser()

    first = browser.get(f"/incidents/{incident}")

    assert first.status_code == 303
    assert first.headers["location"] == f"/login?next=%2Fincidents%2F{incident}"
    answer = sign_in(browser, "tanaka", next_path=f"/incidents/{incident}")
    assert answer.headers["location"] == f"/incidents/{incident}"
    page = browser.get(answer.headers["location"])
    assert page.status_code == 200
    assert f'<span class="id">{incident}</span>' in page.text


@pytest.mark.parametrize(
    ("person", "places"),
    [
        ("yamamoto", ["delta"]),  # a worker: their own organisation
        ("watanabe", ["delta"]),  # delta's manager: nothing below it
        ("takahashi", ["beta", "gamma", "delta"]),  # beta's manager: beta and below
        ("tanaka", ["acme", "beta", "gamma", "delta"]),  # 甲's manager: never 甲 itself
    ],
)
def test_the_declaration_form_offers_only_where_the_person_may_declare(
    portal: Portal, person: str, places: list[str]
) -> None:
    page = _signed_in(portal, person).get("/incidents/new")
    org_select = page.text.split('<select id="org"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="([a-z]+)"', org_select) == places


def test_a_refused_declaration_is_shown_again_with_what_was_typed(portal: Portal) -> None:
    browser = _signed_in(portal, "watanabe")
    form = {
        "csrf_token": csrf_of(browser.get("/incidents/new").text),
        "contract": "C-2026-001",
        "org": "delta",
        "kind": "leak",
        "suspected": "true",
        "discovered_at": "2027-03-01T09:00",  # in the future
        "summary": SUMMARY,
    }
    before = table_rows(portal.db_url)

    answer = browser.post("/incidents", data=form)

    assert answer.status_code == 422
    assert "発見日時を確認してください" in answer.text
    assert SUMMARY in answer.text  # nothing typed is lost
    assert table_rows(portal.db_url) == before
    del form["discovered_at"]
    done = browser.post("/incidents", data=form)
    assert done.status_code == 303
    incident = done.headers["location"].removeprefix("/incidents/")
    assert re.fullmatch(r"INC-\d{8}-[0-9A-Z]{6}", incident)
    assert [row.summary for row in portal.rows(Incident)] == [SUMMARY]


@pytest.mark.parametrize("suspected", ["maybe", None], ids=["unknown value", "left out"])
def test_suspected_or_confirmed_is_never_assumed(portal: Portal, suspected: str | None) -> None:
    browser = _signed_in(portal, "watanabe")
    form = {
        "csrf_token": csrf_of(browser.get("/incidents/new").text),
        "contract": "C-2026-001",
        "org": "delta",
        "kind": "leak",
        "summary": SUMMARY,
    }
    if suspected is not None:
        form["suspected"] = suspected
    before = table_rows(portal.db_url)

    answer = browser.post("/incidents", data=form)

    assert answer.status_code == 422
    assert SUMMARY in answer.text
    assert table_rows(portal.db_url) == before


def test_forms_of_the_page_refused_by_the_service_say_why_and_keep_the_text(
    portal: Portal,
) -> None:
    incident = _declared(portal)
    browser = _signed_in(portal, "watanabe")
    page = browser.get(f"/incidents/{incident}")
    assert f'action="/incidents/{incident}/measures"' not in page.text  # no cause yet
    assert "原因の分析を記録すると" in page.text
    token = csrf_of(page.text)

    early = browser.post(
        f"/incidents/{incident}/measures", data={"csrf_token": token, "measure": "二重確認"}
    )
    assert early.status_code == 409
    assert "この事故等を確認してください" in early.text
    assert portal.rows(PreventionMeasure) == []
    cause = browser.post(
        f"/incidents/{incident}/cause", data={"csrf_token": token, "text": "確認漏れ"}
    )
    assert (cause.status_code, cause.headers["location"]) == (303, f"/incidents/{incident}#cause")
    bad_due = browser.post(
        f"/incidents/{incident}/measures",
        data={"csrf_token": token, "measure": "二重確認の徹底", "due": "2026-13-01"},
    )
    assert bad_due.status_code == 422
    assert "期限を確認してください" in bad_due.text
    assert "二重確認の徹底" in bad_due.text
    assert portal.rows(PreventionMeasure) == []


def test_the_list_comes_a_page_at_a_time_with_late_incidents_marked(portal: Portal) -> None:
    ids = []
    for _ in range(52):
        ids.append(_declared(portal))
        portal.clock.advance(seconds=1)
    browser = _signed_in(portal, "tanaka")

    first = browser.get("/incidents")

    shown = re.findall(r'<a href="/incidents/(INC-[^"]+)" class="id">', first.text)
    assert shown == list(reversed(ids))[:50]
    following = re.search(r'<a href="(/incidents\?after=INC-[^"]+)" rel="next">', first.text)
    assert following is not None
    rest = browser.get(following.group(1).replace("&amp;", "&"))
    assert re.findall(r'class="id">(INC-[^<]+)<', rest.text) == list(reversed(ids))[50:]
    assert 'rel="next"' not in rest.text
    assert first.text.count('<tr class="late">') == 0
    portal.clock.advance(hours=2)  # the one-hour clocks have run out
    late = _signed_in(portal, "tanaka").get("/incidents?overdue=1")
    assert late.text.count('<tr class="late">') == 50
    assert "期限超過" in late.text


def test_the_live_report_state_does_not_keep_an_idle_session_alive(portal: Portal) -> None:
    incident = _declared(portal)
    browser = _signed_in(portal, "tanaka")
    [signed_in] = portal.rows(WebSession)

    portal.clock.advance(minutes=20)
    live = browser.get(f"/incidents/{incident}/reports")

    assert live.status_code == 200
    assert live.json()["going"] == 4  # nothing delivered yet
    assert [r["to"] for r in live.json()["reports"]] == ["gamma", "beta", "acme", "nerima"]
    assert {r["status_label"] for r in live.json()["reports"]} == {"未送信"}
    assert SUMMARY not in live.text
    assert portal.rows(WebSession)[0].last_seen_at == signed_in.last_seen_at
    portal.clock.advance(minutes=11)  # 31 minutes without the person doing anything
    assert browser.get(f"/incidents/{incident}/reports").status_code == 303


def test_the_record_opens_as_html_pdf_and_markdown(portal: Portal) -> None:
    incident = _declared(portal, summary=SUMMARY)
    browser = _signed_in(portal, "yamamoto")

    html = browser.get(f"/incidents/{incident}/record?format=html")
    markdown = browser.get(f"/incidents/{incident}/record?format=md")
    pdf = browser.get(f"/incidents/{incident}/record?format=pdf&lang=en")

    assert html.headers["content-type"] == "text/html; charset=utf-8"
    policy = html.headers["content-security-policy"]
    assert re.search(r"style-src 'sha256-[A-Za-z0-9+/=]+'", policy)
    assert "unsafe-inline" not in policy
    assert "script-src" not in policy
    assert SUMMARY in html.text
    assert markdown.headers["content-disposition"] == f'attachment; filename="{incident}-draft.md"'
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-language"] == "en"


def test_each_recipient_is_named_with_its_tier_as_the_record_names_it(portal: Portal) -> None:
    incident = _declared(portal)  # at delta: 甲, 乙 and two tiers of subcontractors above it
    browser = _signed_in(portal, "tanaka")
    rows = {
        row.split("</th>")[0]
        for row in browser.get(f"/incidents/{incident}").text.split('<th scope="row">')[1:]
    }
    tiers = {name.split("<span")[0]: name.split('"kind">')[1].split("</span>")[0] for name in rows}
    assert tiers == {
        "練馬区 情報政策課": "（甲）",
        "アクメ情報システム株式会社": "（乙）",
        "ベータソリューションズ株式会社": "（再委託先（第1次））",
        "ガンマデータセンター株式会社": "（再々委託先（第2次））",
    }
    browser.get(f"/lang/en?next=/incidents/{incident}")
    english = browser.get(f"/incidents/{incident}").text
    assert (
        'ガンマデータセンター株式会社<span class="kind"> (subcontractor (tier 2))</span>' in english
    )


def test_the_page_in_english(portal: Portal) -> None:
    incident = _declared(portal)
    browser = _signed_in(portal, "tanaka")
    browser.get(f"/lang/en?next=/incidents/{incident}")
    page = browser.get(f"/incidents/{incident}")
    assert '<html lang="en">' in page.text
    assert "Reports to each recipient" in page.text
    assert "Acknowledge receipt" in page.text
    assert "2026-12-01 10:00 JST" in page.text


def test_addresses_carry_ids_never_what_happened(portal: Portal) -> None:
    incident = _declared(portal, summary=SUMMARY)
    with transaction(portal.db_url) as session:
        acts.contain(session, incident, SUMMARY, by="watanabe")
        acts.cause(session, incident, SUMMARY, by="watanabe")
    browser = _signed_in(portal, "watanabe")
    for path in ("/incidents", f"/incidents/{incident}", "/incidents/new", "/drills"):
        page = browser.get(path)
        assert page.status_code == 200, path
        for address in re.findall(r'(?:href|action|data-live)="([^"]*)"', page.text):
            assert not {"山田", "123456789012"} & set(re.findall(r"山田|\d{12}", address))
    assert SUMMARY in browser.get(f"/incidents/{incident}").text  # shown, not addressed


def test_an_unknown_incident_and_one_not_visible_look_the_same(portal: Portal) -> None:
    browser = _signed_in(portal, "watanabe")
    incident = _declared(portal, org="gamma")  # above delta: not visible to its manager
    hidden = browser.get(f"/incidents/{incident}")
    unknown = browser.get("/incidents/INC-20261201-NOSUCH")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.text == unknown.text
    assert browser.get(f"/incidents/{incident}/record").status_code == 404
    assert browser.get(f"/incidents/{incident}/reports").status_code == 404
