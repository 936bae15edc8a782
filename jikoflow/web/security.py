"""Hardening every response and every form: security headers, cookies, CSRF tokens, and the
`next` address after sign-in (local paths only).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jikoflow.web.config import WebConfig

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def apply_headers(headers: MutableHeaders, *, https: bool, path: str) -> None:
    """Add the security headers; nothing but static files may be kept by a cache. A response
    that chose its own Content-Security-Policy (a record page, stricter still) keeps it."""
    for name, value in HEADERS.items():
        if name == "Content-Security-Policy" and name in headers:
            continue
        headers[name] = value
    if https:
        headers["Strict-Transport-Security"] = HSTS
    if not path.startswith("/static/"):
        headers["Cache-Control"] = "no-store"


class SecurityHeaders:
    """ASGI middleware: the security headers on every HTTP response."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                apply_headers(MutableHeaders(scope=message), https=self.https, path=path)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadAsGet:
    """ASGI middleware: HEAD is answered as GET would be, with the same status and headers
    and no body (RFC 9110 §9.3.2): uptime checks and link checkers use it, and the routes
    declare GET only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def cookie_names(config: WebConfig) -> tuple[str, str]:
    """The session cookie and the before-sign-in cookie; `__Host-` pins them to this host
    over HTTPS."""
    prefix = "__Host-" if config.https else ""
    return f"{prefix}jikoflow_session", f"{prefix}jikoflow_pre"


def set_cookie(response: Response, config: WebConfig, name: str, value: str) -> None:
    """A cookie scripts cannot read, sent on top-level links from mail and chat (Lax) but not
    on other sites' forms; it lasts until the browser closes (the server ends it earlier)."""
    response.set_cookie(name, value, path="/", httponly=True, samesite="lax", secure=config.https)


def clear_cookie(response: Response, config: WebConfig, name: str) -> None:
    """Remove a cookie set by `set_cookie`."""
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=config.https)


def new_binding() -> str:
    """The random value a before-sign-in cookie holds (what its forms' tokens are bound to)."""
    return secrets.token_urlsafe(32)


def csrf_token(key: bytes, binding: str) -> str:
    """The token a form carries: a keyed hash of the browser's cookie, which another site can
    neither read nor compute."""
    return hmac.new(key, b"csrf\x00" + binding.encode(), hashlib.sha256).hexdigest()


def csrf_matches(key: bytes, binding: str | None, token: object) -> bool:
    """Whether a posted token belongs to this browser's cookie."""
    if not binding or not isinstance(token, str):
        return False
    return hmac.compare_digest(token, csrf_token(key, binding))


def safe_next(target: str | None, *, sign_in_pages: bool = False) -> str:
    """A path on this site to go to next; anything else (another site, a scheme, `//host`,
    backslashes, control characters) becomes `/`, and so do the sign-in pages themselves
    unless `sign_in_pages`."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return "/"
    if target.startswith(("//", "/\\")) or any(
        c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in target
    ):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    if not sign_in_pages and parts.path.startswith(("/login", "/logout")):
        return "/"
    return target
