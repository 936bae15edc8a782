"""The API's acts on the record over real HTTP (SQLite, then PostgreSQL): facts, reclassify,
該当なし through submit, 甲's return, instructions and publication — with 403, 404 and 422
answers that change nothing."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import table_rows
from tests.integration.test_api_incidents import DECLARATION, Api
from tests.web_fixtures import Portal


def _refused(portal: Portal, api: Api, path: str, body: Any, code: int) -> dict[str, Any]:
    portal.app.state.courier.wait()  # deliveries of earlier acts are done first
    before = table_rows(portal.db_url)
    answer = api.post(path, body)
    assert answer.status_code == code, answer.text
    portal.app.state.courier.wait()
    assert table_rows(portal.db_url) == before
    data: dict[str, Any] = answer.json()
    return data


def test_the_record_acts_through_the_api(portal: Portal) -> None:
    delta, tanaka, suzuki = (Api(portal, p) for p in ("watanabe", "tanaka", "suzuki"))
    incident = delta.declare()["id"]
    base = f"/incidents/{incident}"

    recorded = delta.post(f"{base}/facts", {"people": 3, "items": ["氏名"]})
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["revision"] == 1
    assert _refused(portal, delta, f"{base}/facts", {"people": 3}, 422)["field"] == "facts"
    assert _refused(portal, delta, f"{base}/facts", {"people": -1}, 422)["field"] == "people"
    changed = delta.post(f"{base}/reclassify", {"suspected": False, "reason": "確認された"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["suspected"] is False

    given = tanaka.post(f"{base}/instructions", {"text": "経緯を報告", "due": "2099-01-31"})
    assert given.status_code == 201, given.text
    _refused(portal, suzuki, f"{base}/instructions", {"text": "x"}, 403)
    too_long = {"note": "経" * 4001}
    assert _refused(portal, delta, f"{base}/instructions/1/done", too_long, 422)["field"] == "note"
    done = delta.post(f"{base}/instructions/1/done", {"note": "経緯書を提出"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done"
    given = tanaka.post(f"{base}/instructions", {"text": "再発防止策の進捗を報告"})
    assert given.status_code == 201, given.text
    assert delta.post(f"{base}/instructions/2/done").status_code == 200  # no body: no note
    body = {"decision": "withhold"}
    assert _refused(portal, tanaka, f"{base}/publication", body, 422)["field"] == "reason"
    decided = tanaka.post(f"{base}/publication", {"decision": "publish"})
    assert decided.status_code == 201, decided.text

    proposal = {"not_an_incident": True, "reason": "所在が確認された"}
    # Recorded as 発生, it is reclassified as おそれ before it may end as 該当なし.
    assert _refused(portal, delta, f"{base}/submit", proposal, 409)["field"] == "not_an_incident"
    back = {"suspected": True, "reason": "紛失の確認は誤りだった"}
    assert delta.post(f"{base}/reclassify", back).status_code == 200
    submitted = delta.post(f"{base}/submit", proposal)
    assert submitted.status_code == 201, submitted.text
    assert submitted.json()["outcome"] == "not_an_incident"
    _refused(portal, suzuki, f"{base}/return", {"reason": "x"}, 403)
    returned = tanaka.post(f"{base}/return", {"reason": "根拠を添付のこと"})
    assert returned.status_code == 200, returned.text
    assert returned.json()["state"] == "open"
    again = delta.post(f"{base}/submit", proposal)
    assert again.status_code == 201, again.text
    accepted = tanaka.post(f"{base}/accept")
    assert accepted.status_code == 200, accepted.text
    status = tanaka.get(base).json()
    assert status["outcome"] == "not_an_incident"
    assert status["facts"]["people"] == 3
    assert status["publication"]["decision"] == "publish"
    notes = [(i["number"], i["done_note"]) for i in status["instructions"]]
    assert notes == [(1, "経緯書を提出"), (2, None)]
    assert status["appi"] is not None
    assert delta.get(base).json()["appi"] is None


def test_an_incident_the_caller_may_not_see_is_unknown(portal: Portal) -> None:
    incident = Api(portal, "watanabe").declare(**{"org": "delta"})["id"]
    outsider = Api(portal, "takahashi")  # beta: above delta, may see it
    assert outsider.post(f"/incidents/{incident}/return", {"reason": "x"}).status_code == 403
    missing = Api(portal, "tanaka").post("/incidents/INC-NONE/return", {"reason": "x"})
    assert missing.status_code == 404
    assert DECLARATION["org"] == "delta"
