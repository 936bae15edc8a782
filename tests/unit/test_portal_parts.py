"""The portal's small parts without a server: the courier that delivers after an act, the policy
a document is shown under, the portal's words in both languages and the names of actors."""

from __future__ import annotations

import base64
import hashlib
import re
import threading

import pytest

from jikoflow.models.access import OPERATOR_ACTOR, SYSTEM_ACTOR
from jikoflow.models.enums import Lang
from jikoflow.records.data import MeasureState
from jikoflow.web import i18n
from jikoflow.web.courier import Courier
from jikoflow.web.documents import document_csp
from jikoflow.web.templating import person_name


def test_the_courier_delivers_in_the_background_and_gathers_what_piles_up() -> None:
    passes: list[list[str]] = []
    first_started, release = threading.Event(), threading.Event()

    def deliver(subjects: list[str]) -> None:
        passes.append(subjects)
        first_started.set()
        release.wait(10)

    courier = Courier(deliver)
    courier.send(["INC-1"])
    assert first_started.wait(10)
    courier.send(["INC-2", None, "INC-2"])  # arrive while the first pass runs
    courier.send(["INC-3"])
    courier.send([])
    release.set()
    courier.wait()
    assert passes == [["INC-1"], ["INC-2", "INC-3"]]


def test_a_failed_pass_leaves_the_courier_working(caplog: pytest.LogCaptureFixture) -> None:
    passes: list[list[str]] = []

    def deliver(subjects: list[str]) -> None:
        passes.append(subjects)
        if subjects == ["INC-1"]:
            raise RuntimeError("山田太郎 123456789012")  # what a database error might carry

    courier = Courier(deliver)
    courier.send(["INC-1"])
    courier.wait()
    courier.send(["INC-2"])
    courier.wait()
    assert passes == [["INC-1"], ["INC-2"]]
    assert "RuntimeError" in caplog.text
    assert "山田" not in caplog.text


def test_a_document_may_use_its_own_styles_and_nothing_else() -> None:
    html = b"<html><head><style>\nh1 { color: red }\n</style></head><body>x</body></html>"
    digest = base64.b64encode(hashlib.sha256(b"\nh1 { color: red }\n").digest()).decode()

    policy = document_csp(html)

    assert f"style-src 'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy
    assert "sandbox" in policy
    assert "script" not in policy
    assert "unsafe" not in policy
    assert "style-src 'none'" in document_csp(b"<p>no styles</p>")


def test_every_word_of_the_portal_is_in_japanese_and_english() -> None:
    for key, (ja, en) in i18n._WORDS.items():
        assert ja.strip(), key
        assert en.strip(), key
        assert set(re.findall(r"{(\w+)}", ja)) == set(re.findall(r"{(\w+)}", en)), key


def test_every_measure_state_has_its_word() -> None:
    for state in MeasureState:
        assert i18n.word(f"measure_{state.value}", Lang.JA, "") != ""
        assert i18n.word(f"measure_{state.value}", Lang.EN, "") != ""


def test_a_refused_field_is_named_in_the_readers_words() -> None:
    assert i18n.field_name("summary", Lang.JA) == "概要"
    assert i18n.field_name("summary", Lang.EN) == "the summary"
    assert i18n.field_name("Idempotency-Key", Lang.JA) == "Idempotency-Key"


class _Actor:
    def __init__(self, id: str, name: str | None) -> None:
        self.id = id
        self.name = name


def test_who_did_something_reads_as_a_name() -> None:
    assert person_name(_Actor("tanaka", "田中 一郎"), Lang.JA) == "田中 一郎"
    assert person_name(_Actor("ghost", None), Lang.JA) == "ghost"
    assert person_name(_Actor(OPERATOR_ACTOR, None), Lang.JA) == "運用担当（サーバー）"
    assert person_name(SYSTEM_ACTOR, Lang.EN) == "system"
    assert person_name(None, Lang.JA) == "—"
