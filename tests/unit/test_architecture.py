"""The layer rules: a Qt-free core, and a window that reaches data only through the core."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "vp_desk"

QT_MODULES = {"PySide6", "shiboken6", "qasync", "pytestqt"}
DATA_MODULES = {"httpx", "sqlite3", "keyring"}


def imported_modules(path: Path) -> set[str]:
    """Return the top-level names of every module that ``path`` imports, lazily or not."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


COMPOSITION_ROOT = {"app.py", "session.py"}
"""The entry point and the session it starts, which wire the window to the core."""


def core_files() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "ui" not in path.relative_to(PACKAGE).parts and path.name not in COMPOSITION_ROOT
    ]


@pytest.mark.parametrize("path", core_files(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_core_module_imports_no_qt(path: Path) -> None:
    assert imported_modules(path).isdisjoint(QT_MODULES)


@pytest.mark.parametrize("path", sorted((PACKAGE / "ui").rglob("*.py")), ids=lambda path: path.name)
def test_ui_module_reaches_no_data_library(path: Path) -> None:
    assert imported_modules(path).isdisjoint(DATA_MODULES)


def test_core_files_are_found() -> None:
    names = {path.name for path in core_files()}

    assert {"client.py", "models.py", "lookup.py"} <= names
    assert "main_window.py" not in names


@pytest.mark.parametrize(
    "path", sorted((PACKAGE / "sandbox").rglob("*.py")), ids=lambda path: path.name
)
def test_sandbox_shares_only_wire_models_and_net(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    client_modules = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("vp_desk.")
        and not node.module.startswith("vp_desk.sandbox")
    }

    assert client_modules <= {"vp_desk.api.models", "vp_desk.net"}
