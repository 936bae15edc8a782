"""What every `serve` process runs beside the Prefect runner, and the one scheduler among them.

- The dispatcher: pass after pass over the outbox (claims are safe across processes and
  machines, the pace per address is shared), so a message that waits — a channel's queue, a
  retry, a service that came back — goes out within seconds, not at the next sweep.
- The flow starter: starts every flow that was asked for and has not started (on the served
  deployments in service mode, in this process otherwise).
- The seat: the scheduler lease and, while this process holds it, the scheduler (drill plans,
  the drill tick and the sweep). A worker (`serve --worker`) stands by for the lease and takes
  it when its holder is gone; plain `serve` takes it at start or refuses to start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from jikoflow.models.settings import Settings

log = logging.getLogger("jikoflow.serve")

DISPATCH_IDLE = 1.0  # seconds between passes when the outbox had nothing due
DISPATCH_BUDGET = 30.0  # seconds one pass may take before the cards are brought up to date
FLOWS_EVERY = 1.0  # seconds between looks for flows to start


class Periodic(threading.Thread):
    """Calls `step` until stopped; waits `idle` seconds after a step that found nothing to do
    (it returns False). A step's unexpected error is logged and the loop goes on."""

    def __init__(self, name: str, step: Callable[[], bool], idle: float) -> None:
        super().__init__(name=name, daemon=True)
        self.step = step
        self.idle = idle
        self.stopping = threading.Event()

    def run(self) -> None:
        """The loop."""
        while not self.stopping.is_set():
            try:
                busy = self.step()
            except Exception:
                log.exception("%s failed; trying again", self.name)
                busy = False
            if not busy:
                self.stopping.wait(self.idle)

    def stop(self) -> None:
        """Finish the current step and stop."""
        self.stopping.set()


def dispatch_once(settings: Settings) -> bool:
    """One pass over the whole outbox; True when it sent or tried anything."""
    from jikoflow.notifications.delivery import deliver

    stats = deliver(settings, budget=DISPATCH_BUDGET)
    return bool(stats.sent or stats.retrying or stats.failed or stats.unreachable) and not (
        stats.outage
    )


def start_flows_once(settings: Settings) -> bool:
    """Start the flows that wait; True when some started."""
    from jikoflow.runner import start_requested

    started = start_requested(settings)
    if started.error:
        log.warning("flows wait to start: %s", started.error)
    return started.ran > 0 and started.error is None


class Seat:
    """The scheduler lease of the database and, while held, the scheduler."""

    def __init__(self, settings: Settings, tick: float, *, on_lost: Callable[[], None]) -> None:
        from jikoflow.drills.lease import Holder

        self.settings = settings
        self.url = settings.database_url
        self.tick = tick
        self.holder = Holder.here()
        self.on_lost = on_lost
        self.scheduler: Any = None
        self._lock = threading.Lock()
        self._open = False  # jobs run only once `serve` has said it started

    @property
    def held(self) -> bool:
        """Whether this process holds the lease (and runs the scheduler)."""
        return self.scheduler is not None

    def take(self, *, refuse: bool = False) -> bool:
        """Take the lease now and start the scheduler; False when a live holder has it (with
        `refuse`, LeaseHeld naming it)."""
        from jikoflow.drills.lease import LeaseHeld, acquire
        from jikoflow.models.types import utcnow

        try:
            acquire(self.url, self.holder, utcnow())
        except LeaseHeld:
            if refuse:
                raise
            return False
        self._start()
        return True

    def keep(self) -> bool:
        """Renew the lease, or (standing by) take it when free; always False (a periodic step
        that waits its interval)."""
        from jikoflow.drills.lease import renew
        from jikoflow.models.types import utcnow

        if not self.held:
            if self.take():
                log.info("took the scheduler lease: this process now runs the scheduler")
            return False
        if not renew(self.url, self.holder, utcnow()):
            log.error("the scheduler lease was taken over; stopping the scheduler")
            self._halt(wait=False)
            self.on_lost()
        return False

    def stop(self) -> None:
        """Stop the scheduler (running jobs finish) and give the lease back."""
        from jikoflow.drills.lease import release

        held = self.held
        self._halt(wait=True)
        if held:
            release(self.url, self.holder)

    def open(self) -> None:
        """Let the scheduler's jobs run (from now on, and after any later takeover)."""
        with self._lock:
            self._open = True
            if self.scheduler is not None:
                self.scheduler.resume()

    def plans(self) -> int:
        """Drill plans the scheduler holds (0 standing by)."""
        scheduler = self.scheduler
        return len(scheduler.get_jobs(jobstore="default")) if scheduler is not None else 0

    def _start(self) -> None:
        from jikoflow.drills.fence import hold_for_plans

        with self._lock:
            hold_for_plans(self.holder)
            self.scheduler = start_scheduler(self.url, self.tick, paused=not self._open)

    def _halt(self, *, wait: bool) -> None:
        from jikoflow.drills.fence import hold_for_plans

        with self._lock:
            scheduler, self.scheduler = self.scheduler, None
            if scheduler is not None:
                scheduler.shutdown(wait=wait)
            hold_for_plans(None)


def start_scheduler(url: str, tick: float, *, paused: bool = False) -> Any:
    """The background scheduler: plan jobs from the database, internal jobs in memory, the
    sweep (on the deployment in service mode) and the drill tick every `tick` seconds."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    from jikoflow.drills.jobs import drill_tick
    from jikoflow.drills.plans import scheduler_options

    options = scheduler_options(url)
    options["jobstores"]["internal"] = MemoryJobStore()
    options["executors"] = {"default": ThreadPoolExecutor(max_workers=4)}
    scheduler = BackgroundScheduler(**options)
    every: dict[str, Any] = {
        "trigger": "interval",
        "seconds": tick,
        "jobstore": "internal",
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": max(1, int(tick)),
    }
    scheduler.add_job(sweep_tick, id="sweep", name="sweep", **every)
    scheduler.add_job(drill_tick, id="drill-tick", name="drill tick", **every)
    scheduler.start(paused=paused)
    return scheduler


def sweep_tick() -> None:
    """One sweep: as a run of the sweep deployment in service mode (it shows in the Prefect
    UI; one at a time), in this process otherwise or when the Prefect server is down."""
    from jikoflow.drills.jobs import sweep_tick as sweep_here
    from jikoflow.models.settings import load_settings
    from jikoflow.runner import DEPLOYMENTS, one_line, prepare_prefect, service_mode

    if service_mode():
        try:
            prepare_prefect(load_settings())
            from prefect.deployments import run_deployment

            run_deployment(DEPLOYMENTS["sweep"], timeout=0)
            return
        except Exception as exc:  # the clocks never wait for the orchestrator
            log.warning("sweep deployment unreachable (%s); sweeping here", one_line(exc))
    sweep_here()
