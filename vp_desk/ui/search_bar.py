"""The one search bar: shows how its text will be read and rejects invalid input inline."""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from vp_desk.api.identifiers import InvalidQuery, SearchQuery, parse_query
from vp_desk.api.query_kinds import QueryKind
from vp_desk.ui.messages import invalid_query_message, reading_text

MAX_INPUT_LENGTH = 1000
"""The maximum length of the bar's text, far beyond any id, phone, email or name."""

_PHONE_CHARACTERS = re.compile(r"[0-9+()./ -]+")

TYPING_PAUSE_MS = 300
"""How long after the last key free text is searched without Enter."""


def tr(text: str) -> str:
    """Translate ``text`` in the ``SearchBar`` context."""
    return QCoreApplication.translate("SearchBar", text)


class SearchBar(QWidget):
    """A line edit for a customer id, phone number, email or free text.

    Free text is searched once the agent pauses typing. An id, phone number or email is
    searched only on Enter, because half of one is usually invalid or names another customer.
    Esc clears the bar.

    Signals:
        search_requested(SearchQuery): valid text is to be searched.
        down_pressed(): the Down key was pressed, to move on into the results.
    """

    search_requested = Signal(object)
    down_pressed = Signal()

    def __init__(self, default_region: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._default_region = default_region

        self.edit = QLineEdit()
        self.edit.setObjectName("searchEdit")
        self.edit.setPlaceholderText(tr("Customer ID, phone number, email or name"))
        self.edit.setAccessibleName(tr("Search customers"))
        self.edit.setClearButtonEnabled(True)
        self.edit.setMaxLength(MAX_INPUT_LENGTH)

        self.reading = QLabel()
        self.reading.setObjectName("searchReading")
        self.reading.setAccessibleName(tr("Search reading"))
        self.reading.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.problem = QLabel()
        self.problem.setObjectName("searchProblem")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)
        self.problem.hide()

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.reading)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.problem)

        self.typing_timer = QTimer(self)
        self.typing_timer.setSingleShot(True)
        self.typing_timer.setInterval(TYPING_PAUSE_MS)
        self.typing_timer.timeout.connect(self.on_typing_paused)
        self._last_submitted: SearchQuery | None = None

        self.edit.installEventFilter(self)
        self.edit.textChanged.connect(self.on_text_changed)
        self.edit.returnPressed.connect(self.on_return_pressed)
        self.on_text_changed(self.edit.text())

    @property
    def default_region(self) -> str:
        """The region whose national phone format the bar reads, such as ``GB``."""
        return self._default_region

    def set_text(self, text: str) -> None:
        """Put ``text`` in the bar, as if typed."""
        self.edit.setText(text)

    def submit(self) -> bool:
        """Search for the bar's text at once; return False when it was rejected inline."""
        self.typing_timer.stop()
        try:
            query = parse_query(self.edit.text(), self._default_region)
        except InvalidQuery as error:
            self._show_problem(invalid_query_message(error, self._default_region))
            return False

        self._show_problem(None)
        self._last_submitted = query
        self.search_requested.emit(query)
        return True

    def clear(self) -> None:
        """Empty the bar and forget any pending search."""
        self.typing_timer.stop()
        self.edit.clear()
        self._show_problem(None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if not (
            watched is self.edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
        ):
            return super().eventFilter(watched, event)

        if event.key() == Qt.Key.Key_Escape and self.edit.text():
            self.clear()
            return True
        if event.key() == Qt.Key.Key_Down:
            self.down_pressed.emit()
            return True
        return super().eventFilter(watched, event)

    def on_text_changed(self, text: str) -> None:
        self._show_problem(None)
        try:
            query = parse_query(text, self._default_region)
        except InvalidQuery:
            # Half-typed input is usually invalid, so the problem is shown only on Enter.
            self.typing_timer.stop()
            self.reading.setText(tr("…"))
            self.reading.setToolTip("")
            return

        self.reading.setText(reading_text(query))
        self.reading.setToolTip(self._reading_tooltip(query))
        if self._searches_while_typing(query):
            self.typing_timer.start()
        else:
            self.typing_timer.stop()

    def _searches_while_typing(self, query: SearchQuery) -> bool:
        # Digits alone are usually the start of a phone number: searching "020" and "020 79"
        # on the way to a whole number would flood the list with wrong customers.
        return (
            query.kind == QueryKind.TEXT
            and bool(query.value)
            and query != self._last_submitted
            and not _PHONE_CHARACTERS.fullmatch(query.value)
        )

    def on_typing_paused(self) -> None:
        self.submit()

    def on_return_pressed(self) -> None:
        self.submit()

    def _show_problem(self, text: str | None) -> None:
        self.problem.setText(text or "")
        self.problem.setVisible(text is not None)

    @staticmethod
    def _reading_tooltip(query: SearchQuery) -> str:
        if query.dropped_extension:
            return tr("Extension {extension} is left out of the search.").format(
                extension=query.dropped_extension
            )
        return ""
