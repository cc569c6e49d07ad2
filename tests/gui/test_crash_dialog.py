"""Unexpected errors reach one dialog with copyable details, and the window stays up."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from vp_desk import __version__
from vp_desk.api.identifiers import parse_query
from vp_desk.ui import crash_dialog
from vp_desk.ui.controller import LookupController
from vp_desk.ui.crash_dialog import CrashReporter
from vp_desk.ui.main_window import MainWindow


class SlotBugError(RuntimeError):
    """Raised on purpose by a test slot."""


@pytest.fixture
def reporter(qtbot: QtBot) -> Iterator[CrashReporter]:
    reporter = CrashReporter()
    reporter.install()
    yield reporter
    reporter.uninstall()
    if reporter.dialog is not None:
        reporter.dialog.close()


@pytest.mark.qt_no_exception_capture
def test_exception_in_slot_opens_dialog(
    qtbot: QtBot, reporter: CrashReporter, window: MainWindow, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_slot() -> None:
        raise SlotBugError("slot failed on purpose")

    with caplog.at_level(logging.ERROR, logger="vp_desk.ui"):
        QTimer.singleShot(0, broken_slot)
        qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())

    assert reporter.dialog is not None
    details = reporter.dialog.details.toPlainText()
    assert f"vp-desk {__version__}" in details
    assert "OS: " in details
    assert "Qt: " in details
    assert "SlotBugError: slot failed on purpose" in details
    assert "broken_slot" in details
    assert any(record.exc_info for record in caplog.records)
    assert window.isVisible()


def test_repeated_errors_share_one_dialog(qtbot: QtBot, reporter: CrashReporter) -> None:
    reporter.report(SlotBugError("first"))
    first_dialog = reporter.dialog
    reporter.report(SlotBugError("second"))

    assert reporter.dialog is first_dialog
    assert first_dialog is not None
    details = first_dialog.details.toPlainText()
    assert "first" in details
    assert "second" in details


def test_copy_details_fills_clipboard(qtbot: QtBot, reporter: CrashReporter) -> None:
    reporter.report(SlotBugError("copy me"))
    assert reporter.dialog is not None

    reporter.dialog.copy_button.click()

    assert "SlotBugError: copy me" in QGuiApplication.clipboard().text()


def test_asyncio_callback_error_is_reported(
    qtbot: QtBot, qasync_loop: asyncio.AbstractEventLoop
) -> None:
    reporter = CrashReporter()
    previous = qasync_loop.get_exception_handler()
    reporter.install(qasync_loop)
    try:
        qasync_loop.call_exception_handler(
            {"message": "callback failed", "exception": SlotBugError("in a callback")}
        )
        assert reporter.dialog is not None
        assert "in a callback" in reporter.dialog.details.toPlainText()
    finally:
        reporter.uninstall()
        qasync_loop.set_exception_handler(previous)
        if reporter.dialog is not None:
            reporter.dialog.close()


def test_uninstall_restores_hook(reporter: CrashReporter) -> None:
    hook_while_installed = sys.excepthook

    reporter.uninstall()

    assert sys.excepthook is not hook_while_installed


class BrokenService:
    """A lookup service whose every call fails with a bug, not an API error."""

    async def find_customer(self, query: object) -> None:
        raise SlotBugError("bug in a look-up")


@pytest.mark.qt_no_exception_capture
def test_bug_in_look_up_reaches_dialog_and_window(qtbot: QtBot) -> None:
    controller = LookupController(BrokenService())  # type: ignore[arg-type]
    failures: list[str] = []
    controller.search_failed.connect(failures.append)

    with qtbot.waitSignal(controller.search_failed, timeout=5000):
        controller.search(parse_query("+44 20 7946 0958", "GB"), 25)

    dialog = crash_dialog.crash_reporter.dialog
    assert dialog is not None
    assert "bug in a look-up" in dialog.details.toPlainText()
    assert failures[0].startswith("Something unexpected went wrong.")
    dialog.close()
