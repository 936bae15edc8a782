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
from jikoflow.models.facts.tables import (
    FactsRevision,
    Instruction,
    PublicationDecision,
    RecordReview,
)
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
        assert "田中 一郎" in row  # who gave it, by name
        publication = page.text.split('class="publication">', 1)[1].split("</p>", 1)[0]
        assert "公表する" in publication
        assert "田中 一郎" in publication
        assert "監査証跡の検証に失敗" not in page.text
    panel = client.text.split('<section id="appi"', 1)[1].split("</section>", 1)[0]
    assert "報告対象" in panel
    assert "要配慮個人情報を含む" in panel
    assert "本人の数が100人を超える" in panel
    assert "速報の期限" in panel
    assert "確報の期限" in panel
    assert '<section id="appi"' not in own.text  # 甲's duty: shown to 甲's people only
    english = _signed_in(portal, "tanaka")
    english.get(f"/lang/en?next=/incidents/{incident}")
    page = english.get(f"/incidents/{incident}").text
    assert "Report to the PPC (client)" in page
    assert "Preliminary report due" in page
    assert "Instructions and requests for reports" in page
    assert "2026-12-04" in page
    assert "What is known" in page


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


def test_client_manager_instructs_and_a_past_due_date_is_refused(portal: Portal) -> None:
    incident = _declared(portal)
    browser = _signed_in(portal, "tanaka")
    page = browser.get(f"/incidents/{incident}")
    assert f'action="/incidents/{incident}/instructions"' in page.text
    token = csrf_of(page.text)
    before = table_rows(portal.db_url)

    past = browser.post(
        f"/incidents/{incident}/instructions",
        data={"csrf_token": token, "text": "経緯を報告すること", "due": "2026-11-30"},
    )
    empty = browser.post(
        f"/incidents/{incident}/instructions", data={"csrf_token": token, "text": " "}
    )

    assert past.status_code == empty.status_code == 422
    assert "期限を確認してください" in past.text
    assert "経緯を報告すること" in past.text
    assert 'value="2026-11-30"' in past.text
    assert "指示の内容を確認してください" in empty.text
    assert table_rows(portal.db_url) == before
    done = browser.post(
        f"/incidents/{incident}/instructions",
        data={"csrf_token": token, "text": "経緯を報告すること", "due": "2026-12-04"},
    )
    assert (done.status_code, done.headers["location"]) == (
        303,
        f"/incidents/{incident}#instructions",
    )
    [row] = portal.rows(Instruction)
    assert (row.number, row.text, row.due_date, row.given_by) == (
        1,
        "経緯を報告すること",
        date(2026, 12, 4),
        "tanaka",
    )


def test_instructions_and_publication_are_not_offered_to_others_and_forged_are_refused(
    portal: Portal,
) -> None:
    incident = _declared(portal)
    browser = _signed_in(portal, "watanabe")  # the incident's own manager, not 甲's
    page = browser.get(f"/incidents/{incident}")
    assert f'action="/incidents/{incident}/instructions"' not in page.text
    assert f'action="/incidents/{incident}/publication"' not in page.text
    token = csrf_of(page.text)
    before = table_rows(portal.db_url)

    instructed = browser.post(
        f"/incidents/{incident}/instructions", data={"csrf_token": token, "text": "報告せよ"}
    )
    published = browser.post(
        f"/incidents/{incident}/publication", data={"csrf_token": token, "decision": "publish"}
    )

    assert instructed.status_code == published.status_code == 403
    assert table_rows(portal.db_url) == before


def test_an_open_instruction_is_marked_done_by_those_who_respond(portal: Portal) -> None:
    incident = _declared(portal)
    with transaction(portal.db_url) as session:
        facts.instruct(
            session,
            actor=acts.person("tanaka"),
            incident_id=incident,
            data=InstructInput(text="経緯を報告すること"),
            now=portal.clock(),
        )
    done_form = f'action="/incidents/{incident}/instructions/1/done"'
    outsider = _signed_in(portal, "sato")  # a worker of 乙: sees the incident, does not respond
    seen = outsider.get(f"/incidents/{incident}")
    assert seen.status_code == 200
    assert done_form not in seen.text
    browser = _signed_in(portal, "watanabe")
    page = browser.get(f"/incidents/{incident}")
    assert done_form in page.text
    token = csrf_of(page.text)
    before = table_rows(portal.db_url)

    forged = outsider.post(
        f"/incidents/{incident}/instructions/1/done", data={"csrf_token": csrf_of(seen.text)}
    )
    unknown = browser.post(f"/incidents/{incident}/instructions/9/done", data={"csrf_token": token})

    assert forged.status_code == 403
    assert unknown.status_code == 422
    assert "番号を確認してください" in unknown.text
    oversize = browser.post(
        f"/incidents/{incident}/instructions/1/done",
        data={"csrf_token": token, "note": "経" * 4001},
    )
    assert oversize.status_code == 422
    assert "対応内容" in oversize.text
    assert table_rows(portal.db_url) == before
    done = browser.post(
        f"/incidents/{incident}/instructions/1/done",
        data={"csrf_token": token, "note": "  経緯書を第3版で提出  "},
    )
    assert (done.status_code, done.headers["location"]) == (
        303,
        f"/incidents/{incident}#instructions",
    )
    [row] = portal.rows(Instruction)
    assert (row.done_by, row.done_note) == ("watanabe", "経緯書を第3版で提出")
    after = browser.get(f"/incidents/{incident}")
    assert done_form not in after.text
    shown = after.text.split('data-instruction="1">', 1)[1].split("</tr>", 1)[0]
    assert "完了" in shown
    assert "対応内容: 経緯書を第3版で提出" in shown


def test_client_manager_decides_on_publication_and_withholding_needs_a_reason(
    portal: Portal,
) -> None:
    incident = _submitted(portal)
    with transaction(portal.db_url) as session:
        acts.accept(session, incident, by="tanaka", now=portal.clock())
    browser = _signed_in(portal, "tanaka")
    page = browser.get(f"/incidents/{incident}")
    assert f'action="/incidents/{incident}/publication"' in page.text  # closed, still decided
    token = csrf_of(page.text)
    before = table_rows(portal.db_url)

    unreasoned = browser.post(
        f"/incidents/{incident}/publication",
        data={"csrf_token": token, "decision": "withhold", "on": "2026-12-01"},
    )
    undecided = browser.post(
        f"/incidents/{incident}/publication", data={"csrf_token": token, "reason": "影響軽微"}
    )

    assert unreasoned.status_code == undecided.status_code == 422
    assert "理由を確認してください" in unreasoned.text
    assert 'value="withhold" required checked' in unreasoned.text
    assert 'value="2026-12-01"' in unreasoned.text
    assert "公表の判断を確認してください" in undecided.text
    assert "影響軽微" in undecided.text
    assert table_rows(portal.db_url) == before
    done = browser.post(
        f"/incidents/{incident}/publication",
        data={"csrf_token": token, "decision": "withhold", "reason": "本人が特定されるおそれ"},
    )
    assert (done.status_code, done.headers["location"]) == (
        303,
        f"/incidents/{incident}#publication",
    )
    [row] = portal.rows(PublicationDecision)
    assert (str(row.decision), row.reason, row.on_date) == (
        "withhold",
        "本人が特定されるおそれ",
        date(2026, 12, 1),
    )
    shown = browser.get(f"/incidents/{incident}").text.split('class="publication">', 1)[1]
    assert "公表しない" in shown
    assert "本人が特定されるおそれ" in shown


FACTS_FORM = {
    "occurred_at": "2026-11-30T15:00",
    "discovered_by": "窓口職員",
    "how": "本人からの問い合わせ",
    "items": "氏名、住所",
    "records": "",
    "people": "150",
    "sensitive": "true",
    "my_number": "false",
    "financial": "",
    "improper_purpose": "",
    "secondary_damage": "",
    "subject_notice": "planned",
}


def test_those_who_respond_record_the_facts_and_blank_is_unknown(portal: Portal) -> None:
    incident = _declared(portal)
    browser = _signed_in(portal, "watanabe")
    page = browser.get(f"/incidents/{incident}")
    assert f'action="/incidents/{incident}/facts"' in page.text
    token = csrf_of(page.text)

    done = browser.post(f"/incidents/{incident}/facts", data=FACTS_FORM | {"csrf_token": token})

    assert (done.status_code, done.headers["location"]) == (303, f"/incidents/{incident}#facts")
    [row] = portal.rows(FactsRevision)
    assert (row.revision, row.by) == (1, "watanabe")
    assert row.facts["people"] == 150
    assert row.facts["items"] == ["氏名", "住所"]
    assert row.facts["sensitive"] is True
    assert row.facts["my_number"] is False
    assert row.facts["records"] is None
    shown = browser.get(f"/incidents/{incident}").text
    known = shown.split('<dl class="facts known">', 1)[1].split("</dl>", 1)[0]
    assert "本人の数</dt>\n  <dd>150" in known
    assert "氏名、住所" in known
    assert "実施予定" in known
    assert "2026-11-30T15:00" in shown  # the form shows what is known
    # The second revision is sent while the first one's notices may still be delivered.
    cleared = browser.post(
        f"/incidents/{incident}/facts",
        data=FACTS_FORM | {"people": "", "csrf_token": token},
    )
    assert cleared.status_code == 303
    latest = max(portal.rows(FactsRevision), key=lambda r: r.revision)
    assert (latest.revision, latest.facts["people"], latest.changed) == (2, None, ["people"])


def test_refused_facts_are_shown_again_with_what_was_typed(portal: Portal) -> None:
    incident = _declared(portal)
    browser = _signed_in(portal, "watanabe")
    token = csrf_of(browser.get(f"/incidents/{incident}").text)
    before = table_rows(portal.db_url)

    late = browser.post(
        f"/incidents/{incident}/facts",
        data=FACTS_FORM | {"occurred_at": "2026-12-01T11:00", "csrf_token": token},
    )
    not_a_count = browser.post(
        f"/incidents/{incident}/facts",
        data=FACTS_FORM | {"records": "約200", "csrf_token": token},
    )
    nothing = browser.post(f"/incidents/{incident}/facts", data={"csrf_token": token})

    assert late.status_code == not_a_count.status_code == nothing.status_code == 422
    assert "発生日時を確認してください" in late.text
    assert 'value="2026-12-01T11:00"' in late.text
    assert "本人からの問い合わせ" in late.text
    assert "件数を確認してください" in not_a_count.text
    assert 'value="約200"' in not_a_count.text
    assert "事実関係を確認してください" in nothing.text
    assert table_rows(portal.db_url) == before


def test_the_facts_form_is_not_offered_to_others_and_a_forged_one_is_refused(
    portal: Portal,
) -> None:
    incident = _declared(portal)
    browser = _signed_in(portal, "sato")  # a worker of 乙: sees the incident, does not respond
    page = browser.get(f"/incidents/{incident}")
    assert page.status_code == 200
    assert f'action="/incidents/{incident}/facts"' not in page.text
    before = table_rows(portal.db_url)

    forged = browser.post(
        f"/incidents/{incident}/facts", data=FACTS_FORM | {"csrf_token": csrf_of(page.text)}
    )

    assert forged.status_code == 403
    assert table_rows(portal.db_url) == before


def test_a_first_measure_without_done_reads_as_measures_under_way(portal: Portal) -> None:
    incident = _declared(portal)
    with transaction(portal.db_url) as session:
        acts.contain(session, incident, "回収中", done=False, now=portal.clock())
    browser = _signed_in(portal, "watanabe")
    steps = browser.get(f"/incidents/{incident}").text.split('id="steps"', 1)[1]
    steps = steps.split("</section>", 1)[0]
    assert "措置中" in steps  # the clock was met; the damage is not contained yet


def test_accepting_a_page_read_before_another_submission_is_refused(portal: Portal) -> None:
    incident = _submitted(portal)
    browser = _signed_in(portal, "tanaka")
    page = browser.get(f"/incidents/{incident}")
    assert 'name="version" value="1"' in page.text
    token = csrf_of(page.text)
    # While 甲 reads version 1, the contractor changes the cause and submits version 2.
    with transaction(portal.db_url) as session:
        acts.cause(session, incident, "手順が未整備", now=portal.clock())
        acts.submit(session, incident, now=portal.clock())
    before = table_rows(portal.db_url)

    stale = browser.post(
        f"/incidents/{incident}/accept", data={"csrf_token": token, "version": "1"}
    )

    assert stale.status_code == 409
    assert "version 2" in stale.text
    assert table_rows(portal.db_url) == before
    page = browser.get(f"/incidents/{incident}")
    assert 'name="version" value="2"' in page.text
    done = browser.post(
        f"/incidents/{incident}/accept", data={"csrf_token": csrf_of(page.text), "version": "2"}
    )
    assert done.status_code == 303
    assert _state(portal, incident) == "closed"
