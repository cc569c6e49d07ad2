"""Closing the window while requests run: everything stops quickly and cleanly."""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.gui.helpers import WAIT_MS
from vp_desk.sandbox.data import Dataset
from vp_desk.sandbox.server import SandboxServer
from vp_desk.session import _run_window
from vp_desk.ui.main_window import MainWindow
from vp_desk.ui.profile_sources import DemoProfiles

SHUTDOWN_LIMIT_SECONDS = 2.0


@pytest.fixture
def slow_server(sandbox_dataset: Dataset) -> Iterator[SandboxServer]:
    with SandboxServer(sandbox_dataset, rate_limit=None) as server:
        server.set_latency(10.0)
        yield server


def find_window() -> MainWindow | None:
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    return next((w for w in windows if w.isVisible()), None)


def test_close_during_requests_stops_within_limit(
    qtbot: QtBot,
    tmp_path: Path,
    slow_server: SandboxServer,
    sandbox_dataset: Dataset,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = sandbox_dataset.stores[0]
    source = DemoProfiles(slow_server.base_url, [(store.name, store.api_key)], "GB", tmp_path)
    arguments = argparse.Namespace(screenshot=None, query=None, lookup=None)
    connection = asyncio.ensure_future(source.connection(None))
    qtbot.waitUntil(connection.done, timeout=WAIT_MS)
    running = asyncio.ensure_future(
        _run_window(connection.result(), source, arguments, MainWindow())
    )
    qtbot.waitUntil(lambda: find_window() is not None, timeout=WAIT_MS)
    window = find_window()
    assert window is not None
    window.search_bar.set_text("rossi")
    window.search_bar.submit()
    # Give the request time to reach the sandbox, where it now waits out the latency.
    qtbot.wait(300)

    with caplog.at_level(logging.DEBUG):
        started = time.monotonic()
        window.close()
        qtbot.waitUntil(running.done, timeout=WAIT_MS)
        elapsed = time.monotonic() - started

    assert running.result().exit_code == 0
    assert elapsed < SHUTDOWN_LIMIT_SECONDS
    assert "Task was destroyed" not in caplog.text
    assert not [task for task in asyncio.all_tasks() if "LookupController" in repr(task)]
    qtbot.waitUntil(
        lambda: any(entry.client_disconnected for entry in slow_server.request_log()),
        timeout=WAIT_MS,
    )
