"""Keeping each chat channel within the service's pace while serving many channels at once.

Slack accepts about one message per second per channel. `ChannelPacer` remembers, per channel,
when the next message may go; `Lanes` hands a small pool of workers the channel that is ready
soonest, one message at a time, so fifty channels progress side by side with a handful of
threads and no channel ever has two messages in flight.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


class ChannelPacer:
    """Spaces the calls to each channel by `interval` seconds, counted from the last reply.

    Counting from the reply rather than the request means the service sees the gap even when a
    request is slow on the way in.
    """

    def __init__(self, interval: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._ready: dict[str, float] = {}

    def ready_at(self, channel: str) -> float:
        """The clock time from which `channel` may take another message."""
        with self._lock:
            return self._ready.get(channel, 0.0)

    def done(self, channel: str, *, pause: float = 0.0) -> None:
        """A call to `channel` just finished; `pause` is the service's Retry-After."""
        with self._lock:
            self._ready[channel] = self.clock() + max(self.interval, pause)


class Lanes(Generic[T]):
    """Per-channel queues of work, handed out one item at a time to whichever worker asks.

    `take` blocks until some idle channel is ready by the pacer and returns (channel, item), or
    returns None once every queue is empty and nothing is in flight. Each `take` is followed by
    one `finish` for that channel; until then the channel is not handed out again.
    """

    def __init__(self, work: Iterable[tuple[str, T]], pacer: ChannelPacer) -> None:
        self._pacer = pacer
        self._queues: dict[str, deque[T]] = {}
        for channel, item in work:
            self._queues.setdefault(channel, deque()).append(item)
        self._order = itertools.count()
        self._heap = [(pacer.ready_at(c), next(self._order), c) for c in self._queues]
        heapq.heapify(self._heap)
        self._busy = 0
        self._cond = threading.Condition()

    def take(self) -> tuple[str, T] | None:
        """The next (channel, item) whose channel is idle and ready; None when all is done."""
        with self._cond:
            while True:
                if not self._heap:
                    if self._busy == 0:
                        return None
                    self._cond.wait()
                    continue
                ready, _, channel = self._heap[0]
                delay = ready - self._pacer.clock()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                self._busy += 1
                return channel, self._queues[channel].popleft()

    def finish(self, channel: str) -> None:
        """The item taken from `channel` is done; the channel may be handed out again."""
        with self._cond:
            self._busy -= 1
            if self._queues[channel]:
                ready = self._pacer.ready_at(channel)
                heapq.heappush(self._heap, (ready, next(self._order), channel))
            self._cond.notify_all()

    def drain(self, channel: str) -> list[T]:
        """Remove and return what is still queued for `channel`."""
        with self._cond:
            rest = list(self._queues[channel])
            self._queues[channel].clear()
            return rest
