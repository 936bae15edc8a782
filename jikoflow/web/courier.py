"""Delivering what an act queued, after its answer has left: the person sees the incident at
once, and its reports go out a moment later (the page follows them live).

One thread per web process runs the one delivery path (`notifications.delivery.deliver`) for
the subjects acts hand it, several at a time when they pile up. What fails to go out stays in
the outbox, where the next pass or `sweep` picks it up; nothing is lost if the process stops.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable

log = logging.getLogger("jikoflow.web")

Deliver = Callable[[list[str]], object]


class Courier:
    """Runs `deliver(subjects)` in a background thread for what `send` is handed."""

    def __init__(self, deliver: Deliver) -> None:
        self._deliver = deliver
        self._queue: queue.Queue[list[str]] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def send(self, subjects: Iterable[str | None]) -> None:
        """Deliver what is due for these incidents or drills, soon, in the background."""
        wanted = [s for s in dict.fromkeys(subjects) if s]
        if not wanted:
            return
        self._queue.put(wanted)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="courier", daemon=True)
                self._thread.start()

    def wait(self) -> None:
        """Block until everything handed over so far has been through a delivery pass."""
        self._queue.join()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while True:  # what piled up meanwhile goes in the same pass
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._deliver(list(dict.fromkeys(s for subjects in batch for s in subjects)))
            except Exception as exc:  # the outbox keeps it; `sweep` tries again
                # The type only: a database error's message may carry what was written.
                log.error("delivery after an act failed: %s", type(exc).__name__)
            finally:
                for _ in batch:
                    self._queue.task_done()
