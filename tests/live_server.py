"""A real uvicorn server on 127.0.0.1 (port 0) in a thread, for any ASGI app.

    with LiveServer(app) as server:
        httpx.get(server.url + "/healthz")

It is ready when `__enter__` returns (uvicorn's startup finished, no polling) and stops on
`__exit__`.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

import uvicorn


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        self.ready.set()


class LiveServer:
    """uvicorn serving `app` until the `with` block ends; `.url` is where it listens."""

    def __init__(self, app: Any, **options: Any) -> None:
        options = {"log_level": "warning", "access_log": False, "lifespan": "off"} | options
        self._server = _Server(uvicorn.Config(app, host="127.0.0.1", port=0, **options))
        self._thread = threading.Thread(target=self._server.run, name="live-server", daemon=True)
        self.url = ""

    def __enter__(self) -> LiveServer:
        self._thread.start()
        if not self._server.ready.wait(timeout=60) or not self._server.servers:
            self._server.should_exit = True
            raise RuntimeError("uvicorn did not start")
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
