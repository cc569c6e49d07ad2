"""A container that keeps the layout changes of its content from spreading to the window."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QWidget


class LayoutFence(QWidget):
    """Holds one widget, fills itself with it, and stops its layout requests.

    When a label's new text changes its size hint, Qt lays out every ancestor again. A
    QTabWidget or QSplitter on the way then repaints all its children, so one changed label
    repainted the whole list panel after each search. The fence has no layout of its own,
    so such a request ends here. It still returns its content's size hints, which
    the window reads the next time it lays out for other reasons, such as a resize.
    """

    def __init__(self, content: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._content = content
        content.setParent(self)
        self.setSizePolicy(content.sizePolicy())

    @property
    def content(self) -> QWidget:
        """The widget inside the fence."""
        return self._content

    def sizeHint(self) -> QSize:  # noqa: N802
        return self._content.sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return self._content.minimumSizeHint().expandedTo(self._content.minimumSize())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._content.setGeometry(self.rect())
