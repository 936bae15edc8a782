"""`jikoflow serve`: the long-running process (DESIGN.md §3, service mode).

Every `serve` process delivers the outbox and starts the flows that were asked for
(`jikoflow.worker`); with `PREFECT_API_URL` set it also serves the flows as Prefect
deployments in the main thread, so it runs their flow runs. One of them, the holder of the
database's scheduler lease, runs the scheduler: drill plans from the SQL job store, the drill
tick and the sweep every `--tick` seconds (the sweep as a run of the sweep deployment when a
Prefect server is configured). Plain `serve` takes the lease at start or refuses to start;
`serve --worker` stands by and takes the lease when its holder is gone, so several workers on
several machines share one database and one Prefect server. Each also serves the portal and
the API in a thread (unless `--no-web`) and, with `SLACK_APP_TOKEN`, answers Slack's buttons
over Socket Mode. SIGTERM or SIGINT stops it: running jobs finish, the portal stops, the lease
is given back, exit 0.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Annotated, Any

import typer

from jikoflow.cli.common import Context, handled, listen_host
from jikoflow.models.settings import Settings
from jikoflow.runner import service_mode

log = logging.getLogger("jikoflow.serve")

# Flow runs one process executes at once (each in a subprocess of the Prefect runner).
FLOW_RUNS = int(os.environ.get("JIKOFLOW_FLOW_RUNS", "2"))


@handled()
def serve(
    tick: Annotated[
        float,
        typer.Option("--tick", help="Seconds between sweeps and drill ticks.", min=0.2, max=3600),
    ] = 60.0,
    worker: Annotated[
        bool,
        typer.Option(
            "--worker", help="One of several: stand by for the scheduler instead of refusing."
        ),
    ] = False,
    host: Annotated[str | None, typer.Option("--host", help="The portal listens here.")] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", help="The portal's port (0: a free one).", min=0, max=65535),
    ] = None,
    no_web: Annotated[bool, typer.Option("--no-web", help="Without the portal.")] = False,
) -> None:
    """Run the portal, deliver, start flows and run the scheduler (drill plans, sweep every
    minute); with PREFECT_API_URL, serve the flows."""
    host = listen_host(host)
    from jikoflow.web.server import start_web
    from jikoflow.worker import (
        DISPATCH_IDLE,
        FLOWS_EVERY,
        Periodic,
        Seat,
        dispatch_once,
        start_flows_once,
    )

    ctx = Context()
    settings = ctx.settings
    ctx.url  # noqa: B018  (creates or upgrades the database first)
    _configure_logging()
    from jikoflow.drills.lease import HEARTBEAT_EVERY, STANDBY_EVERY, LeaseHeld

    seat = Seat(settings, tick, on_lost=(lambda: None) if worker else _stop_self)
    if not worker:
        try:
            seat.take(refuse=True)
        except LeaseHeld as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None

    every = (STANDBY_EVERY if worker else HEARTBEAT_EVERY).total_seconds()
    loops = [
        Periodic("dispatcher", lambda: dispatch_once(settings), DISPATCH_IDLE),
        Periodic("flow starter", lambda: start_flows_once(settings), FLOWS_EVERY),
        Periodic("scheduler lease", seat.keep, min(every, HEARTBEAT_EVERY.total_seconds())),
    ]
    web = buttons = None
    try:
        web = None if no_web else start_web(settings, host=host, port=port)
        buttons = start_buttons(settings)
        # Work starts only once the start is announced: the first line is always this one.
        _announce(settings, seat, tick, worker, web.address if web else None)
        seat.open()
        for loop in loops:
            loop.start()
        if service_mode():
            serve_deployments(settings)
        else:
            wait_for_signal()
    finally:
        for loop in loops:
            loop.stop()
        for loop in loops:
            if loop.is_alive():  # a portal that could not listen stops us before they start
                loop.join(timeout=60)
        if buttons is not None:
            buttons.stop()
        if web is not None:
            web.stop()
        seat.stop()
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


def _stop_self() -> None:
    """Stop this process the way an operator would (the lease was lost)."""
    os.kill(os.getpid(), signal.SIGTERM)


def _announce(settings: Settings, seat: Any, tick: float, worker: bool, portal: str | None) -> None:
    from sqlalchemy.engine import make_url

    where = make_url(settings.database_url).render_as_string(hide_password=True)
    prefect = (
        "Prefect deployments on " + os.environ["PREFECT_API_URL"]
        if service_mode()
        else "no Prefect deployments (PREFECT_API_URL not set)"
    )
    role = (
        f"{seat.plans()} drill plan(s), sweep every {tick:g} s"
        if seat.held
        else "worker standing by for the scheduler"
    )
    typer.echo(
        f"jikoflow serve: pid {os.getpid()}, {where}, portal {portal or 'off'}, {role}, {prefect}",
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


def serve_deployments(settings: Settings) -> None:
    """Serve every jikoflow flow as a Prefect deployment (blocks; Prefect handles the signals).

    Several processes serve the same deployments: each flow run is taken by one of them, and
    one stopping leaves the others' deployments as they are. The sweep runs one at a time.
    """
    from jikoflow.runner import prepare_prefect

    prepare_prefect(settings)
    from prefect import serve as prefect_serve
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.types.entrypoint import EntrypointType

    from jikoflow.flows.registry import FLOWS

    one_at_a_time = ConcurrencyLimitConfig(
        limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
    )
    deployments = [
        flow.to_deployment(
            name=f"jikoflow-{name}",
            entrypoint_type=EntrypointType.MODULE_PATH,
            concurrency_limit=one_at_a_time if name == "sweep" else None,
        )
        for name, flow in FLOWS.items()
    ]
    prefect_serve(
        *deployments, print_starting_message=False, pause_on_shutdown=False, limit=FLOW_RUNS
    )
