"""The shape of the code: one `jikoflow` import namespace over the product's folders."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {
    "jikoflow": "jikoflow",
    "jikoflow.models": "models",
    "jikoflow.flows": "flows",
    "jikoflow.notifications": "notifications",
    "jikoflow.records": "records",
    "jikoflow.drills": "drills",
    "jikoflow.migrations": "migrations",
}
GENERIC = {"models", "flows", "notifications", "records", "drills", "migrations"}


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _sources() -> list[Path]:
    return [p for folder in FOLDERS.values() for p in (ROOT / folder).rglob("*.py")]


def test_every_folder_is_mapped_into_the_jikoflow_namespace() -> None:
    setuptools = _pyproject()["tool"]["setuptools"]
    assert setuptools["package-dir"] == FOLDERS


def test_every_package_on_disk_is_installed() -> None:
    # A package missing from the list works in development and is absent from the wheel.
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    on_disk = set()
    for name, folder in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            on_disk.add(".".join([name, *parts]))
    assert on_disk == listed


def test_no_code_imports_a_generic_top_level_name() -> None:
    offenders = []
    everything = [
        *_sources(),
        *(ROOT / "tests").rglob("*.py"),
        *(ROOT / "benchmarks").rglob("*.py"),
    ]
    for path in everything:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            where = path.relative_to(ROOT)
            offenders += [f"{where}: {n}" for n in names if n.split(".")[0] in GENERIC]
    assert offenders == []


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
    return found


def test_messages_leave_by_one_delivery_path() -> None:
    # The flows, the scheduler's jobs and the commands deliver through `delivery.deliver`;
    # the dispatcher and the transports are the delivery package's own business.
    inner = ("jikoflow.notifications.dispatch", "jikoflow.notifications.slack")
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in _sources()
        if path.parent != ROOT / "notifications"
        for name in _imports(path)
        if name.startswith(inner) and not name.startswith("jikoflow.notifications.slack_")
    ]
    assert offenders == []


def test_only_the_slack_channel_imports_slack_sdk() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in _sources()
        if any(name.split(".")[0] == "slack_sdk" for name in _imports(path))
    ]
    assert offenders == ["notifications/slack.py"]
