"""vpdesk: links that macOS delivers as file-open events instead of on the command line."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QFileOpenEvent

LINK_SCHEME = "vpdesk"


class LinkOpenFilter(QObject):
    """Turns a file-open event for a vpdesk: link into a signal; install it on the application.

    Signals:
        link_opened(str): a vpdesk: link was opened, as its full text.
    """

    link_opened = Signal(str)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.FileOpen or not isinstance(event, QFileOpenEvent):
            return super().eventFilter(watched, event)

        url = event.url()
        if url.scheme().lower() != LINK_SCHEME:
            return super().eventFilter(watched, event)
        self.link_opened.emit(url.toString())
        return True
