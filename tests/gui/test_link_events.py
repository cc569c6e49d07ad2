"""vpdesk: links delivered as file-open events, as macOS does."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from vp_desk.app import _link_filter
from vp_desk.ui.link_events import LinkOpenFilter


def test_vpdesk_link_is_emitted(qtbot: QtBot, qapp: QApplication) -> None:
    links = LinkOpenFilter()
    qapp.installEventFilter(links)
    try:
        with qtbot.waitSignal(links.link_opened, timeout=1000) as blocker:
            QApplication.sendEvent(qapp, QFileOpenEvent(QUrl("vpdesk://lookup?phone=%2B44")))
    finally:
        qapp.removeEventFilter(links)

    assert blocker.args == ["vpdesk://lookup?phone=%2B44"]


def test_other_files_are_left_alone(qtbot: QtBot, qapp: QApplication) -> None:
    links = LinkOpenFilter()
    qapp.installEventFilter(links)
    try:
        with qtbot.assertNotEmitted(links.link_opened, wait=50):
            QApplication.sendEvent(qapp, QFileOpenEvent(QUrl.fromLocalFile("notes.txt")))
    finally:
        qapp.removeEventFilter(links)


@pytest.mark.parametrize(("platform", "filtered"), [("darwin", True), ("linux", False)])
def test_app_filters_links_on_macos_only(
    qtbot: QtBot, qapp: QApplication, monkeypatch: pytest.MonkeyPatch, platform: str, filtered: bool
) -> None:
    monkeypatch.setattr(sys, "platform", platform)

    links = _link_filter(qapp)
    try:
        assert (links is not None) == filtered
        if links is not None:
            with qtbot.waitSignal(links.link_opened, timeout=1000):
                QApplication.sendEvent(qapp, QFileOpenEvent(QUrl("vpdesk://lookup?id=1")))
    finally:
        if links is not None:
            qapp.removeEventFilter(links)
