"""The dialog for bugs: unexpected exceptions are logged and shown with copyable details."""

from __future__ import annotations

import asyncio
import logging
import platform
import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

import PySide6
from PySide6.QtCore import QCoreApplication, qVersion
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vp_desk import __version__

logger = logging.getLogger("vp_desk.ui")

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], Any]


def tr(text: str) -> str:
    """Translate ``text`` in the ``CrashDialog`` context."""
    return QCoreApplication.translate("CrashDialog", text)


def environment_summary() -> str:
    """Describe the versions that a bug report needs, one per line."""
    return "\n".join(
        (
            f"vp-desk {__version__}",
            f"OS: {platform.platform()}",
            f"Python: {platform.python_version()}",
            f"Qt: {qVersion()}, PySide6 {PySide6.__version__}",
        )
    )


class CrashDialog(QDialog):
    """Tells the agent that something unexpected failed, and shows details to copy."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setWindowTitle(tr("Unexpected error"))

        summary = QLabel(
            tr(
                "Something unexpected went wrong. vp-desk keeps running, but the last action "
                "may not have finished. Copy the details below and send them to your "
                "administrator."
            )
        )
        summary.setWordWrap(True)

        self.details = QPlainTextEdit()
        self.details.setObjectName("crashDetails")
        self.details.setAccessibleName(tr("Error details"))
        self.details.setReadOnly(True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton(tr("Copy details"))
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        self.resize(640, 420)

    def add_error(self, error: BaseException) -> None:
        """Append ``error`` with its traceback to the details, after the environment."""
        text = "".join(traceback.format_exception(error)).rstrip()
        if not self.details.toPlainText():
            self.details.setPlainText(environment_summary())
        self.details.appendPlainText(f"\n{text}")

    def copy_details(self) -> None:
        """Copy the details to the clipboard."""
        QGuiApplication.clipboard().setText(self.details.toPlainText())


class CrashReporter:
    """Receives every unexpected exception, logs it and shows it in one dialog.

    Further errors while the dialog is open are appended to it, so a repeating bug opens
    one dialog, not hundreds.
    """

    def __init__(self) -> None:
        self._dialog: CrashDialog | None = None
        self._previous_hook: ExceptHook | None = None

    @property
    def dialog(self) -> CrashDialog | None:
        """The open dialog, if any."""
        return self._dialog

    def report(self, error: BaseException) -> None:
        """Log ``error`` with its traceback and show it to the agent."""
        logger.error("Unexpected error", exc_info=error)
        if QCoreApplication.instance() is None:
            return
        if self._dialog is None:
            self._dialog = CrashDialog()
            self._dialog.finished.connect(self._on_dialog_finished)
        self._dialog.add_error(error)
        self._dialog.show()
        self._dialog.raise_()

    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Route uncaught exceptions of Qt slots and asyncio callbacks to ``report``."""
        self._previous_hook = sys.excepthook
        sys.excepthook = self._excepthook
        if loop is not None:
            loop.set_exception_handler(self._asyncio_handler)

    def uninstall(self) -> None:
        """Restore the exception hook that ``install`` replaced."""
        if self._previous_hook is not None:
            sys.excepthook = self._previous_hook
            self._previous_hook = None

    def _excepthook(
        self, kind: type[BaseException], error: BaseException, trace: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QCoreApplication.quit()
            return
        self.report(error.with_traceback(trace))

    def _asyncio_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, BaseException):
            self.report(error)
        else:
            logger.error("Event loop error: %s", context.get("message", "no message"))

    def _on_dialog_finished(self) -> None:
        if self._dialog is not None:
            self._dialog.deleteLater()
        self._dialog = None


crash_reporter = CrashReporter()
"""The application's one reporter of unexpected errors."""
