"""Keeping each chat channel within the service's pace while serving many channels at once.

Slack accepts about one message per second per channel. A `Pacer` says, per channel, when the
next message may go: `ChannelPacer` within one process, `SharedPacer` (`shared_pace`) across
every dispatcher on the database. `Lanes` hands a small pool of workers the channel that is
ready soonest, one message at a time, so fifty channels progress side by side with a handful of
threads and no channel ever has two messages in flight.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class Pacer(Protocol):
    """When each channel may take its next message."""

    interval: float

    def ready_at(self, channel: str) -> float:
        """The local clock time from which `channel` is expected to take another message."""
        ...

    def acquire(self, channel: str) -> float:
        """0.0: send to `channel` now (and call `done` after); else seconds to wait first."""
        ...

    def done(self, channel: str, *, pause: float = 0.0) -> None:
        """A call to `channel` just finished; `pause` is the service's Retry-After."""
        ...

    def cancel(self, channel: str) -> None:
        """`channel` was acquired but nothing was sent to it after all."""
        ...


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

    def acquire(self, channel: str) -> float:
        """Seconds until `channel` is ready (0.0: now)."""
        return max(0.0, self.ready_at(channel) - self.clock())

    def done(self, channel: str, *, pause: float = 0.0) -> None:
        """A call to `channel` just finished; `pause` is the service's Retry-After."""
        self.wait(channel, max(self.interval, pause))

    def cancel(self, channel: str) -> None:
        """Nothing was sent: nothing changes."""

    def wait(self, channel: str, seconds: float) -> None:
        """`channel` is not ready for another `seconds` (whoever says so)."""
        with self._lock:
            self._ready[channel] = max(self._ready.get(channel, 0.0), self.clock() + seconds)


class Lanes(Generic[T]):
    """Per-channel queues of work, handed out one item at a time to whichever worker asks.

    `take` blocks until some idle channel is ready by the pacer and returns (channel, item), or
    returns None once every queue is empty (or waits past `deadline`) and nothing is in flight.
    Each `take` is followed by one `finish` (done) or `later` (put back) for that channel;
    until then the channel is not handed out again. What was never taken is in `leftovers`.
    """

    def __init__(
        self, work: Iterable[tuple[str, T]], pacer: Pacer, *, deadline: float | None = None
    ) -> None:
        self._pacer = pacer
        self._clock: Callable[[], float] = getattr(pacer, "clock", time.monotonic)
        self._deadline = deadline
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
                if not self._queues[channel]:
                    heapq.heappop(self._heap)  # drained meanwhile
                    continue
                if self._deadline is not None and ready > self._deadline:
                    heapq.heappop(self._heap)  # not before the deadline: left over
                    continue
                delay = ready - self._clock()
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

    def later(self, channel: str, item: T, delay: float) -> None:
        """Put `item` back at the head of `channel`, which is not ready for `delay` seconds."""
        with self._cond:
            self._busy -= 1
            self._queues[channel].appendleft(item)
            ready = max(self._pacer.ready_at(channel), self._clock() + delay)
            heapq.heappush(self._heap, (ready, next(self._order), channel))
            self._cond.notify_all()

    def drain(self, channel: str) -> list[T]:
        """Remove and return what is still queued for `channel`."""
        with self._cond:
            rest = list(self._queues[channel])
            self._queues[channel].clear()
            return rest

    def drain_all(self) -> list[tuple[str, T]]:
        """Remove and return everything still queued, on every channel."""
        with self._cond:
            rest = [(c, item) for c, queue in self._queues.items() for item in queue]
            for queue in self._queues.values():
                queue.clear()
            return rest

    def leftovers(self) -> list[tuple[str, T]]:
        """What was never taken (once `take` returned None): the rest, past the deadline."""
        return self.drain_all()
