"""Rendering pages: Jinja2 templates beside this module, autoescaped, StrictUndefined."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from jikoflow.models.access import OPERATOR_ACTOR, SYSTEM_ACTOR
from jikoflow.models.enums import Lang
from jikoflow.models.terms import (
    aside,
    label,
    noun,
    step_status_label,
    suspected_label,
    tier_label,
)
from jikoflow.models.times import day_label, tokyo_time
from jikoflow.web.config import config_of
from jikoflow.web.i18n import LANG_COOKIE, field_name, lang_of, translator, word
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
        tier=lambda depth: aside(tier_label(depth, lang), lang=lang),
        step_status=lambda name, status: step_status_label(name, status, lang),
        noun=lambda key: noun(key, lang),
        when=lambda value: tokyo_time(value, lang),
        day=lambda value: day_label(value, lang),
        suspected=lambda value: suspected_label(value, lang),
        who=lambda actor: person_name(actor, lang),
        field=lambda name: field_name(name, lang),
        word=lambda key, default: word(key, lang, default),
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


def person_name(actor: Any, lang: Lang) -> str:
    """Who did something, as a person reads it: their name, the operator or the system."""
    if actor is None:
        return noun("none", lang)
    actor_id = getattr(actor, "id", actor)
    if actor_id == OPERATOR_ACTOR:
        return noun("operator", lang)
    if actor_id == SYSTEM_ACTOR:
        return noun("system", lang)
    return str(getattr(actor, "name", None) or actor_id)
