"""Several profiles: switching with Ctrl+1 to Ctrl+9, colour marks, and where keys come from."""

from __future__ import annotations

import asyncio
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from tests.gui.helpers import WAIT_MS
from tests.keyrings import MemoryKeyring
from vp_desk.config import Profile, Settings, save_settings
from vp_desk.credentials import KeyringCredentials
from vp_desk.offline import OfflineStore
from vp_desk.sandbox.data import Store
from vp_desk.sandbox.server import SandboxServer
from vp_desk.session import SETTINGS_REQUEST, _next_request
from vp_desk.ui.connection_dialog import ConnectionDialog
from vp_desk.ui.controller import LookupController
from vp_desk.ui.main_window import MainWindow
from vp_desk.ui.profile_sources import SavedProfiles, _remove_saved_lookups

COFFEE = Profile(name="Coffee shop", base_url="https://coffee.example.com", default_region="GB")
OUTDOOR = Profile(name="Outdoor shop", base_url="https://outdoor.example.com", default_region="US")


@pytest.fixture
def two_profile_window(
    qtbot: QtBot, window: MainWindow, sandbox_server: SandboxServer, store: Store
) -> MainWindow:
    controller: LookupController = window.controller
    other = MainWindow.for_profile(
        controller,
        profile_name="Coffee shop",
        base_url=sandbox_server.base_url,
        default_region="GB",
        colour="#e8710a",
        profiles=[("Coffee shop", "#e8710a"), ("Outdoor shop", "#188038")],
    )
    qtbot.addWidget(other)
    other.show()
    return other


def test_ctrl_2_requests_second_profile(qtbot: QtBot, two_profile_window: MainWindow) -> None:
    with qtbot.waitSignal(two_profile_window.profile_requested, timeout=WAIT_MS) as blocker:
        qtbot.keyClick(two_profile_window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)

    assert blocker.args == ["Outdoor shop"]


def test_active_profile_is_marked(two_profile_window: MainWindow) -> None:
    actions = two_profile_window.profile_actions

    assert [action.isChecked() for action in actions] == [True, False]
    assert two_profile_window.windowTitle() == "Coffee shop — vp-desk"
    assert "#e8710a" in two_profile_window.profile_strip.styleSheet()


def test_choosing_open_profile_changes_nothing(
    qtbot: QtBot, two_profile_window: MainWindow
) -> None:
    with qtbot.assertNotEmitted(two_profile_window.profile_requested, wait=100):
        two_profile_window.profile_actions[0].trigger()

    assert two_profile_window.profile_actions[0].isChecked()


def test_window_requests_end_the_wait(qtbot: QtBot, two_profile_window: MainWindow) -> None:
    for emit, expected in (
        (lambda: two_profile_window.profile_requested.emit("Outdoor shop"), "Outdoor shop"),
        (two_profile_window.settings_requested.emit, SETTINGS_REQUEST),
    ):
        waiting = asyncio.ensure_future(_next_request(two_profile_window))
        qtbot.wait(10)
        emit()
        qtbot.waitUntil(waiting.done, timeout=WAIT_MS)
        assert waiting.result() == expected


def test_demo_disables_settings(qtbot: QtBot, window: MainWindow) -> None:
    demo = MainWindow.for_profile(
        window.controller,
        profile_name="Demo",
        base_url="http://127.0.0.1:9",
        default_region="GB",
        settings_enabled=False,
    )
    qtbot.addWidget(demo)

    assert not demo.settings_action.isEnabled()


def test_saved_profile_connection_uses_keyring(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "settings.json"
    save_settings(Settings(profiles=[COFFEE, OUTDOOR], active_profile="Coffee shop"), path)
    KeyringCredentials().set_key("Outdoor shop", "sk_test_outdoor")
    source = SavedProfiles(path)

    waiting = asyncio.ensure_future(source.connection("Outdoor shop"))
    qtbot.waitUntil(waiting.done, timeout=WAIT_MS)
    connection = waiting.result()

    assert connection is not None
    assert connection.profile == OUTDOOR
    assert connection.api_key == "sk_test_outdoor"
    assert "sk_test_outdoor" not in repr(connection)
    assert '"active_profile": "Outdoor shop"' in path.read_text(encoding="utf-8")
    assert [name for name, _colour in source.profile_marks()] == ["Coffee shop", "Outdoor shop"]


def test_profile_colours_differ(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    path = tmp_path / "settings.json"
    save_settings(Settings(profiles=[COFFEE, OUTDOOR], active_profile="Coffee shop"), path)

    colours = [colour for _name, colour in SavedProfiles(path).profile_marks()]

    assert len(set(colours)) == 2


def test_session_key_is_used_without_keyring(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    save_settings(Settings(profiles=[COFFEE], active_profile="Coffee shop"), path)
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        source = SavedProfiles(path)
        source._session_keys["Coffee shop"] = "sk_test_session"

        waiting = asyncio.ensure_future(source.connection(None))
        qtbot.waitUntil(waiting.done, timeout=WAIT_MS)
    finally:
        keyring.set_keyring(previous)

    connection = waiting.result()
    assert connection is not None
    assert connection.api_key == "sk_test_session"
    assert "sk_test_session" not in path.read_text(encoding="utf-8")


def test_removed_profile_loses_saved_lookups(
    tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    store = OfflineStore.open("Old shop")
    assert store.persistent
    store.close()
    assert list((tmp_path / "data").rglob("*.sqlite3"))

    _remove_saved_lookups("Old shop")

    assert not list((tmp_path / "data").rglob("*.sqlite3*"))
    assert not [name for _service, name in memory_keyring.passwords if "Old shop" in name]


def visible_widget[WidgetT: QWidget](kind: type[WidgetT]) -> WidgetT | None:
    return next(
        (
            widget
            for widget in QApplication.topLevelWidgets()
            if isinstance(widget, kind) and widget.isVisible()
        ),
        None,
    )


@pytest.mark.parametrize("agree", [True, False], ids=["keep", "cancel"])
def test_first_run_without_keyring_asks_before_session_key(
    qtbot: QtBot, tmp_path: Path, agree: bool
) -> None:
    path = tmp_path / "settings.json"
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        waiting = asyncio.ensure_future(SavedProfiles(path).connection(None))
        qtbot.waitUntil(lambda: visible_widget(ConnectionDialog) is not None, timeout=WAIT_MS)
        dialog = visible_widget(ConnectionDialog)
        assert dialog is not None
        dialog.url_edit.setText("http://127.0.0.1:8765")
        dialog.region_edit.setText("GB")
        dialog.key_edit.setText("sk_test_first_run")
        dialog.accept()

        qtbot.waitUntil(lambda: visible_widget(QMessageBox) is not None, timeout=WAIT_MS)
        question = visible_widget(QMessageBox)
        assert question is not None
        assert "for this session only" in question.text()
        choice = QMessageBox.StandardButton.Yes if agree else QMessageBox.StandardButton.Cancel
        question.button(choice).click()
        qtbot.waitUntil(waiting.done, timeout=WAIT_MS)
    finally:
        keyring.set_keyring(previous)

    connection = waiting.result()
    if agree:
        assert connection is not None
        assert connection.key_for_session_only
        assert connection.api_key == "sk_test_first_run"
    else:
        assert connection is None
    assert "sk_test_first_run" not in path.read_text(encoding="utf-8")


def test_first_run_dialog_opens_over_window(qtbot: QtBot, tmp_path: Path) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()

    waiting = asyncio.ensure_future(
        SavedProfiles(tmp_path / "settings.json").connection(None, window)
    )
    qtbot.waitUntil(lambda: visible_widget(ConnectionDialog) is not None, timeout=WAIT_MS)
    dialog = visible_widget(ConnectionDialog)
    assert dialog is not None
    assert dialog.parentWidget() is window
    dialog.reject()
    qtbot.waitUntil(waiting.done, timeout=WAIT_MS)

    assert waiting.result() is None
