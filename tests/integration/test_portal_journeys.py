"""Journeys through the incident pages in a real browser (Chromium via Playwright) against the
portal on a live server, delivering to a fake Slack: a third-tier worker declares and watches
the reports go out; the ward's manager follows the incident's link, signs in, acknowledges and
later accepts the record; a sibling subcontractor's person finds no trace of it; a form without
its CSRF token is refused. Screenshots of the main pages are saved, and Chromium must have
drawn their Japanese text with a Japanese font. Waits are `expect`s, never sleeps."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import expect

from jikoflow.models.db import transaction
from jikoflow.models.response.tables import ContainmentAction
from jikoflow.models.types import utcnow
from tests import acts
from tests.slack_fixtures import SAMPLE_PARTIES, load_parties_file
from tests.slack_server import SlackServer
from tests.web_fixtures import Clock, Portal, password_of

RECIPIENTS = ["ガンマデータセンター株式会社", "ベータソリューションズ株式会社"]
RECIPIENTS += ["アクメ情報システム株式会社", "練馬区 情報政策課"]
JAPANESE_FONTS = re.compile(r"IPAex|Noto Sans CJK|Noto Serif CJK|Noto Sans JP")


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """Browser journeys run on SQLite (the API and the pages are tested on both backends)."""
    return sqlite_url


@pytest.fixture
def gate(slack_server: SlackServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Slack answers no post until the gate opens (so a page can be seen before delivery)."""
    opened = threading.Event()
    slack_server.on_post = lambda _entry: opened.wait(30)
    monkeypatch.setattr("jikoflow.notifications.slack.SlackChannel.interval", 0.0)
    yield opened
    opened.set()


@pytest.fixture
def portal(make_portal: Any, slack_server: SlackServer, db_url: str, tmp_path: Path) -> Portal:
    """The portal at today's time (delivery is stamped with it), delivering to the fake Slack,
    with a sibling branch beside gamma: epsilon under beta."""
    parties = yaml.safe_load(SAMPLE_PARTIES.read_text(encoding="utf-8"))
    parties["organizations"].append(
        {
            "id": "epsilon",
            "name": "イプシロン印刷株式会社",
            "kind": "subcontractor",
            "people": [{"id": "kato", "name": "加藤 優", "role": "manager"}],
        }
    )
    parties["contracts"][0]["delegations"].append(
        {"from": "beta", "to": "epsilon", "approved_at": "2026-04-15"}
    )
    path = tmp_path / "parties.yaml"
    path.write_text(yaml.safe_dump(parties, allow_unicode=True), encoding="utf-8")
    load_parties_file(db_url, path)
    started: Portal = make_portal(clock=Clock(utcnow()), slack_url=slack_server.url)
    for person in ("yamamoto", "tanaka", "watanabe", "kato"):
        started.set_password(person)
    return started


def _sign_in(page: Any, person: str) -> None:
    page.get_by_label("ユーザーID").fill(person)
    page.get_by_label("パスワード").fill(password_of(person))
    page.get_by_role("button", name="サインイン").click()


def _shot(page: Any, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _drawn_in_japanese(page: Any, selector: str) -> None:
    """Chromium drew the element's text with a Japanese font (not boxes of a fallback)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    assert any(JAPANESE_FONTS.search(f["familyName"]) and f["glyphCount"] for f in fonts), fonts


def _row(page: Any, name: str) -> Any:
    return page.locator("#reports tbody tr").filter(has_text=name)


def test_a_third_tier_worker_declares_and_watches_the_reports_go_out(
    portal: Portal,
    page: Any,
    page_errors: list[str],
    screenshots: Path,
    gate: threading.Event,
) -> None:
    page.goto(portal.url + "/login")
    _sign_in(page, "yamamoto")
    page.get_by_role("navigation").get_by_role("link", name="事故等の報告").click()
    expect(page.get_by_role("heading", name="事故等の報告")).to_be_visible()
    # A worker reports only at their own organisation.
    expect(page.get_by_label("発生組織").locator("option:not([disabled])")).to_have_text(
        ["デルタ入力サービス有限会社"]
    )
    page.get_by_label("種別").select_option(label="漏えい")
    page.get_by_label("おそれ（その可能性がある場合）").check()
    page.get_by_label("発見日時（日本時間）").fill("2026-11-27T17:40")
    page.get_by_label("概要").fill("委託元から預かった申請書の控え1束が見当たらない")
    _drawn_in_japanese(page, "h1")
    _shot(page, screenshots, "declare")
    page.get_by_role("button", name="報告する").click()

    expect(page).to_have_url(re.compile(r"/incidents/INC-\d{8}-[0-9A-Z]{6}$"))
    incident = page.url.rsplit("/", 1)[1]
    assert incident.startswith("INC-")
    expect(page.locator("h1 .id")).to_have_text(incident)
    for name in RECIPIENTS:  # the reports are on their way: Slack has not answered yet
        expect(_row(page, name).locator("[data-field=status_label]")).to_have_text("未送信")
    _shot(page, screenshots, "incident-sending")
    gate.set()
    for name in RECIPIENTS:  # the page follows them without being reloaded
        expect(_row(page, name).locator("[data-field=status_label]")).to_have_text("送信済")
        expect(_row(page, name).locator("[data-field=delivered_at]")).not_to_have_text("—")
    expect(page.locator("#steps li")).to_have_count(5)
    expect(page.get_by_text("委託元から預かった申請書の控え1束が見当たらない")).to_be_visible()
    # A worker records containment but neither acknowledges nor submits.
    expect(page.get_by_role("button", name="受領確認")).to_have_count(0)
    expect(page.get_by_role("button", name="提出")).to_have_count(0)
    _drawn_in_japanese(page, "#steps-h")
    _shot(page, screenshots, "incident")
    page.get_by_role("navigation").get_by_role("link", name="事故等一覧").click()
    expect(page.get_by_role("link", name=incident)).to_be_visible()
    _drawn_in_japanese(page, "h1")
    _shot(page, screenshots, "incidents")
    assert page_errors == []


def test_the_wards_manager_follows_the_link_acknowledges_and_later_accepts(
    portal: Portal, page: Any, page_errors: list[str], screenshots: Path
) -> None:
    with transaction(portal.db_url) as session:
        incident = acts.declare(session, by="watanabe", now=portal.clock()).incident.id
    link = f"{portal.url}/incidents/{incident}"  # as a chat card or an e-mail carries it

    page.goto(link)
    expect(page).to_have_url(f"{portal.url}/login?next=%2Fincidents%2F{incident}")
    _sign_in(page, "tanaka")
    expect(page).to_have_url(link)
    ward = _row(page, "練馬区 情報政策課")
    expect(ward.locator("[data-field=status_label]")).not_to_have_text("受領確認済")
    page.get_by_role("button", name="受領確認").click()
    expect(ward.locator("[data-field=status_label]")).to_have_text("受領確認済")
    expect(ward.locator("[data-field=acknowledged_by]")).to_have_text("田中 一郎")
    expect(page.get_by_role("button", name="受領確認")).to_have_count(0)
    expect(page.get_by_role("button", name="受理")).to_have_count(0)  # nothing submitted yet

    with transaction(portal.db_url) as session:
        acts.contain(session, incident, "端末を隔離", done=True, by="watanabe")
        acts.cause(session, incident, "封入時の確認漏れ", by="watanabe")
        acts.measure(session, incident, "二重確認の徹底", by="watanabe")
        sha = acts.submit(session, incident, by="watanabe").sha256
    page.reload()
    versions = page.locator("table.submissions tbody tr")
    expect(versions).to_have_count(1)
    expect(versions.locator("code.sha")).to_have_text(sha)
    with page.expect_download() as download:
        versions.get_by_role("link", name="Markdown").click()
    assert download.value.suggested_filename == f"{incident}-v1.md"
    _shot(page, screenshots, "incident-submitted")
    page.get_by_role("button", name="受理").click()
    expect(page.locator("h1 .state")).to_have_text("完了")
    expect(versions.locator("td").nth(3)).to_contain_text("田中 一郎")
    expect(page.locator("form[action$='/containment']")).to_have_count(0)
    _drawn_in_japanese(page, "#record-h")
    _shot(page, screenshots, "incident-closed")
    assert page_errors == []


def test_a_sibling_subcontractors_person_finds_no_trace(
    portal: Portal, page: Any, page_errors: list[str], screenshots: Path
) -> None:
    with transaction(portal.db_url) as session:
        incident = acts.declare(session, by="watanabe", now=portal.clock()).incident.id

    page.goto(f"{portal.url}/incidents/{incident}")
    _sign_in(page, "kato")  # epsilon: under beta, beside gamma and delta
    expect(page.get_by_role("heading", name="ページが見つかりません")).to_be_visible()
    assert incident not in page.content()
    _shot(page, screenshots, "not-found")
    for path in ("/reports", "/record?format=md"):
        answer = page.request.get(f"{portal.url}/incidents/{incident}{path}")
        assert answer.status == 404
        assert incident not in answer.text()
    page.goto(portal.url + "/incidents")
    expect(page.get_by_text("表示できる事故等はありません。")).to_be_visible()
    assert incident not in page.content()
    page.goto(portal.url + "/incidents/new")  # kato may report at epsilon only
    expect(page.get_by_label("発生組織").locator("option:not([disabled])")).to_have_text(
        ["イプシロン印刷株式会社"]
    )
    assert page_errors == [
        "Failed to load resource: the server responded with a status of 404 (Not Found)"
    ]


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    portal: Portal, page: Any, screenshots: Path
) -> None:
    with transaction(portal.db_url) as session:
        incident = acts.declare(session, by="watanabe", now=portal.clock()).incident.id
    page.goto(f"{portal.url}/incidents/{incident}")
    _sign_in(page, "watanabe")
    form = page.locator("form[action$='/containment']")
    form.get_by_label("講じた措置").fill("ネットワークから切り離した")
    form.locator("input[name=csrf_token]").evaluate("input => input.remove()")
    with page.expect_response(lambda r: r.url.endswith("/containment")) as refused:
        form.get_by_role("button", name="記録する").click()
    assert refused.value.status == 403
    expect(page.get_by_role("heading", name="フォームを受け付けられません")).to_be_visible()
    _shot(page, screenshots, "csrf-refused")
    assert portal.rows(ContainmentAction) == []

    page.goto(f"{portal.url}/incidents/{incident}")  # with its token, the same form works
    form.get_by_label("講じた措置").fill("ネットワークから切り離した")
    form.get_by_role("button", name="記録する").click()
    expect(page.locator("#containment ol.log li")).to_have_count(1)
    assert [row.text for row in portal.rows(ContainmentAction)] == ["ネットワークから切り離した"]


def test_the_drill_pages_show_each_organisations_answer(
    portal: Portal, page: Any, page_errors: list[str], screenshots: Path
) -> None:
    from jikoflow.drills.rules import DrillType
    from jikoflow.drills.schemas import AckInput, RunInput
    from jikoflow.drills.service import acknowledge, run_drill
    from jikoflow.models.access import OPERATOR, person

    contact = RunInput(contract="C-2026-001", type=DrillType.CONTACT, org="delta")
    with transaction(portal.db_url) as session:
        drill = run_drill(session, actor=OPERATOR, data=contact, now=portal.clock()).id
        acknowledge(
            session, actor=person("tanaka"), drill_id=drill, data=AckInput(), now=portal.clock()
        )
    page.goto(portal.url + "/drills")
    _sign_in(page, "tanaka")
    expect(page.get_by_role("heading", name="訓練", exact=True)).to_be_visible()
    page.get_by_role("link", name=drill).click()
    ward = page.locator("tbody tr").filter(has_text="練馬区 情報政策課")
    expect(ward).to_contain_text("tanaka")
    expect(ward).to_contain_text("30分以内")
    expect(page.get_by_role("link", name="HTML")).to_have_attribute(
        "href", f"/drills/{drill}/report?format=html&lang=ja"
    )
    _drawn_in_japanese(page, "h1")
    _shot(page, screenshots, "drill")
    assert page_errors == []
