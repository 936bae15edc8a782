"""`jikoflow serve`: the long-running process (DESIGN.md §3, service mode).

It holds the one scheduler lease of the database, serves the portal and the API in a thread
(unless `--no-web`), runs APScheduler (drill plans from the SQL job store; the drill tick every
`--tick` seconds) and the sweep every `--tick` seconds: with
`PREFECT_API_URL` set, the flows are served as Prefect deployments in the main thread and the
sweep runs as the deployed sweep flow on that interval (so it shows in the Prefect UI);
without it, the scheduler runs the same sweep path in this process. With `SLACK_APP_TOKEN` it
also answers Slack's buttons over Socket Mode. SIGTERM or SIGINT stops it: running jobs finish,
the portal stops, the lease is given back, exit 0.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Annotated, Any

import typer

from jikoflow.cli.common import Context, handled
from jikoflow.models.settings import Settings
from jikoflow.runner import service_mode

log = logging.getLogger("jikoflow.serve")


@handled()
def serve(
    tick: Annotated[
        float, typer.Option("--tick", help="Seconds between sweeps and drill ticks.", min=0.2)
    ] = 60.0,
    host: Annotated[str | None, typer.Option("--host", help="The portal listens here.")] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="The portal's port (0: a free one).", min=0)
    ] = None,
    no_web: Annotated[bool, typer.Option("--no-web", help="Without the portal.")] = False,
) -> None:
    """Run the portal, the scheduler (drill plans, sweep every minute) and, with
    PREFECT_API_URL, the flows."""
    from jikoflow.drills.lease import Holder, LeaseHeld, acquire, release
    from jikoflow.models.types import utcnow
    from jikoflow.web.server import start_web

    ctx = Context()
    url = ctx.url
    _configure_logging()
    holder = Holder.here()
    try:
        acquire(url, holder, utcnow())
    except LeaseHeld as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    web = None
    try:
        web = None if no_web else start_web(ctx.settings, host=host, port=port)
        prefect = service_mode()
        scheduler = start_scheduler(url, holder, tick, sweep=not prefect)
        buttons = start_buttons(ctx.settings)
        try:
            # Jobs run only once the start is announced: the first line is always this one.
            _announce(ctx.settings, scheduler, tick, web.address if web else None)
            scheduler.resume()
            if prefect:
                serve_deployments(ctx.settings, tick)
            else:
                wait_for_signal()
        finally:
            if buttons is not None:
                buttons.stop()
            scheduler.shutdown(wait=True)
    finally:
        if web is not None:
            web.stop()
        release(url, holder)
    typer.echo("jikoflow serve: stopped", err=True)


def start_buttons(settings: Settings) -> Any:
    """Slack's buttons over Socket Mode when `SLACK_APP_TOKEN` is set (None otherwise)."""
    if not settings.slack_app_token:
        return None
    from jikoflow.notifications.slack_socket import start_buttons as connect

    return connect(settings)


def _configure_logging() -> None:
    logging.basicConfig(format="%(asctime)s %(name)s: %(message)s", level=logging.WARNING)
    log.setLevel(logging.INFO)


def start_scheduler(url: str, holder: Any, tick: float, *, sweep: bool = True) -> Any:
    """The background scheduler, paused: plan jobs from the database, internal jobs in memory;
    the sweep too, unless the Prefect deployment runs it."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    from jikoflow.drills.jobs import drill_tick, heartbeat, sweep_tick
    from jikoflow.drills.lease import HEARTBEAT_EVERY
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
    if sweep:
        scheduler.add_job(sweep_tick, id="sweep", name="sweep", **every)
    scheduler.add_job(drill_tick, id="drill-tick", name="drill tick", **every)
    scheduler.add_job(
        heartbeat,
        args=[holder, _stop_self],
        id="lease-heartbeat",
        name="lease heartbeat",
        **(every | {"seconds": HEARTBEAT_EVERY.total_seconds()}),
    )
    scheduler.start(paused=True)
    return scheduler


def _stop_self() -> None:
    """Stop this process the way an operator would (the lease was lost)."""
    os.kill(os.getpid(), signal.SIGTERM)


def _announce(settings: Settings, scheduler: Any, tick: float, portal: str | None) -> None:
    from sqlalchemy.engine import make_url

    where = make_url(settings.database_url).render_as_string(hide_password=True)
    plans = len(scheduler.get_jobs(jobstore="default"))
    prefect = (
        "Prefect deployments on " + os.environ["PREFECT_API_URL"]
        if service_mode()
        else "no Prefect deployments (PREFECT_API_URL not set)"
    )
    typer.echo(
        f"jikoflow serve: pid {os.getpid()}, {where}, portal {portal or 'off'}, "
        f"{plans} drill plan(s), sweep every {tick:g} s, {prefect}",
        err=True,
    )


def wait_for_signal() -> None:
    """Block the main thread until SIGTERM or SIGINT."""
    stop = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    while not stop.wait(timeout=3600):
        pass


def serve_deployments(settings: Settings, tick: float) -> None:
    """Serve every jikoflow flow as a Prefect deployment, the sweep on an interval of `tick`
    seconds (blocks; Prefect handles the signals)."""
    from jikoflow.runner import prepare_prefect

    prepare_prefect(settings)
    from prefect import serve as prefect_serve
    from prefect.types.entrypoint import EntrypointType

    from jikoflow.flows.registry import FLOWS

    deployments = [
        flow.to_deployment(
            name=f"jikoflow-{name}",
            entrypoint_type=EntrypointType.MODULE_PATH,
            interval=tick if name == "sweep" else None,
        )
        for name, flow in FLOWS.items()
    ]
    prefect_serve(*deployments, print_starting_message=False)
