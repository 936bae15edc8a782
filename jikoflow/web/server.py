"""Serving the web app with uvicorn: where to listen, and access logs without query strings."""

from __future__ import annotations

import copy
import logging
import os
import signal
import sys
import threading
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from jikoflow.models.errors import BadInput
from jikoflow.models.settings import Settings
from jikoflow.web.app import create_app

_DEFAULT_PORTS = {"http": 80, "https": 443}


def listen_address(base_url: str, host: str | None, port: int | None) -> tuple[str, int]:
    """`--host`/`--port`, else the host and port of `JIKOFLOW_BASE_URL`."""
    parts = urlsplit(base_url)
    chosen_host = host or parts.hostname or "127.0.0.1"
    chosen_port = port if port is not None else (parts.port or _DEFAULT_PORTS.get(parts.scheme, 80))
    return chosen_host, chosen_port


class WithoutQuery(logging.Filter):
    """Drops the query string from uvicorn's access log lines: a path is logged, never what a
    query carried."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with the access log filtered by `WithoutQuery`."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"without_query": {"()": f"{__name__}.WithoutQuery"}}
    config["handlers"]["access"]["filters"] = ["without_query"]
    return config


def _options(settings: Settings, host: str | None, port: int | None) -> dict[str, Any]:
    where_host, where_port = listen_address(settings.base_url, host, port)
    return {
        "host": where_host,
        "port": where_port,
        "log_config": log_config(),
        "proxy_headers": True,
        # The addresses of reverse proxies allowed to say who the client is (uvicorn's own).
        "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        "server_header": False,
    }


def _where(base_url: str, host: str, port: int) -> str:
    """Where people reach the portal; and, when this listens elsewhere, that the links of
    messages still lead to `JIKOFLOW_BASE_URL` (a reverse proxy's address, or a mistake)."""
    if (host, port) == listen_address(base_url, None, None):
        return f"jikoflow web: people reach the portal at {base_url}/"
    listening = f"{host}:{port}" if port else f"{host} (a free port)"
    return (
        f"jikoflow web: listening on {listening}; people reach the portal at {base_url}/"
        " (JIKOFLOW_BASE_URL, the address messages' links lead to)"
    )


def run_web(settings: Settings, *, host: str | None = None, port: int | None = None) -> None:
    """Serve the portal and the API until SIGTERM or SIGINT."""
    options = _options(settings, host, port)
    app = create_app(settings)
    print(_where(settings.base_url, options["host"], options["port"]), file=sys.stderr)
    # uvicorn stops gracefully on SIGTERM or SIGINT and then hands the signal to the handler
    # that was there before; with this one the command ends with exit 0, like `serve`.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stopped)
    uvicorn.run(app, **options)
    print("jikoflow web: stopped", file=sys.stderr)


class _Beside(uvicorn.Server):
    """uvicorn in a thread of another command: it says when it listens, and leaves the
    process's signals to that command (uvicorn installs handlers in the main thread only)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = threading.Event()

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        self.listening.set()


class WebThread:
    """The portal and the API served in a thread of this process (`serve` runs them beside
    the scheduler) until `stop`."""

    def __init__(self, server: _Beside, thread: threading.Thread, address: str) -> None:
        self._server = server
        self._thread = thread
        self.address = address  # where it listens, e.g. http://127.0.0.1:8080

    def stop(self) -> None:
        """Finish the requests under way and stop listening."""
        self._server.should_exit = True
        self._thread.join(timeout=30)


def start_web(settings: Settings, *, host: str | None = None, port: int | None = None) -> WebThread:
    """Start serving in a thread; returns once it listens (port 0 picks a free port)."""
    server = _Beside(uvicorn.Config(create_app(settings), **_options(settings, host, port)))
    thread = threading.Thread(target=server.run, name="web", daemon=True)
    thread.start()
    # uvicorn ends its thread without listening when it cannot bind the address.
    while not server.listening.wait(timeout=0.1):
        if not thread.is_alive():
            where = f"{server.config.host}:{server.config.port}"
            raise BadInput("port", f"the portal cannot listen on {where}")
    bound = server.servers[0].sockets[0].getsockname()
    return WebThread(server, thread, f"http://{server.config.host}:{bound[1]}")


def _stopped(_signum: int, _frame: object) -> None:
    """uvicorn has already shut down when this runs."""
