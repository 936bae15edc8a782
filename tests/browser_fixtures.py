"""A real browser for page journeys: Playwright driving Debian's Chromium.

- `browser`: Chromium, launched once per test module (Playwright's sync API holds an event loop
  while it runs, so it is closed before other modules' tests run).
- `page`: a fresh browser context (its own cookies) in Japanese and Asia/Tokyo; console errors,
  such as a Content-Security-Policy violation, are collected in `page_errors`.
- `screenshots`: a temporary directory for screenshots of the pages a journey visits.

Use `playwright.sync_api.expect` to wait for what a person would see; never sleep.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium under Playwright (Debian's `chromium`: Playwright's own download is not used)."""
    executable = shutil.which("chromium")
    if executable is None:
        message = "chromium not found (run `make system-deps`)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page_errors() -> list[str]:
    """Console errors the page reported (filled by `page`)."""
    return []


@pytest.fixture
def page(browser: Any, page_errors: list[str]) -> Iterator[Any]:
    """A new page in its own context, Japanese, Asia/Tokyo."""
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    context.set_default_timeout(20_000)
    opened = context.new_page()
    opened.on(
        "console",
        lambda message: page_errors.append(message.text) if message.type == "error" else None,
    )
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where a journey saves its screenshots."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return folder
