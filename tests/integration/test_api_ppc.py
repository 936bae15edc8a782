"""The draft of 甲's report to the PPC over real HTTP (SQLite, then PostgreSQL): through the API
and the portal, in each format with its media type and file name, for 甲's managers only — the
other tiers are answered as for something they cannot see, since 甲's APPI duties are not
shown to them — and bad input answered 422 naming the field."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.integration.test_api_incidents import Api
from tests.record_checks import pdf_text
from tests.web_fixtures import Portal, sign_in

FILENAME = re.compile(r'^(attachment|inline); filename="(INC-\d{8}-[0-9A-Z]{6})-ppc-(\w+)\.(\w+)"$')


@pytest.fixture
def reportable(portal: Portal) -> str:
    """An incident at delta whose facts make it reportable (150 people)."""
    delta = Api(portal, "watanabe")
    incident: str = delta.declare()["id"]
    recorded = delta.post(f"/incidents/{incident}/facts", {"people": 150, "items": ["氏名"]})
    assert recorded.status_code == 201, recorded.text
    return incident


@pytest.mark.parametrize(
    ("fmt", "media", "disposition"),
    [
        ("md", "text/markdown; charset=utf-8", "attachment"),
        ("html", "text/html; charset=utf-8", "inline"),
        ("pdf", "application/pdf", "inline"),
    ],
)
def test_the_clients_manager_gets_the_draft_in_each_format(
    portal: Portal, reportable: str, fmt: str, media: str, disposition: str
) -> None:
    answer = Api(portal, "tanaka").get(
        f"/incidents/{reportable}/ppc", params={"stage": "final", "format": fmt}
    )

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == media
    named = FILENAME.match(answer.headers["content-disposition"])
    assert named is not None
    assert named.groups() == (disposition, reportable, "final", fmt)
    assert answer.headers["content-language"] == "ja"
    if fmt == "pdf":
        assert answer.content.startswith(b"%PDF-")
        text = pdf_text(answer.content)
    else:
        text = answer.text
    assert "漏えい等報告書（案）" in text
    assert "確報" in text
    assert "150" in text
    assert "要記入" in text
    if fmt == "html":
        assert "script-src" not in answer.headers["content-security-policy"]
        assert "default-src 'none'" in answer.headers["content-security-policy"]


def test_the_preliminary_draft_is_the_default_and_dates_may_be_in_the_era(
    portal: Portal, reportable: str
) -> None:
    tanaka = Api(portal, "tanaka")

    plain = tanaka.get(f"/incidents/{reportable}/ppc")
    era = tanaka.get(f"/incidents/{reportable}/ppc", params={"dates": "era"})

    assert plain.status_code == 200, plain.text
    assert plain.headers["content-disposition"].endswith(f'"{reportable}-ppc-preliminary.md"')
    assert "速報" in plain.text
    assert "令和" not in plain.text
    assert "令和8年" in era.text


@pytest.mark.parametrize(
    "person",
    [
        "suzuki",  # 乙's manager
        "sato",  # a worker of 乙
        "takahashi",  # a manager above delta
        "watanabe",  # the reporting organisation's manager
        "yamamoto",  # a worker there
    ],
)
def test_the_other_tiers_are_answered_as_for_what_they_cannot_see(
    portal: Portal, reportable: str, person: str
) -> None:
    api = Api(portal, person)
    assert api.get(f"/incidents/{reportable}").json()["appi"] is None  # hidden there too

    answer = api.get(f"/incidents/{reportable}/ppc", params={"format": "pdf"})

    assert answer.status_code == 404
    assert answer.json() == {"detail": "not found"}


def test_an_unknown_incident_and_no_token(portal: Portal, reportable: str) -> None:
    unknown = Api(portal, "tanaka").get("/incidents/INC-20261201-ZZZZZZ/ppc")
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "not found"}
    anonymous = httpx.get(f"{portal.url}/api/v1/incidents/{reportable}/ppc")
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"stage": "interim"}, "stage"),
        ({"format": "docx"}, "format"),
        ({"stage": "final", "format": "PDF"}, "format"),
        ({"dates": "heisei"}, "dates"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    portal: Portal, reportable: str, params: dict[str, str], field: str
) -> None:
    answer = Api(portal, "tanaka").get(f"/incidents/{reportable}/ppc", params=params)

    assert answer.status_code == 422
    assert answer.json()["field"] == field
    assert answer.json()["pointer"] == f"/{field}"


def test_the_portal_offers_the_draft_to_the_clients_manager_only(
    portal: Portal, reportable: str
) -> None:
    link = f'href="/incidents/{reportable}/ppc?stage=final&amp;format=pdf"'
    pages = {}
    for person in ("tanaka", "suzuki"):
        portal.set_password(person)
        browser = portal.browser()
        assert sign_in(browser, person).status_code == 303
        pages[person] = (browser, browser.get(f"/incidents/{reportable}").text)
    tanaka, page = pages["tanaka"]
    suzuki, other = pages["suzuki"]
    assert link in page
    assert "漏えい等報告書（案）" in page
    assert link not in other

    pdf = tanaka.get(f"/incidents/{reportable}/ppc", params={"stage": "final", "format": "pdf"})
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    html = tanaka.get(f"/incidents/{reportable}/ppc")
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert suzuki.get(f"/incidents/{reportable}/ppc").status_code == 404
