"""Prefect's logging as jikoflow configures it: the file loads, and only the exit notice of the
task that closes Prefect's database connection is dropped from asyncio's errors."""

from __future__ import annotations

import logging
import logging.config

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
