"""Rendering the written record as Markdown, HTML or PDF from `RecordData`.

Markdown is the text that is frozen and hashed on submission, so it depends on the data
alone. HTML escapes everything; the PDF is printed from the HTML by WeasyPrint.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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
from jikoflow.models.terms import label, suspected_label
from jikoflow.records.data import Actor, MeasureState, RecordData
from jikoflow.records.labels import MEASURE_STATES, WORDS, action_label

TEMPLATES = Path(__file__).parent / "templates"
TOKYO = ZoneInfo("Asia/Tokyo")
NOTHING = "—"


class RecordFormat(StrEnum):
    """The formats a record is rendered in."""

    MD = "md"
    HTML = "html"
    PDF = "pdf"


def render_record(data: RecordData, *, lang: Lang = Lang.JA, fmt: RecordFormat) -> bytes:
    """The record in `fmt`: UTF-8 text for Markdown and HTML, a PDF document for pdf."""
    if fmt is RecordFormat.PDF:
        return html_to_pdf(render_text(data, lang=lang, fmt=RecordFormat.HTML))
    return render_text(data, lang=lang, fmt=fmt).encode()


def render_text(data: RecordData, *, lang: Lang = Lang.JA, fmt: RecordFormat) -> str:
    """The record as Markdown or HTML text."""
    return template_for(fmt).render(context_for(data, lang))


def context_for(data: RecordData, lang: Lang) -> dict[str, Any]:
    """What the templates see: the data `r`, the words `L` and the language."""
    return {"r": data, "L": WORDS[lang], "lang": lang}


def template_for(fmt: RecordFormat) -> Template:
    """The template of a text format."""
    if fmt is RecordFormat.PDF:
        raise ValueError("pdf is printed from the html template")
    return environment().get_template(f"record.{fmt}.j2")


def html_to_pdf(html: str) -> bytes:
    """Print HTML to an A4 PDF."""
    # WeasyPrint takes about a second to import; only the pdf path pays for it.
    from weasyprint import HTML

    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    return pdf


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
        label=enum_label,
        suspected=suspected,
        who=who,
        action=action,
        detail=detail,
        cell=cell,
        quote=quote,
    )
    return env


def _lang(ctx: Context) -> Lang:
    return Lang(ctx["lang"])


@pass_context
def when(ctx: Context, value: datetime | None) -> str:
    """A time in Asia/Tokyo: 2026年11月25日 18:30 or 2026-11-25 18:30 JST."""
    if value is None:
        return NOTHING
    t = value.astimezone(TOKYO)
    if _lang(ctx) is Lang.JA:
        return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}"
    return f"{t:%Y-%m-%d %H:%M} JST"


@pass_context
def day(ctx: Context, value: date | None) -> str:
    """A calendar day: 2026年12月10日 or 2026-12-10."""
    if value is None:
        return NOTHING
    if _lang(ctx) is Lang.JA:
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


@pass_context
def enum_label(ctx: Context, value: StrEnum) -> str:
    """The label of an enum value in the record's language."""
    if isinstance(value, MeasureState):
        return MEASURE_STATES[_lang(ctx)][value.value]
    return label(value, _lang(ctx))


@pass_context
def suspected(ctx: Context, value: bool) -> str:
    """おそれ or 発生 (suspected or confirmed)."""
    return suspected_label(value, _lang(ctx))


def who(actor: Actor | None, nobody: str = NOTHING) -> str:
    """A known person as `name (id)`, anyone else by the recorded id."""
    if actor is None:
        return nobody
    return f"{actor.name} ({actor.id})" if actor.name else actor.id


@pass_context
def action(ctx: Context, value: str) -> str:
    """The human label of an audit action."""
    return action_label(value, _lang(ctx))


@pass_context
def detail(ctx: Context, value: dict[str, Any]) -> str:
    """An audit event's detail as `key: value` pairs, keys sorted, empty values left out."""
    parts = []
    for key in sorted(value):
        text = _detail_value(ctx, value[key])
        if text:
            parts.append(f"{key}: {text}")
    return "; ".join(parts)


def _detail_value(ctx: Context, item: object) -> str:
    if item is None or item == [] or item == {}:
        return ""
    if isinstance(item, bool):
        return str(item).lower()
    if isinstance(item, list):
        return ", ".join(str(i) for i in item)
    if isinstance(item, dict):
        return json.dumps(item, ensure_ascii=False, sort_keys=True)
    text = str(item)
    moment = _aware_time(text)
    return when(ctx, moment) if moment else text


def _aware_time(text: str) -> datetime | None:
    # Times in details are stored as ISO text in UTC; the record shows every time in Tokyo.
    if len(text) < 19 or text[10] != "T":
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def cell(value: object) -> str:
    """Text safe inside a Markdown table cell: pipes escaped, line breaks kept as <br>."""
    text = str(value).replace("\\", "\\\\").replace("|", "\\|")
    return "<br>".join(text.splitlines()) if text else NOTHING


def quote(value: str) -> str:
    """Typed text as a Markdown block quote, so it cannot break the record's structure."""
    return "\n".join(f"> {line}".rstrip() for line in value.splitlines()) or ">"
