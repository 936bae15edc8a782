"""Rendering pages: Jinja2 templates beside this module, autoescaped, StrictUndefined."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from jikoflow.models.terms import label
from jikoflow.web.config import config_of
from jikoflow.web.i18n import LANG_COOKIE, lang_of, translator
from jikoflow.web.security import (
    CSRF_FIELD,
    cookie_names,
    csrf_token,
    new_binding,
    set_cookie,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    visitor: Any = None,
    here: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page in the browser's language, its forms carrying this browser's CSRF token;
    `here` is where the language switch returns to (default: this page's path)."""
    config = config_of(request.app.state)
    session_cookie, pre_cookie = cookie_names(config)
    binding = request.cookies.get(session_cookie) or request.cookies.get(pre_cookie)
    fresh = None
    if not binding:
        binding = fresh = new_binding()
    lang = lang_of(request.cookies.get(LANG_COOKIE))
    t = translator(lang)
    html = _env.get_template(template).render(
        lang=lang.value,
        t=t,
        label=lambda value: label(value, lang),
        csrf_field=CSRF_FIELD,
        csrf_token=csrf_token(config.secret_key, binding),
        visitor=visitor,
        here=request.url.path if here is None else here,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if fresh is not None:
        set_cookie(response, config, pre_cookie, fresh)
    return response
