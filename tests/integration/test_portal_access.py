"""Who may see and do what (DESIGN.md §8) through the JSON API and the pages, as a table, over
real HTTP on SQLite and PostgreSQL.

The parties and people of tests/integration/test_access.py: an incident at gamma (a
second-tier subcontractor), tried by a manager and a worker of gamma itself, beta above it,
乙, 甲, delta below it, epsilon on a sibling branch and zeta under another contract. Through
the API each act answers 2xx when allowed, 404 when the person may not even see the incident
(its existence is not revealed, and the list does not show it), 403 otherwise; a refused act
changes no row of any table. On the incident's page the buttons and forms of the acts a person
may not do are absent; a form forged anyway is refused the same way, and a form without its
CSRF token is refused whoever sends it.

One database and one live portal serve each backend's table: an allowed act that changes
something gets incidents of its own, refused acts use shared ones, and every person's token
and browser session are used once before the table starts (so no first use is counted as a
change).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import yaml

from jikoflow.models.access import OPERATOR
from jikoflow.models.db import transaction
from jikoflow.models.enums import Lang
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.service import load
from jikoflow.models.settings import Settings
from jikoflow.web import create_app
from tests import acts
from tests.integration.conftest import table_rows
from tests.integration.test_access import DECLARE, EXPECTED, FORBIDDEN, OK, PARTIES, PEOPLE
from tests.live_server import LiveServer
from tests.web_fixtures import Clock, csrf_of, password_of, sign_in

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
CONTRACT = "C-2026-001"
ROLES = ("manager", "worker")
STATUS = {OK: None, FORBIDDEN: 403, "unknown": 404}


@dataclass
class World:
    """The live portal over one backend's database, with every person's token and browser."""

    url: str
    db_url: str
    app: Any
    tokens: dict[str, str] = field(default_factory=dict)
    browsers: dict[str, httpx.Client] = field(default_factory=dict)
    shared: dict[str, str] = field(default_factory=dict)

    def api(self, person: str, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[person]}"}
        return httpx.request(
            method, self.url + "/api/v1" + path, json=body, headers=headers, timeout=30
        )

    def settle(self) -> None:
        """Wait until what the last act queued has been delivered."""
        self.app.state.courier.wait()

    def incident(self, *, submitted: bool = False) -> str:
        """A new incident at gamma, ready to submit (or submitted)."""
        with transaction(self.db_url) as session:
            incident = acts.declare(session, org="gamma", summary="x", now=T0).incident.id
            acts.contain(session, incident, "a", done=True, now=T0)
            acts.cause(session, incident, "c", now=T0)
            acts.measure(session, incident, "m", now=T0)
            if submitted:
                acts.submit(session, incident, now=T0)
        return incident


@pytest.fixture(scope="module")
def world(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("portal-access")
    parties = home / "parties.yaml"
    parties.write_text(yaml.safe_dump(PARTIES, allow_unicode=True), encoding="utf-8")
    with transaction(module_db_url) as session:
        load(session, actor=OPERATOR, parties=read_parties(parties), source="access")
    settings = Settings(home, module_db_url, None, "http://127.0.0.1:9/", Lang.JA)
    app = create_app(settings, clock=Clock(T0), sign_in_rate="10000/minute")
    with LiveServer(app) as server:
        found = World(server.url, module_db_url, app)
        found.shared = {"open": found.incident(), "submitted": found.incident(submitted=True)}
        _open_every_door(found)
        yield found
        found.settle()
        for browser in found.browsers.values():
            browser.close()


def _open_every_door(world: World) -> None:
    from jikoflow.models.accounts.service import create_api_token, set_password

    everyone = [p for pair in PEOPLE.values() for p in pair]
    with transaction(world.db_url) as session:
        for person in everyone:
            world.tokens[person] = create_api_token(
                session, actor=OPERATOR, person_id=person, now=T0
            ).token
            set_password(
                session, actor=OPERATOR, person_id=person, password=password_of(person), now=T0
            )
    for person in everyone:
        assert world.api(person, "GET", "/me").status_code == 200
        browser = httpx.Client(base_url=world.url, follow_redirects=False, timeout=30)
        assert sign_in(browser, person).status_code == 303
        world.browsers[person] = browser


def _person(standing: str, role: str) -> str:
    return PEOPLE[standing][ROLES.index(role)]


# act → (HTTP method, path from the incidents, body, the success status, needs a submitted one)
Request = tuple[str, Callable[[str], str], Any, int]
ACTS: dict[str, Request] = {
    "see": ("GET", lambda i: f"/incidents/{i}", None, 200),
    "record": ("GET", lambda i: f"/incidents/{i}/record?format=md", None, 200),
    "acknowledge": ("POST", lambda i: f"/incidents/{i}/ack", None, 200),
    "contain": ("POST", lambda i: f"/incidents/{i}/containment", {"action": "x"}, 201),
    "cause": ("POST", lambda i: f"/incidents/{i}/cause", {"text": "x"}, 201),
    "prevent": ("POST", lambda i: f"/incidents/{i}/measures", {"measure": "x"}, 201),
    "submit": ("POST", lambda i: f"/incidents/{i}/submit", None, 201),
    "accept": ("POST", lambda i: f"/incidents/{i}/accept", None, 200),
    "facts": ("POST", lambda i: f"/incidents/{i}/facts", {"people": 7}, 201),
    "reclassify": (
        "POST",
        lambda i: f"/incidents/{i}/reclassify",
        {"suspected": True, "reason": "r"},
        200,
    ),
    "return": ("POST", lambda i: f"/incidents/{i}/return", {"reason": "r"}, 200),
    "instruct": ("POST", lambda i: f"/incidents/{i}/instructions", {"text": "t"}, 201),
    "publish": ("POST", lambda i: f"/incidents/{i}/publication", {"decision": "publish"}, 201),
    "ppc": ("GET", lambda i: f"/incidents/{i}/ppc?format=md", None, 200),
}
CASES = [(act, standing, role) for act in ACTS for standing in PEOPLE for role in ROLES]


def _refused_changes_nothing(world: World, send: Callable[[], httpx.Response]) -> httpx.Response:
    before = table_rows(world.db_url, reflect=False)
    answer = send()
    world.settle()
    assert table_rows(world.db_url, reflect=False) == before, "a refused act changed the database"
    return answer


@pytest.mark.parametrize(("act", "standing", "role"), CASES)
def test_every_act_through_the_api(world: World, act: str, standing: str, role: str) -> None:
    method, path, body, success = ACTS[act]
    expected = EXPECTED[act][standing][ROLES.index(role)]
    who = _person(standing, role)
    on_submitted = act in ("accept", "return")
    which = "submitted" if on_submitted else "open"
    if expected == OK:
        incident = (
            world.shared[which] if method == "GET" else world.incident(submitted=on_submitted)
        )
        answer = world.api(who, method, path(incident), body)
        world.settle()
        assert answer.status_code == success, answer.text
        return
    answer = _refused_changes_nothing(
        world, lambda: world.api(who, method, path(world.shared[which]), body)
    )
    assert answer.status_code == STATUS[expected], answer.text
    if answer.status_code == 404:
        assert answer.json() == {"detail": "not found"}


@pytest.mark.parametrize("standing", list(PEOPLE))
@pytest.mark.parametrize("role", ROLES)
def test_the_list_shows_exactly_what_may_be_seen(world: World, standing: str, role: str) -> None:
    listed = world.api(_person(standing, role), "GET", "/incidents?limit=500").json()
    seen = EXPECTED["see"][standing][ROLES.index(role)] == OK
    assert ({world.shared["open"], world.shared["submitted"]} <= {r["id"] for r in listed}) == seen
    if not seen:
        assert world.shared["open"] not in str(listed)


@pytest.mark.parametrize("standing", list(PEOPLE))
@pytest.mark.parametrize("role", ROLES)
def test_who_may_declare_at_gamma(world: World, standing: str, role: str) -> None:
    expected = DECLARE[standing][ROLES.index(role)]
    body = {"contract": CONTRACT, "org": "gamma", "kind": "leak", "summary": "y"}
    who = _person(standing, role)
    if expected == OK:
        answer = world.api(who, "POST", "/incidents", body)
        world.settle()
        assert answer.status_code == 201, answer.text
        return
    answer = _refused_changes_nothing(world, lambda: world.api(who, "POST", "/incidents", body))
    assert answer.status_code == STATUS[expected], answer.text


# The page's controls for each act: what a person who may not do it never sees.
CONTROLS = {
    "acknowledge": ("open", 'action="/incidents/{id}/ack"'),
    "contain": ("open", 'action="/incidents/{id}/containment"'),
    "cause": ("open", 'action="/incidents/{id}/cause"'),
    "prevent": ("open", 'action="/incidents/{id}/measures"'),
    "submit": ("open", 'action="/incidents/{id}/submit"'),
    "accept": ("submitted", 'action="/incidents/{id}/accept"'),
    "return": ("submitted", 'action="/incidents/{id}/return"'),
    "facts": ("open", 'action="/incidents/{id}/facts"'),
    "instruct": ("open", 'action="/incidents/{id}/instructions"'),
    "publish": ("open", 'action="/incidents/{id}/publication"'),
    "ppc": ("open", 'href="/incidents/{id}/ppc?'),
}


@pytest.mark.parametrize("standing", list(PEOPLE))
@pytest.mark.parametrize("role", ROLES)
def test_the_page_offers_only_the_acts_a_person_may_do(
    world: World, standing: str, role: str
) -> None:
    browser = world.browsers[_person(standing, role)]
    pages = {name: browser.get(f"/incidents/{world.shared[name]}") for name in world.shared}
    if EXPECTED["see"][standing][ROLES.index(role)] != OK:
        assert {p.status_code for p in pages.values()} == {404}
        assert not any(world.shared["open"] in p.text for p in pages.values())
        return
    offered = {
        act
        for act, (which, control) in CONTROLS.items()
        if control.format(id=world.shared[which]) in pages[which].text
    }
    allowed = {act for act in CONTROLS if EXPECTED[act][standing][ROLES.index(role)] == OK}
    assert offered == allowed


FORMS = {
    "acknowledge": ("/ack", {}),
    "contain": ("/containment", {"action": "x"}),
    "cause": ("/cause", {"text": "x"}),
    "prevent": ("/measures", {"measure": "x"}),
    "submit": ("/submit", {"lang": "ja"}),
    "accept": ("/accept", {}),
    "return": ("/return", {"reason": "x"}),
    "facts": ("/facts", {"people": "7"}),
    "instruct": ("/instructions", {"text": "x"}),
    "publish": ("/publication", {"decision": "publish"}),
}


# Forms sent by people to whom the page never offered them: a worker of the incident's own
# organisation, a worker of 甲, and a manager on a sibling branch.
FORGED = [
    (act, standing, role)
    for act in FORMS
    for standing, role in (("own", "worker"), ("client", "worker"), ("sibling", "manager"))
    if EXPECTED[act][standing][ROLES.index(role)] != OK
]


@pytest.mark.parametrize(("act", "standing", "role"), FORGED)
def test_a_forged_form_is_refused_and_changes_nothing(
    world: World, act: str, standing: str, role: str
) -> None:
    expected = EXPECTED[act][standing][ROLES.index(role)]
    browser = world.browsers[_person(standing, role)]
    token = csrf_of(browser.get("/account").text)
    incident = world.shared["submitted" if act in ("accept", "return") else "open"]
    suffix, form = FORMS[act]
    answer = _refused_changes_nothing(
        world,
        lambda: browser.post(f"/incidents/{incident}{suffix}", data=form | {"csrf_token": token}),
    )
    assert answer.status_code == STATUS[expected]
    assert incident not in answer.text or expected == FORBIDDEN


@pytest.mark.parametrize("act", list(FORMS))
def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    world: World, act: str
) -> None:
    browser = world.browsers[_person("client", "manager")]  # 甲's manager may do most acts
    incident = world.shared["submitted" if act in ("accept", "return") else "open"]
    suffix, form = FORMS[act]
    for token in ({}, {"csrf_token": "0" * 64}):
        answer = _refused_changes_nothing(
            world, lambda t=token: browser.post(f"/incidents/{incident}{suffix}", data=form | t)
        )
        assert answer.status_code == 403
        assert "フォームを受け付けられません" in answer.text


def test_a_declaration_form_without_its_token_is_refused(world: World) -> None:
    browser = world.browsers[_person("own", "worker")]
    form = {"contract": CONTRACT, "org": "gamma", "kind": "leak", "summary": "z"}
    answer = _refused_changes_nothing(world, lambda: browser.post("/incidents", data=form))
    assert answer.status_code == 403


def test_every_act_of_the_service_table_is_tried_through_the_api() -> None:
    # An act added to the service-level table must be added here too.
    assert set(ACTS) == set(EXPECTED)
