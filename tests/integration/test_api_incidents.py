"""The JSON API over real HTTP (SQLite, then PostgreSQL): declaring delivers every report, the
list pages newest first, the Article 24 sequence to 甲's acceptance, the written record with
its SHA-256, bad input naming its field, drills, and an OpenAPI document of every route."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import httpx
import pytest

from jikoflow.models.db import transaction
from jikoflow.models.incidents.tables import Incident
from jikoflow.web.app import API_ROUTERS
from jikoflow.web.routes.api_incidents import KEYED_DECLARE
from tests.integration.conftest import table_rows
from tests.web_fixtures import SAMPLE_CONTRACT, Portal

DECLARATION = {
    "contract": SAMPLE_CONTRACT,
    "org": "delta",
    "kind": "leak",
    "suspected": True,
    "summary": "住民票の写し1通の所在不明",
}


class Api:
    """A client acting with one person's token."""

    def __init__(self, portal: Portal, person: str) -> None:
        self.portal = portal
        self.client = httpx.Client(
            base_url=portal.url + "/api/v1",
            headers={"Authorization": f"Bearer {portal.token(person)}"},
            timeout=30,
        )

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(path, json=json, **kwargs)

    def declare(self, **changes: Any) -> dict[str, Any]:
        answer = self.post("/incidents", DECLARATION | changes)
        assert answer.status_code == 201, answer.text
        data: dict[str, Any] = answer.json()
        return data


def test_declaring_answers_201_with_the_status_and_every_report_goes_out(portal: Portal) -> None:
    api = Api(portal, "yamamoto")  # a worker at delta, the third tier

    answer = api.post("/incidents", DECLARATION)

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert answer.headers["location"] == f"incidents/{body['id']}"
    status = api.get(f"/incidents/{body['id']}").json()
    # Delivery runs beside the answer, so only what it does not touch must match.
    moving = ("reports", "notifications", "steps")
    assert {k: v for k, v in body.items() if k not in moving} == {
        k: v for k, v in status.items() if k not in moving
    } | {"violations": []}
    assert [s["name"] for s in body["steps"]] == [s["name"] for s in status["steps"]]
    assert {k: body[k] for k in ("contract", "org", "kind", "suspected", "state")} == {
        "contract": SAMPLE_CONTRACT,
        "org": "delta",
        "kind": "leak",
        "suspected": True,
        "state": "open",
    }
    assert [r["to"] for r in body["reports"]] == ["gamma", "beta", "acme", "nerima"]
    portal.app.state.courier.wait()
    delivered = api.get(f"/incidents/{body['id']}").json()["reports"]
    assert {r["to"]: r["status"] for r in delivered} == dict.fromkeys(
        ["gamma", "beta", "acme", "nerima"], "delivered"
    )
    assert all(r["sent_at"] for r in delivered)


def test_the_list_pages_newest_first_with_a_link_to_the_next(portal: Portal) -> None:
    api = Api(portal, "watanabe")
    ids = []
    for _ in range(5):
        ids.append(api.declare()["id"])
        portal.clock.advance(minutes=1)
    newest_first = list(reversed(ids))

    first = api.get("/incidents", params={"limit": 2})
    assert [row["id"] for row in first.json()] == newest_first[:2]
    assert set(first.json()[0]) >= {"id", "contract", "org", "kind", "suspected", "state"}
    following = first.links["next"]["url"]
    assert following.startswith(portal.url + "/api/v1/incidents?")
    second = api.client.get(following)
    assert [row["id"] for row in second.json()] == newest_first[2:4]
    last = api.client.get(second.links["next"]["url"])
    assert [row["id"] for row in last.json()] == newest_first[4:]
    assert "next" not in last.links
    assert [r["id"] for r in api.get("/incidents").json()] == newest_first

    assert len(Api(portal, "tanaka").get("/incidents").json()) == 5  # 甲 sees all below it
    hidden = api.get("/incidents", params={"after": "INC-20261201-NOSUCH"})
    assert (hidden.status_code, hidden.json()["field"]) == (422, "after")


def test_the_sequence_from_containment_to_acceptance(portal: Portal) -> None:
    worker, ward = Api(portal, "yamamoto"), Api(portal, "tanaka")
    manager = Api(portal, "watanabe")
    incident = worker.declare()["id"]
    at = f"/incidents/{incident}"

    assert (
        worker.post(f"{at}/containment", {"action": "端末を隔離", "done": True}).status_code == 201
    )
    early = worker.post(f"{at}/measures", {"measure": "二重確認"})
    assert (early.status_code, early.json()["field"]) == (409, "id")
    cause = worker.post(f"{at}/cause", {"text": "封入時の確認漏れ"})
    assert (cause.status_code, cause.json()["revision"]) == (201, 1)
    measure = worker.post(f"{at}/measures", {"measure": "二重確認", "owner": "watanabe"})
    assert (measure.status_code, measure.json()["number"]) == (201, 1)
    done = worker.post(f"{at}/measures/1/implemented")
    assert (done.status_code, done.json()["implemented"]) == (200, True)
    acked = ward.post(f"{at}/ack")
    assert acked.status_code == 200, acked.text
    assert acked.json()["to"] == "nerima"
    assert acked.json()["acknowledged_by"] == "tanaka"
    assert worker.post(f"{at}/submit").status_code == 403  # a worker may not submit
    submitted = manager.post(f"{at}/submit")
    assert submitted.status_code == 201, submitted.text
    version = submitted.json()

    record = worker.get(f"{at}/record", params={"format": "md", "version": 1})
    assert record.headers["content-type"] == "text/markdown; charset=utf-8"
    assert record.headers["x-record-version"] == "1"
    assert record.headers["x-record-sha256"] == version["sha256"]
    assert hashlib.sha256(record.content).hexdigest() == version["sha256"]
    assert worker.get(f"{at}/record").content == record.content  # the latest, as frozen
    html = worker.get(f"{at}/record", params={"format": "html", "lang": "en"})
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.headers["x-record-sha256"] == version["sha256"]
    assert "script-src" not in html.headers["content-security-policy"]
    assert "sandbox" in html.headers["content-security-policy"]
    assert '<html lang="en">' in html.text
    pdf = worker.get(f"{at}/record", params={"format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    refused = worker.post(f"{at}/accept")
    assert refused.status_code == 403
    # The caller is known by its token: nothing in the request to point at.
    assert set(refused.json()) == {"detail"}
    accepted = ward.post(f"{at}/accept")
    assert (accepted.status_code, accepted.json()["state"]) == (200, "closed")
    closed = worker.post(f"{at}/containment", {"action": "追加措置"})
    assert (closed.status_code, closed.json()["field"]) == (409, "id")
    assert "pointer" not in closed.json()  # the incident of the address, not of the body
    unknown = worker.get(f"{at}/record", params={"format": "html", "version": 7})
    assert (unknown.status_code, unknown.json()["field"]) == (422, "version")


def test_a_draft_record_has_no_version_header(portal: Portal) -> None:
    api = Api(portal, "yamamoto")
    incident = api.declare()["id"]
    draft = api.get(f"/incidents/{incident}/record")
    assert draft.status_code == 200
    assert "x-record-sha256" not in draft.headers
    assert 'filename="' + incident + '-draft.md"' in draft.headers["content-disposition"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"summary": "  "}, "summary"),
        ({"kind": "fire"}, "kind"),
        ({"suspected": "maybe"}, "suspected"),
        ({"discovered_at": "2027-01-01T09:00"}, "discovered_at"),
        ({"discovered_at": "yesterday"}, "discovered_at"),
        ({"discovered_at": 1764300000}, "discovered_at"),  # a number is not a time
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_changes_nothing(
    portal: Portal, change: dict[str, Any], field: str
) -> None:
    api = Api(portal, "watanabe")
    before = table_rows(portal.db_url)
    answer = api.post("/incidents", DECLARATION | change)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert answer.json()["pointer"] == "/" + field
    assert table_rows(portal.db_url) == before


def test_an_idempotency_key_is_taken_only_when_the_service_honours_it(portal: Portal) -> None:
    api = Api(portal, "watanabe")
    key = {"Idempotency-Key": "0b3e6f7a-retry-1"}
    first = api.post("/incidents", DECLARATION, headers=key)
    if not KEYED_DECLARE:
        assert (first.status_code, first.json()["field"]) == (422, "Idempotency-Key")
        assert portal.rows(Incident) == []
        return
    again = api.post("/incidents", DECLARATION, headers=key)
    assert first.json()["id"] == again.json()["id"]
    assert len(portal.rows(Incident)) == 1


def test_drills_are_seen_by_the_organisations_they_reached(portal: Portal) -> None:
    from jikoflow.drills.rules import DrillType
    from jikoflow.drills.schemas import RunInput
    from jikoflow.drills.service import run_drill
    from jikoflow.models.access import OPERATOR

    contact = RunInput(contract=SAMPLE_CONTRACT, type=DrillType.CONTACT, org="delta")
    with transaction(portal.db_url) as session:
        drill = run_drill(session, actor=OPERATOR, data=contact, now=portal.clock()).id
    ward, contractor = Api(portal, "tanaka"), Api(portal, "suzuki")
    assert [d["id"] for d in ward.get("/drills").json()] == [drill]
    view = contractor.get(f"/drills/{drill}").json()
    assert view["type"] == "contact"
    assert {p["org"] for p in view["participants"]} >= {"nerima", "acme", "delta"}
    report = ward.get(f"/drills/{drill}/report", params={"format": "html"})
    assert report.headers["content-type"] == "text/html; charset=utf-8"
    assert "訓練" in report.text
    due = ward.get("/drills/due").json()
    assert {row["org"] for row in due} == {"acme", "beta", "gamma", "delta"}
    assert Api(portal, "tanaka").get("/drills/DRL-20261201-NOSUCH").status_code == 404


def test_the_openapi_document_describes_every_route_and_schema(portal: Portal) -> None:
    document = httpx.get(portal.url + "/api/v1/openapi.json", timeout=30).json()
    served = {
        (route.path, method.lower())
        for router in API_ROUTERS
        for route in router.routes
        for method in route.methods
    }
    described = {(path, method) for path, item in document["paths"].items() for method in item}
    assert served == described
    for wanted in [
        ("/incidents", "get"),
        ("/incidents", "post"),
        ("/incidents/{incident_id}", "get"),
        ("/incidents/{incident_id}/ack", "post"),
        ("/incidents/{incident_id}/containment", "post"),
        ("/incidents/{incident_id}/cause", "post"),
        ("/incidents/{incident_id}/measures", "post"),
        ("/incidents/{incident_id}/submit", "post"),
        ("/incidents/{incident_id}/accept", "post"),
        ("/incidents/{incident_id}/record", "get"),
        ("/drills", "get"),
        ("/drills/{drill_id}", "get"),
    ]:
        assert wanted in described
    schemas = document["components"]["schemas"]
    refs = _refs(document["paths"])
    assert refs <= {f"#/components/schemas/{name}" for name in schemas}
    assert {"DeclareInput", "IncidentStatus", "IncidentSummary", "Refusal", "DrillView"} <= set(
        schemas
    )
    for path, method in described:
        operation = document["paths"][path][method]
        assert operation["security"] == [{"HTTPBearer": []}], (path, method)
        assert "401" in operation["responses"], (path, method)
    record = document["paths"]["/incidents/{incident_id}/record"]["get"]["responses"]["200"]
    assert set(record["content"]) == {
        "text/markdown; charset=utf-8",
        "text/html; charset=utf-8",
        "application/pdf",
    }
    assert "X-Record-SHA256" in record["headers"]


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if "$ref" in node else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def test_the_clock_of_the_portal_is_the_services_clock(portal: Portal) -> None:
    api = Api(portal, "yamamoto")
    portal.clock.advance(hours=2)
    body = api.declare(discovered_at=(portal.clock() - timedelta(hours=3)).isoformat())
    assert body["declared_at"] == portal.clock().isoformat()
    overdue = {s["name"] for s in body["steps"] if s["status"] == "overdue"}
    assert overdue == {"containment", "report"}
    assert [r["id"] for r in api.get("/incidents", params={"overdue": True}).json()] == [body["id"]]
