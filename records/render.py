"""Rendering the written record as Markdown, HTML or PDF from `RecordData`.

Markdown is the text that is frozen and hashed on submission, so it depends on the data
alone. HTML escapes everything; the PDF is printed from the HTML by WeasyPrint. Dates are
Western (2026年11月25日) or in the Japanese era (令和8年11月25日) by option.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

from jikoflow.models.enums import Lang
from jikoflow.models.facts.schemas import Facts
from jikoflow.models.terms import label, suspected_label, tier_label
from jikoflow.models.times import tokyo_day
from jikoflow.records.labels import MEASURE_STATES, WORDS
from jikoflow.records.trail import action_label
from jikoflow.records.values import Actor, MeasureState, RecordData
from jikoflow.records.words import NOTHING, Voice

TEMPLATES = Path(__file__).parent / "templates"
# The facts section 3 lists, in the order of the PPC's report form.
INFORMATION = (
    "items",
    "records",
    "people",
    "sensitive",
    "my_number",
    "financial",
    "improper_purpose",
    "secondary_damage",
)


class RecordFormat(StrEnum):
    """The formats a record is rendered in."""

    MD = "md"
    HTML = "html"
    PDF = "pdf"


class DateStyle(StrEnum):
    """How the Japanese text writes years: Western (2026年) or the Japanese era (令和8年)."""

    WESTERN = "western"
    ERA = "era"


def render_record(
    data: RecordData,
    *,
    lang: Lang = Lang.JA,
    fmt: RecordFormat,
    dates: DateStyle = DateStyle.WESTERN,
) -> bytes:
    """The record in `fmt`: UTF-8 text for Markdown and HTML, a PDF document for pdf."""
    if fmt is RecordFormat.PDF:
        return html_to_pdf(render_text(data, lang=lang, fmt=RecordFormat.HTML, dates=dates))
    return render_text(data, lang=lang, fmt=fmt, dates=dates).encode()


def render_text(
    data: RecordData,
    *,
    lang: Lang = Lang.JA,
    fmt: RecordFormat,
    dates: DateStyle = DateStyle.WESTERN,
) -> str:
    """The record as Markdown or HTML text."""
    return template_for(fmt).render(context_for(data, lang, dates))


def context_for(
    data: RecordData, lang: Lang, dates: DateStyle = DateStyle.WESTERN
) -> dict[str, Any]:
    """What the templates see: the data `r`, the words `L`, the language and its voice."""
    voice = Voice(
        lang=lang,
        era=dates is DateStyle.ERA,
        org_names=data.org_names,
        person_names=data.person_names,
    )
    return {"r": data, "L": WORDS[lang], "lang": lang, "voice": voice, "INFO": INFORMATION}


def template_for(fmt: RecordFormat) -> Template:
    """The template of a text format."""
    if fmt is RecordFormat.PDF:
        raise ValueError("pdf is printed from the html template")
    return environment().get_template(f"record.{fmt}.j2")


def html_to_pdf(html: str) -> bytes:
    """Print HTML to an A4 PDF."""
    # WeasyPrint takes about a second to import; only the pdf path pays for it.
    from weasyprint import HTML

    pdf: bytes = HTML(string=breakable(html), base_url=str(TEMPLATES)).write_pdf()
    return pdf


# Text between tags, and in it a long run of characters a line may not break in: no space, no
# markup, nothing from the CJK blocks (a line breaks between any two of those anyway).
_TEXT = re.compile(r">[^<]+")
_LONG_RUN = re.compile(r"[^\s<>&\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]{129,}")
_CHUNK = re.compile(r".{8}(?=.)", re.DOTALL)
ZERO_WIDTH_SPACE = "\u200b"


def breakable(html: str) -> str:
    """`html` with a break opportunity (an invisible U+200B) after every 8 characters of each
    run of more than 128 that has none, in the text of its body.

    WeasyPrint lays out a run that must be broken inside itself in time that grows with the
    square of its length: a 20,000-character key or log line pasted into a measure would
    take it minutes to print. Broken into pieces narrower than the narrowest column, it
    takes a second or two. Words, Japanese text and short runs (a URL, a hash) are kept.
    """
    head, body_tag, body = html.partition("<body")
    if not body_tag:
        return html
    marked = _TEXT.sub(lambda text: _LONG_RUN.sub(_chunked, text[0]), body)
    return head + body_tag + marked


def _chunked(run: re.Match[str]) -> str:
    return _CHUNK.sub(rf"\g<0>{ZERO_WIDTH_SPACE}", run[0])


@cache
def environment() -> Environment:
    """The one Jinja2 environment of the record templates."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        when=when,
        day=day,
        day_of=day_of,
        label=enum_label,
        suspected=suspected,
        who=who,
        action=action,
        detail=detail,
        flag=flag,
        fact=fact,
        tier=tier,
        paren=paren,
        cell=cell,
        quote=quote,
    )
    return env


def _voice(ctx: Context) -> Voice:
    # Templates outside the record (the drill report) render without one: plain Japanese.
    found = ctx.get("voice")
    return found if isinstance(found, Voice) else Voice(lang=Lang(ctx.get("lang", "ja")))


@pass_context
def when(ctx: Context, value: datetime | None) -> str:
    """A time in Asia/Tokyo: 2026年11月25日 18:30 or 2026-11-25 18:30 JST."""
    return _voice(ctx).when(value)


@pass_context
def day(ctx: Context, value: date | None) -> str:
    """A calendar day: 2026年12月10日 or 2026-12-10."""
    return _voice(ctx).day(value)


@pass_context
def day_of(ctx: Context, value: datetime) -> str:
    """The Tokyo day of a moment: 2026年11月25日 or 2026-11-25."""
    return _voice(ctx).day(tokyo_day(value))


@pass_context
def enum_label(ctx: Context, value: StrEnum) -> str:
    """The label of an enum value in the record's language."""
    lang = _voice(ctx).lang
    if isinstance(value, MeasureState):
        return MEASURE_STATES[lang][value.value]
    return label(value, lang)


@pass_context
def suspected(ctx: Context, value: bool) -> str:
    """おそれ or 発生 (suspected or confirmed)."""
    return suspected_label(value, _voice(ctx).lang)


@pass_context
def who(ctx: Context, actor: Actor | None, nobody: str = NOTHING) -> str:
    """A person by name; the operator and the system by what they are."""
    return _voice(ctx).who(actor, nobody)


@pass_context
def action(ctx: Context, value: str) -> str:
    """The human label of an audit action."""
    return action_label(value, _voice(ctx).lang)


@pass_context
def detail(ctx: Context, value: dict[str, Any]) -> str:
    """An audit event's detail in words, ids as names."""
    return _voice(ctx).detail(value)


@pass_context
def flag(ctx: Context, value: bool | None, contains: bool = False) -> str:
    """A yes/no fact, or 不明 while unknown."""
    return _voice(ctx).flag(value, contains=contains)


@pass_context
def fact(ctx: Context, facts: Facts, name: str) -> str:
    """One of the structured facts, or 不明/未記入 while it is not known."""
    return _voice(ctx).fact(facts, name)


@pass_context
def tier(ctx: Context, depth: int) -> str:
    """甲, 乙, 再委託先（第1次）, 再々委託先（第n次）."""
    return tier_label(depth, _voice(ctx).lang)


@pass_context
def paren(ctx: Context, value: str) -> str:
    """`value` in brackets: （再委託先） in Japanese, " (subcontractor)" in English."""
    words = WORDS[_voice(ctx).lang]
    return f"{words['lp']}{value}{words['rp']}"


# What Markdown (CommonMark and GitHub's tables) could read as markup in typed text: each is
# backslash-escaped, so every reader of the Markdown shows it as typed — a `<script>` is text, a
# `#` starts no heading, a `|` splits no table, `*` and `[…](…)` make no emphasis or link.
_MARKUP = re.compile(r"([\\`*_\[\]<>#|~&])")
# Constructs only the start of a line makes: a list item (-, +, 1.), a thematic break or a
# heading's underline (---, ===).
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])", re.MULTILINE)


def markdown_text(value: object) -> str:
    """Typed text as literal Markdown: no character of it is markup. Every line break (a
    lone CR, a Unicode line separator) is a newline first, so no line escapes the escaping."""
    text = _MARKUP.sub(r"\\\1", "\n".join(str(value).splitlines()))
    return _LINE_START.sub(lambda m: f"{m[1]}{m[2][:-1]}\\{m[2][-1]}", text)


def cell(value: object) -> str:
    """Typed text safe on one line of Markdown (a table cell, a list item): markup escaped,
    line breaks kept as <br>, so no line of it can start a heading or a list of its own."""
    text = markdown_text(value)
    return "<br>".join(text.splitlines()) if text else NOTHING


def quote(value: str) -> str:
    """Typed text as a Markdown block quote of literal text: it cannot break the record's
    structure nor bring markup of its own."""
    lines = markdown_text(value).splitlines()
    return "\n".join(f"> {line}".rstrip() for line in lines) or ">"
