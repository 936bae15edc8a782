"""Rendering the after-action report (Markdown, HTML, PDF) from `report_data`."""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

from jikoflow.records.render import environment as record_environment
from jikoflow.records.render import html_to_pdf

TEMPLATES = Path(__file__).parent / "templates"
# Above this many entries a PDF prints a list as plain lines: WeasyPrint lays out a table row
# per organisation of a large chain in seconds, a paragraph in a fraction of that.
LONG_LIST = 40
LISTS = ("participants", "timeline")


class ReportFormat(StrEnum):
    """The formats an after-action report is rendered in."""

    MD = "md"
    HTML = "html"
    PDF = "pdf"


@cache
def environment() -> Environment:
    """The written record's Jinja2 environment (strict, HTML autoescaped) on these templates."""
    return record_environment().overlay(loader=FileSystemLoader(TEMPLATES))


def render_text(data: dict[str, Any], fmt: ReportFormat, plain: Collection[str] = ()) -> str:
    """The report as Markdown or HTML text; in HTML the lists named in `plain` as plain lines."""
    name = "report.md.j2" if fmt is ReportFormat.MD else "report.html.j2"
    return environment().get_template(name).render(**data, plain=frozenset(plain))


def render_report(data: dict[str, Any], fmt: ReportFormat) -> bytes:
    """The report in `fmt`: UTF-8 text, or a PDF printed from the HTML."""
    if fmt is ReportFormat.PDF:
        long = [name for name in LISTS if len(data[name]) > LONG_LIST]
        return html_to_pdf(render_text(data, ReportFormat.HTML, long))
    return render_text(data, fmt).encode()
