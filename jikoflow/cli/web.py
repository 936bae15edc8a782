"""`jikoflow web`: the portal and the JSON API alone (uvicorn)."""

from __future__ import annotations

from typing import Annotated

import typer

from jikoflow.cli.common import Context, handled, listen_host


@handled()
def web(
    host: Annotated[
        str | None, typer.Option("--host", help="Listen here (default: JIKOFLOW_BASE_URL's host).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port", help="Listen here (default: JIKOFLOW_BASE_URL's port).", min=0, max=65535
        ),
    ] = None,
) -> None:
    """Run the portal and the JSON API until stopped (SIGTERM or Ctrl-C)."""
    host = listen_host(host)
    from jikoflow.web.server import run_web

    ctx = Context()
    ctx.url  # noqa: B018  (create or upgrade the database before the first request)
    run_web(ctx.settings, host=host, port=port)
