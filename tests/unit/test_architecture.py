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


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


# The surfaces call services; sessions and tables belong to the domain. The web app's routes
# get their session from one dependency (`jikoflow/web/deps.py`), as FastAPI apps do.
SURFACES = [
    *sorted((ROOT / "jikoflow" / "cli").glob("*.py")),
    *sorted(p for p in (ROOT / "jikoflow" / "web").rglob("*.py") if p.name != "deps.py"),
    *sorted((ROOT / "flows").rglob("*.py")),
]
_STORAGE = ("sqlmodel", "sqlalchemy", "jikoflow.models.db")


def _storage(module: str) -> bool:
    return (
        module.startswith(_STORAGE)
        or module.endswith((".tables", ".queries"))
        or module == "jikoflow.models.metadata"
    )


def test_surfaces_never_open_sessions_or_touch_tables() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in SURFACES
        for module in sorted(_imports(path))
        if _storage(module)
    ]
    assert offenders == []


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


# The domain is plain: no orchestrator, chat, HTTP or scheduler library (DESIGN.md §3).
_OUTSIDE = ("prefect", "slack_sdk", "fastapi", "starlette", "httpx", "uvicorn", "apscheduler")
_SHELL = ("jikoflow.flows", "jikoflow.notifications", "jikoflow.cli", "jikoflow.web")


def test_the_domain_imports_no_orchestrator_chat_http_or_scheduler() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in sorted((ROOT / "models").rglob("*.py"))
        # The registry names every table, the Slack transport's own included, for migrations.
        if path.name != "metadata.py"
        for module in sorted(_imports(path))
        if module.split(".")[0] in _OUTSIDE or module.startswith(_SHELL)
    ]
    assert offenders == []


def test_only_the_slack_transport_imports_slack_sdk() -> None:
    # The channel, and its buttons (signature checks, Socket Mode); the web route calls those.
    offenders = [
        str(path.relative_to(ROOT))
        for path in _sources()
        if any(name.split(".")[0] == "slack_sdk" for name in _imports(path))
    ]
    assert sorted(offenders) == [
        "notifications/slack.py",
        "notifications/slack_interactions.py",
        "notifications/slack_socket.py",
    ]
