"""The embedded Prefect server's lifetime: it ends with the command that started it.

With nothing configured, a command that runs a flow starts Prefect's temporary server as a
child process, which Prefect stops when the command exits normally. A command stopped by
SIGTERM or SIGHUP (a closed terminal, a service manager, `timeout`) exits as if interrupted,
so the server is stopped too. A command killed outright (SIGKILL, the OOM killer) cannot stop
anything: its server is marked with the command's pid, and the next command that runs a flow
in the same Prefect home stops every such server whose command is gone.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path
from types import FrameType

log = logging.getLogger("jikoflow.embedded")

# Set in the command's environment; Prefect's server process inherits it.
PARENT = "JIKOFLOW_EMBEDDED_PARENT"
_SERVER = b"prefect.server.api.server:create_app"
_PROC = Path("/proc")


def tie_to_this_process(prefect_home: Path) -> list[int]:
    """Before a flow runs here: stop servers left by killed commands, mark the server this
    command may start, and exit cleanly on SIGTERM/SIGHUP. Returns the pids stopped."""
    stopped = stop_orphans(prefect_home)
    os.environ[PARENT] = str(os.getpid())
    _exit_on_termination()
    return stopped


def stop_orphans(prefect_home: Path) -> list[int]:
    """SIGTERM every embedded server of `prefect_home` whose command is no longer its parent
    (Linux; elsewhere nothing is found). Returns the pids signalled."""
    if not _PROC.is_dir():
        return []
    home = str(prefect_home).encode()
    stopped = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            if _SERVER not in command:
                continue
            environ = dict(
                item.split(b"=", 1)
                for item in (entry / "environ").read_bytes().split(b"\0")
                if b"=" in item
            )
            # The parent pid is the 4th field of stat, after the parenthesised command name.
            parent = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()[1]
        except (OSError, IndexError):  # gone meanwhile, or not ours to read
            continue
        if environ.get(b"PREFECT_HOME") != home or environ.get(PARENT.encode()) in (None, parent):
            continue
        try:
            os.kill(int(entry.name), signal.SIGTERM)
        except OSError:
            continue
        log.warning("stopped embedded Prefect server %s left by a killed command", entry.name)
        stopped.append(int(entry.name))
    return stopped


def _exit_on_termination() -> None:
    """SIGTERM and SIGHUP end the command as an exception would, so exit handlers (Prefect's
    stopping its server) run; handlers someone else installed are kept."""
    if threading.current_thread() is not threading.main_thread():
        return
    for number in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(number) is signal.SIG_DFL:
            signal.signal(number, _terminated)


def _terminated(number: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + number)


class ShutdownNoise(logging.Filter):
    """Drops asyncio's "Task was destroyed but it is pending!" for the task that closes
    Prefect's database connection as the interpreter exits: the command has finished and
    nothing is lost. Every other asyncio error is still shown (prefect_logging.yml)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (
            message.startswith("Task was destroyed but it is pending!")
            and "_terminate_graceful_close" in message
        )
