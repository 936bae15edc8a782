"""甲's decisions and the facts on an incident's page, through real HTTP (SQLite, then
PostgreSQL): 差戻し beside 受理, instructions and their 完了, the publication decision, the
structured facts, and what the page shows of them. Each form is offered only to those who may
use it; a refused form is shown again with what was typed, and nothing is written."""

from __future__ import annotations

from datetime import date

import httpx
import sqlalchemy as sa

from jikoflow.models.db import get_engine, transaction
from jikoflow.models.enums import Publication
from jikoflow.models.facts import service as facts
from jikoflow.models.facts.schemas import Facts, InstructInput, PublishInput
from jikoflow.models.facts.tables import RecordReview
from jikoflow.models.incidents.tables import Incident
from tests import acts
from tests.integration.conftest import table_rows
from tests.web_fixtures import Portal, csrf_of, sign_in


def _signed_in(portal: Portal, person: str) -> httpx.Client:
    portal.set_password(person)
    browser = portal.browser()
    assert sign_in(browser, person).status_code == 303
    return browser


def _declared(portal: Portal) -> str:
    with transaction(portal.db_url) as session:
        return acts.declare(session, summary="封筒1通の所在不明", now=portal.clock()).incident.id


def _submitted(portal: Portal) -> str:
    incident = _declared(portal)
    with transaction(portal.db_url) as session:
        acts.contain(session, incident, "回収済み", done=True, now=portal.clock())
        acts.cause(session, incident, "確認漏れ", now=portal.clock())
        acts.measure(session, incident, "二重確認", now=portal.clock())
        acts.submit(session, incident, now=portal.clock())
    return incident


def _state(portal: Portal, incident: str) -> str:
    [row] = [i for i in portal.rows(Incident) if i.id == incident]
    return str(row.state)


def test_client_manager_returns_the_submitted_record_with_a_reason(portal: Portal) -> None:
    incident = _submitted(portal)
    browser = _signed_in(portal, "tanaka")
    page = browser.get(f"/incidents/{incident}")
    assert f'action="/incidents/{incident}/accept"' in page.text
    assert f'action="/incidents/{incident}/return"' in page.text
    assert "差戻し" in page.text
    token = csrf_of(page.text)
    before = table_rows(portal.db_url)

    blank = browser.post(f"/incidents/{incident}/return", data={"csrf_token": token})
    long = "再調査してください。" * 401
    too_long = browser.post(
        f"/incidents/{incident}/return", data={"csrf_token": token, "reason": long}
    )

    assert blank.status_code == too_long.status_code == 422
    assert "理由を確認してください" in blank.text
    assert long in too_long.text  # what was typed is shown again
    assert table_rows(portal.db_url) == before
    done = browser.post(
        f"/incidents/{incident}/return", data={"csrf_token": token, "reason": "原因の記載不足"}
    )
    assert (done.status_code, done.headers["location"]) == (303, f"/incidents/{incident}#record")
    assert _state(portal, incident) == "open"
    [review] = portal.rows(RecordReview)
    assert (str(review.answer), review.answer_reason) == ("returned", "原因の記載不足")
    after = browser.get(f"/incidents/{incident}")
    assert f'action="/incidents/{incident}/return"' not in after.text


def test_return_is_offered_to_none_but_client_managers_and_refused_when_forged(
    portal: Portal,
) -> None:
    incident = _submitted(portal)
    browser = _signed_in(portal, "watanabe")  # the incident's own manager
    page = browser.get(f"/incidents/{incident}")
    assert f'action="/incidents/{incident}/return"' not in page.text
    before = table_rows(portal.db_url)

    forged = browser.post(
        f"/incidents/{incident}/return",
        data={"csrf_token": csrf_of(page.text), "reason": "自分で差し戻す"},
    )

    assert forged.status_code == 403
    assert table_rows(portal.db_url) == before
    assert _state(portal, incident) == "submitted"


def test_the_page_shows_the_outcome_instructions_publication_and_appi(portal: Portal) -> None:
    incident = _declared(portal)
    with transaction(portal.db_url) as session:
        tanaka = acts.person("tanaka")
        facts.record_facts(
            session,
            actor=tanaka,
            incident_id=incident,
            data=Facts(people=150, sensitive=True),
            now=portal.clock(),
        )
        facts.instruct(
            session,
            actor=tanaka,
            incident_id=incident,
            data=InstructInput(text="本人への連絡状況を報告すること", due=date(2026, 12, 4)),
            now=portal.clock(),
        )
        facts.publish(
            session,
            actor=tanaka,
            incident_id=incident,
            data=PublishInput(decision=Publication.PUBLISH, on=date(2026, 12, 3)),
            now=portal.clock(),
        )

    client = _signed_in(portal, "tanaka").get(f"/incidents/{incident}")
    own = _signed_in(portal, "watanabe").get(f"/incidents/{incident}")

    for page in (client, own):
        assert page.status_code == 200
        assert "事故等" in page.text.split('class="outcome">', 1)[1]
        row = page.text.split('data-instruction="1">', 1)[1].split("</tr>", 1)[0]
        assert "本人への連絡状況を報告すること" in row
        assert "2026年12月4日" in row
        assert "対応中" in row
        assert "公表する" in page.text.split('class="publication">', 1)[1]
        assert "監査証跡の検証に失敗" not in page.text
    panel = client.text.split('<section id="appi"', 1)[1].split("</section>", 1)[0]
    assert "報告対象" in panel
    assert "要配慮個人情報を含む" in panel
    assert "本人の数が100人を超える" in panel
    assert "速報の期限" in panel
    assert "確報の期限" in panel
    assert '<section id="appi"' not in own.text  # 甲's duty: shown to 甲's people only


def test_the_page_warns_when_the_trail_fails_verification(portal: Portal) -> None:
    incident = _declared(portal)
    with transaction(portal.db_url) as session:
        acts.cause(session, incident, "確認漏れ", now=portal.clock())
    browser = _signed_in(portal, "watanabe")
    assert "監査証跡の検証に失敗" not in browser.get(f"/incidents/{incident}").text
    with get_engine(portal.db_url).begin() as conn:
        conn.execute(
            sa.text("UPDATE causerevision SET text = '不明' WHERE incident_id = :i"),
            {"i": incident},
        )

    page = browser.get(f"/incidents/{incident}")

    warning = page.text.split('class="error trail-broken" role="alert">', 1)[1]
    assert "監査証跡の検証に失敗" in warning.split("</p>", 1)[0]
