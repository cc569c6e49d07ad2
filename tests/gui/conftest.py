"""Fixtures for widget tests: one qasync loop for the whole session, US English formats."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.gui.helpers import WAIT_MS, WindowFactory
from vp_desk.api.client import CustomersClient
from vp_desk.api.models import Customer
from vp_desk.lookup import LookupService
from vp_desk.sandbox.data import Dataset, Store
from vp_desk.sandbox.server import SandboxServer
from vp_desk.ui.controller import LookupController
from vp_desk.ui.main_window import MainWindow
from vp_desk.ui.privacy import PrivacyOptions

UNGUARDED = PrivacyOptions(mask_contacts=False, lock_minutes=0, clipboard_clear_seconds=0)
"""Privacy settings for tests that read contact details: no masking, no cover, no clearing."""


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
def _running_qasync_loop(qasync_loop: qasync.QEventLoop) -> Iterator[None]:
    # The loop counts as running only during a widget test, so that tests of the Qt-free
    # core can still call asyncio.run() in the same session, before or after.
    asyncio.set_event_loop(qasync_loop)
    asyncio.events._set_running_loop(qasync_loop)
    yield
    for task in asyncio.all_tasks(qasync_loop):
        task.cancel()
    asyncio.events._set_running_loop(None)


@pytest.fixture
def store(sandbox_dataset: Dataset) -> Store:
    """Return the first store of the sandbox."""
    return sandbox_dataset.stores[0]


@pytest.fixture
def customers(sandbox_dataset: Dataset, store: Store) -> list[Customer]:
    """Return the customers of ``store`` in the sandbox's list order."""
    return list(sandbox_dataset.customers_of(store.id))


@pytest.fixture
def make_window(qtbot: QtBot) -> Iterator[WindowFactory]:
    """Build windows on a real client; end their requests and close their clients after."""
    controllers: list[LookupController] = []

    def build(base_url: str, api_key: str) -> MainWindow:
        controller = LookupController(LookupService(CustomersClient(base_url, api_key)))
        controllers.append(controller)
        window = MainWindow.for_profile(
            controller,
            profile_name="Test store",
            base_url=base_url,
            default_region="GB",
            privacy=UNGUARDED,
        )
        qtbot.addWidget(window)
        window.show()
        return window

    yield build

    for controller in controllers:
        closing = asyncio.ensure_future(close_controller(controller))
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)


async def close_controller(controller: LookupController) -> None:
    """Cancel the controller's requests, then close its client, as the app does on exit."""
    await controller.aclose()
    await controller.service.aclose()


@pytest.fixture
def window(make_window: WindowFactory, sandbox_server: SandboxServer, store: Store) -> MainWindow:
    """Return a shown window on the sandbox's first store."""
    return make_window(sandbox_server.base_url, store.api_key)
