"""A read-only Qt table model whose cells are texts made once, for fast painting."""

from __future__ import annotations

from typing import Any, override

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
)

ModelIndex = QModelIndex | QPersistentModelIndex

TEXT_ROLES = frozenset({Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole})
"""Roles whose value is the cell's text."""

_UNSET_ROLES = frozenset(
    {
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.CheckStateRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.BackgroundRole,
    }
)
"""Roles that views ask for on every paint and that these tables never set."""

_ALIGNMENT_ROLE = Qt.ItemDataRole.TextAlignmentRole


class TextTableModel(QAbstractTableModel):
    """A table of texts that a subclass makes once per change.

    Views ask for six or seven roles of every visible cell on every paint, and for every cell
    of a column that sizes itself to its contents. A model that formats on each call spends
    most of a paint in Python. Here a paint reads prepared strings, and ``multiData`` fills
    all roles of a cell in one Python call. Subclasses return other roles from
    ``extra_data`` and may align columns with ``alignment``.

    A subclass either gives all texts at once to ``set_texts``, or gives only the number of
    rows to ``set_row_count`` and makes each row's texts in ``make_row`` when a view or a
    caller first asks for them.
    """

    def __init__(self, column_count: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._column_count = column_count
        self._texts: list[tuple[str, ...] | None] = []

    def set_texts(self, texts: list[tuple[str, ...]]) -> None:
        """Replace all rows; call inside beginResetModel() and endResetModel()."""
        self._texts = list(texts)

    def set_row_count(self, count: int) -> None:
        """Replace all rows by ``count`` rows that ``make_row`` fills in when first read.

        Call inside beginResetModel() and endResetModel(). When ``count`` is the current row
        count, emitting dataChanged afterwards is enough.
        """
        self._texts = [None] * count

    def prepare_rows(self, first: int, count: int) -> None:
        """Make the texts of ``count`` rows from ``first`` on now, such as the rows in view.

        In an A/B run of the table-search benchmark, the same formatting ran 25 to 35 % slower
        when it interleaved with the painting of each cell, so a caller that knows which rows
        a view will paint makes them first.
        """
        for row in range(max(0, first), min(first + count, len(self._texts))):
            self._row_texts(row)

    def make_row(self, row: int) -> tuple[str, ...]:
        """Return the texts of ``row``, one per column, for rows given by ``set_row_count``."""
        raise NotImplementedError

    def text(self, row: int, column: int) -> str | None:
        """Return the text of a cell, or None outside the table."""
        if not (0 <= row < len(self._texts) and 0 <= column < self._column_count):
            return None
        return self._row_texts(row)[column]

    def _row_texts(self, row: int) -> tuple[str, ...]:
        texts = self._texts[row]
        if texts is None:
            texts = self.make_row(row)
            self._texts[row] = texts
        return texts

    def alignment(self, column: int) -> int | None:
        """Return the alignment of ``column`` as flags, or None for the view's default."""
        return None

    def extra_data(self, row: int, column: int, role: int) -> Any:
        """Return the value of another role for a cell inside the table, or None."""
        return None

    @override
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        # Qt requests the child count of every index, and a table has children only at the root.
        return 0 if parent.isValid() else len(self._texts)

    @override
    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._column_count

    @override
    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row, column = index.row(), index.column()
        text = self.text(row, column)
        if text is None:
            return None
        if role in TEXT_ROLES:
            return text
        if role == _ALIGNMENT_ROLE:
            return self.alignment(column)
        if role in _UNSET_ROLES:
            return None
        return self.extra_data(row, column, role)

    @override
    def multiData(self, index: ModelIndex, roleDataSpan: QModelRoleDataSpan) -> None:
        row, column = index.row(), index.column()
        text = self.text(row, column)
        if text is None:
            return
        for role_data in roleDataSpan:
            role = role_data.role()
            if role in TEXT_ROLES:
                role_data.setData(text)
                continue
            if role in _UNSET_ROLES:
                role_data.clearData()
                continue
            # Alignment is asked for each cell on every paint, so it skips the call of data().
            if role == _ALIGNMENT_ROLE:
                value = self.alignment(column)
            else:
                value = self.extra_data(row, column, role)
            if value is None:
                role_data.clearData()
            else:
                role_data.setData(value)
