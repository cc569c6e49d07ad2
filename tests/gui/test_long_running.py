"""A long qasync session with many Qt calls, run in a child process so that a crash is a failure."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

# PySide6 6.12 on CPython 3.11 drops a reference to None on every Qt call that returns
# nothing, and qasync makes such calls for every asyncio callback: the process aborts with
# "Fatal Python error: none_dealloc" after some thousands of them. This session makes
# 50,000 loop iterations and as many model updates, far past that point.
CHILD = textwrap.dedent(
    """
    import asyncio, sys
    import qasync
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QApplication
    from vp_desk.ui.customer_table import CustomerTableModel

    ITERATIONS = 50_000

    async def churn():
        items = QStandardItemModel()
        table = CustomerTableModel()
        for index in range(ITERATIONS):
            await asyncio.sleep(0)
            items.appendRow(QStandardItem(str(index)))
            items.item(index).setText("row")
            items.setItem(index, 1, QStandardItem("x"))
            if index % 100 == 0:
                table.set_customers([])
        return items.rowCount()

    app = QApplication([])
    rows = asyncio.run(churn(), loop_factory=lambda: qasync.QEventLoop(app))
    print("rows", rows)
    """
)


def test_long_qasync_session_survives() -> None:
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}

    result = subprocess.run(
        [sys.executable, "-c", CHILD],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert "rows 50000" in result.stdout
