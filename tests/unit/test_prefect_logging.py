"""Prefect's logging as jikoflow configures it: the file loads, only the exit notice of the task
that closes Prefect's database connection is dropped from asyncio's errors, and the embedded
server's pool errors at shutdown go to its log file, not the terminal."""

from __future__ import annotations

import asyncio
import logging
import logging.config
from pathlib import Path

import pytest
import yaml

from jikoflow.embedded import ShutdownNoise
from jikoflow.runner import LOGGING_CONFIG

CLOSING = (
    "Task was destroyed but it is pending!\ntask: <Task pending name='Task-88' "
    "coro=<AsyncAdapt_aiosqlite_connection._terminate_graceful_close() running at x.py:241>>"
)


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("asyncio", logging.ERROR, __file__, 1, message, None, None)


def test_only_the_connection_closing_notice_is_dropped() -> None:
    noise = ShutdownNoise()
    assert not noise.filter(_record(CLOSING))
    other = "Task was destroyed but it is pending!\ntask: <Task pending coro=<serve()>>"
    assert noise.filter(_record(other))
    assert noise.filter(_record("Unclosed client session"))


def test_the_logging_file_puts_the_filter_on_asyncio() -> None:
    config = yaml.safe_load(LOGGING_CONFIG.read_text(encoding="utf-8"))
    assert config["loggers"]["asyncio"] == {"filters": ["shutdown_noise"]}
    logger = logging.getLogger("asyncio")
    saved = logger.filters[:]
    try:
        # The file's own filter and logger entries, as logging.config builds them.
        logging.config.dictConfig(
            {
                "version": 1,
                "disable_existing_loggers": False,
                "filters": config["filters"],
                "loggers": {"asyncio": config["loggers"]["asyncio"]},
            }
        )
        assert any(isinstance(f, ShutdownNoise) for f in logger.filters)
    finally:
        logger.filters[:] = saved


def test_the_servers_pool_errors_at_shutdown_go_to_its_file_not_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = yaml.safe_load(LOGGING_CONFIG.read_text(encoding="utf-8"))
    handler = dict(config["handlers"]["embedded_server"], filename=str(tmp_path / "server.log"))
    pool = logging.getLogger("sqlalchemy.pool.impl.AsyncAdaptedQueuePool")
    parent = logging.getLogger("sqlalchemy.pool")
    root = logging.getLogger()
    saved = (parent.handlers[:], parent.level, parent.propagate)
    saved_root = (root.handlers[:], root.level)
    try:
        logging.config.dictConfig(
            {
                "version": 1,
                "disable_existing_loggers": False,
                "formatters": {"debug": config["formatters"]["debug"]},
                "handlers": {
                    "embedded_server": handler,
                    "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
                },
                "loggers": {"sqlalchemy.pool": config["loggers"]["sqlalchemy.pool"]},
                "root": {"level": "WARNING", "handlers": ["console"]},
            }
        )
        try:
            raise asyncio.CancelledError("Cancelled via cancel scope")
        except asyncio.CancelledError:
            pool.error("Exception during reset or similar", exc_info=True)
        for h in parent.handlers:
            h.flush()
    finally:
        for h in parent.handlers:
            h.close()
        parent.handlers[:], parent.level, parent.propagate = saved
        root.handlers[:], root.level = saved_root
    assert capsys.readouterr().err == ""
    written = (tmp_path / "server.log").read_text(encoding="utf-8")
    assert "Exception during reset or similar" in written
    assert "CancelledError" in written
