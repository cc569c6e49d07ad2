"""Fixtures for widget tests: one qasync loop for the whole session, US English formats."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication


@pytest.fixture(scope="session", autouse=True)
def _english_locale() -> None:
    # Texts and number formats in assertions are those of US English, whatever the machine's.
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))


@pytest.fixture(scope="session")
def qasync_loop(qapp: QApplication) -> qasync.QEventLoop:
    """Return the session's asyncio loop, driven by Qt while qtbot waits.

    A new qasync loop per test, closed afterwards, crashes on timer events delivered to
    deleted objects, so one loop serves every widget test.
    """
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    return loop


@pytest.fixture(autouse=True)
def _cancel_leftover_tasks(qasync_loop: qasync.QEventLoop) -> Iterator[None]:
    asyncio.set_event_loop(qasync_loop)
    yield
    for task in asyncio.all_tasks(qasync_loop):
        task.cancel()
