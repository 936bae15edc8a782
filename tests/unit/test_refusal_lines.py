"""How a refusal quotes what was typed, and the bounds of typed text, days and times."""

from __future__ import annotations

from datetime import date

import pytest

from jikoflow.cli.common import listen_host, one_line
from jikoflow.models.errors import BadInput
from jikoflow.models.schemas import inert_text
from jikoflow.models.times import out_of_range, parse_day, parse_when


def test_a_refusal_line_shows_controls_escaped_and_keeps_japanese() -> None:
    line = one_line("error: --org: x\x1b[2J\x9b31m\u202e\udcff 田中　一郎\tz")
    assert line == "error: --org: x\\x1b[2J\\x9b31m\\u202e\\udcff 田中　一郎\\tz"


def test_a_refusal_line_is_one_line() -> None:
    assert one_line("error: a\nb\r\nc") == "error: a b c"


def test_a_long_value_is_shortened_in_the_middle_keeping_what_is_wrong() -> None:
    line = one_line("error: --lang: '" + "x" * 2**20 + "' is not one of ja, en")
    assert len(line) <= 400
    assert line.startswith("error: --lang: 'xxx")
    assert line.endswith("' is not one of ja, en")
    assert " … " in line


@pytest.mark.parametrize(
    ("day", "why"),
    [(date(1, 1, 1), "before 1900"), (date(9999, 12, 31), "after 2999"), (date(2026, 12, 1), None)],
)
def test_typed_years_are_bounded(day: date, why: str | None) -> None:
    assert out_of_range(day) == why


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31", "2026-02-30", ""])
def test_a_day_out_of_range_or_impossible_is_refused(text: str) -> None:
    with pytest.raises(BadInput) as refused:
        parse_day(text, "due")
    assert refused.value.field == "due"


@pytest.mark.parametrize("text", ["0001-01-01T00:00", "9999-12-31T23:59", "3000-01-01T00:00"])
def test_a_time_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(BadInput, match="out of range"):
        parse_when(text, "now")


def test_free_text_keeps_line_breaks_and_tabs_but_not_escapes() -> None:
    assert inert_text("一行目\n二行目\t(続き)\r\n") == "一行目\n二行目\t(続き)\r\n"
    for hostile in ("\x1b[2J", "\x07", "\x9b", "\u202e", "\u2066", "\u200f", "\x00"):
        with pytest.raises(ValueError, match="control characters"):
            inert_text(f"a{hostile}b")


@pytest.mark.parametrize("host", ["", " ", "local host", "x\x1b[2J", "x\u202e", "x" * 254])
def test_a_host_that_cannot_name_an_address_is_refused(host: str) -> None:
    with pytest.raises(BadInput) as refused:
        listen_host(host)
    assert refused.value.field == "host"


@pytest.mark.parametrize("host", [None, "127.0.0.1", "::1", "portal.example.lg.jp"])
def test_a_host_name_or_address_is_kept(host: str | None) -> None:
    assert listen_host(host) == host
