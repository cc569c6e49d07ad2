"""Tests of masked contact details, the idle lock and cover, and the self-clearing clipboard."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QMainWindow, QPushButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from vp_desk.ui.privacy import (
    MASK,
    ClipboardGuard,
    IdleLock,
    PrivacyCover,
    PrivacyGuard,
    mask_email,
    mask_phone,
)

WAIT_MS = 5_000
ALICE = uuid.UUID("3f2b8c1e-7d4a-4e9b-9c2f-5a6d7e8f9012")
BOB = uuid.UUID("9a1c0d2e-3b4f-4a5b-8c6d-7e8f90a1b2c3")


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("john@example.com", "j***@example.com"),
        ("john.smith+vip@example.co.uk", "j***@example.co.uk"),
        ("jörg@bücher.de", "j***@bücher.de"),
        ("a@example.com", "***@example.com"),
        ('"john@home"@example.com', '"***@example.com'),
        ("  john@example.com  ", "j***@example.com"),
        ("john@", MASK),
        ("@example.com", MASK),
        ("no address", MASK),
        ("", ""),
    ],
)
def test_mask_email(email: str, masked: str) -> None:
    assert mask_email(email) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+442079460123", "+44******0123"),
        ("+44 20 7946 0123", "+44******0123"),
        ("+1 201-555-0123", "+1******0123"),
        ("+39 02 1234 5678", "+39******5678"),
        ("+353 1 234 5678", "+353****5678"),
        ("+44 20 7946 0123 ext. 12", "+44******0123"),
        ("+８１ ３-１２３４-５６７８", "+81*****5678"),  # noqa: RUF001
        # Numbers that phonenumbers cannot parse keep a known country code.
        ("+44 123", "+44***"),
        ("+44 12345", "+44***45"),
        ("+999 1234 5678", "+*******5678"),
        ("+", MASK),
        # National numbers keep no country code.
        ("020 7946 0123", "*******0123"),
        ("12345", "***45"),
        ("1234", "****"),
        ("7", "*"),
        ("unknown", MASK),
        ("", ""),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


# --- PrivacyGuard ----------------------------------------------------------------------------


def test_guard_masks_by_default() -> None:
    guard = PrivacyGuard()

    assert guard.display_email(ALICE, "alice@example.com") == "a***@example.com"
    assert guard.display_phone(ALICE, "+44 20 7946 0123") == "+44******0123"
    assert guard.display_email(ALICE, None) == ""
    assert guard.display_phone(ALICE, "") == ""


def test_reveal_then_select_other(qtbot: QtBot) -> None:
    guard = PrivacyGuard()

    with qtbot.waitSignal(guard.masking_changed, timeout=WAIT_MS):
        guard.reveal(ALICE)

    assert guard.display_email(ALICE, "alice@example.com") == "alice@example.com"
    assert guard.display_email(BOB, "bob@example.com") == "b***@example.com"

    with qtbot.assertNotEmitted(guard.masking_changed):
        guard.on_customer_selected(ALICE)
    assert not guard.is_masked(ALICE)

    with qtbot.waitSignal(guard.masking_changed, timeout=WAIT_MS):
        guard.on_customer_selected(BOB)
    assert guard.display_email(ALICE, "alice@example.com") == "a***@example.com"
    assert guard.revealed_customer is None


def test_selecting_none_masks_again() -> None:
    guard = PrivacyGuard()
    guard.reveal(ALICE)

    guard.on_customer_selected(None)

    assert guard.is_masked(ALICE)


def test_conceal_masks_again(qtbot: QtBot) -> None:
    guard = PrivacyGuard()
    guard.reveal(ALICE)

    with qtbot.waitSignal(guard.masking_changed, timeout=WAIT_MS):
        guard.conceal()

    assert guard.is_masked(ALICE)


def test_masking_off_shows_everything(qtbot: QtBot) -> None:
    guard = PrivacyGuard()

    with qtbot.waitSignal(guard.masking_changed, timeout=WAIT_MS):
        guard.set_masking_enabled(False)

    assert guard.display_email(BOB, "bob@example.com") == "bob@example.com"
    assert guard.display_phone(BOB, "+44 20 7946 0123") == "+44 20 7946 0123"


def test_reveal_logs_count_only(caplog: pytest.LogCaptureFixture) -> None:
    guard = PrivacyGuard()

    with caplog.at_level(logging.INFO, logger="vp_desk.ui"):
        guard.reveal(ALICE)
        guard.reveal(ALICE)
        guard.reveal(BOB)

    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "Revealed contact details (reveal number 1)",
        "Revealed contact details (reveal number 2)",
    ]
    assert str(ALICE) not in caplog.text
    assert str(BOB) not in caplog.text


def test_reveal_without_masking_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    guard = PrivacyGuard(masking_enabled=False)

    with caplog.at_level(logging.INFO, logger="vp_desk.ui"):
        guard.reveal(ALICE)

    assert caplog.records == []


# --- IdleLock and PrivacyCover ---------------------------------------------------------------


class FakeClock:
    """A clock that advances only when a test calls advance()."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_lock() -> Iterator[type[IdleLock]]:
    """Build idle locks and remove their application-wide event filters after the test."""
    locks: list[IdleLock] = []

    def build(*args: object, **kwargs: object) -> IdleLock:
        lock = IdleLock(*args, **kwargs)  # type: ignore[arg-type]
        locks.append(lock)
        return lock

    yield build  # type: ignore[misc]
    for lock in locks:
        lock.stop()
        lock.deleteLater()


class LockedWindow(QMainWindow):
    """A window with a search field under a privacy cover, like the main window."""

    def __init__(self) -> None:
        super().__init__()
        central = QWidget()
        self.edit = QLineEdit()
        self.edit.setAccessibleName("Search")
        layout = QVBoxLayout(central)
        layout.addWidget(self.edit)
        self.setCentralWidget(central)
        self.cover = PrivacyCover(central)
        self.refreshes = 0
        QShortcut(QKeySequence("F5"), self, activated=self.refresh)

    def refresh(self) -> None:
        self.refreshes += 1


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[LockedWindow]:
    shown = LockedWindow()
    qtbot.addWidget(shown)
    shown.resize(400, 300)
    shown.show()
    qtbot.waitExposed(shown)
    shown.edit.setFocus()
    yield shown
    shown.cover.hide_cover()


def press_key(window: QWidget, key: Qt.Key) -> None:
    """Press ``key`` in ``window`` the way the platform delivers it: to the window first."""
    QTest.keyClick(window.windowHandle(), key)


def test_lock_after_idle_time(qtbot: QtBot, make_lock: type[IdleLock], clock: FakeClock) -> None:
    lock = make_lock(5, clock=clock)

    clock.advance(299)
    lock.check_idle()
    assert not lock.is_locked()

    clock.advance(1)
    with qtbot.waitSignal(lock.locked, timeout=WAIT_MS):
        lock.check_idle()
    assert lock.is_locked()


def test_input_resets_idle_time(
    qtbot: QtBot, make_lock: type[IdleLock], clock: FakeClock, window: LockedWindow
) -> None:
    lock = make_lock(5, clock=clock)

    clock.advance(200)
    press_key(window, Qt.Key.Key_A)
    clock.advance(200)
    lock.check_idle()
    assert not lock.is_locked()

    clock.advance(60)
    QTest.mouseMove(window.windowHandle(), QPoint(15, 15))
    clock.advance(250)
    lock.check_idle()
    assert not lock.is_locked()

    clock.advance(50)
    lock.check_idle()
    assert lock.is_locked()


def test_first_input_after_idle_time_locks(
    qtbot: QtBot, make_lock: type[IdleLock], clock: FakeClock, window: LockedWindow
) -> None:
    lock = make_lock(5, clock=clock)
    lock.attach_cover(window.cover)

    # No timer fired, as after a sleep; the key locks and does not reach the field.
    clock.advance(3600)
    press_key(window, Qt.Key.Key_A)

    assert lock.is_locked()
    assert window.cover.is_covering()
    assert window.edit.text() == ""


def test_input_into_a_window_opened_later_counts(
    qtbot: QtBot, make_lock: type[IdleLock], clock: FakeClock
) -> None:
    lock = make_lock(5, clock=clock)
    later = LockedWindow()
    qtbot.addWidget(later)
    later.show()
    later.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is later.windowHandle(), timeout=WAIT_MS)

    clock.advance(200)
    press_key(later, Qt.Key.Key_B)
    clock.advance(200)
    lock.check_idle()

    assert not lock.is_locked()
    assert later.edit.text() == "b"


def test_lock_timer_fires(qtbot: QtBot, make_lock: type[IdleLock]) -> None:
    # 0.001 minutes is 60 ms of the real clock.
    lock = make_lock(0.001)

    with qtbot.waitSignal(lock.locked, timeout=WAIT_MS):
        pass

    assert lock.is_locked()


def test_zero_minutes_never_locks(
    qtbot: QtBot, make_lock: type[IdleLock], clock: FakeClock, window: LockedWindow
) -> None:
    lock = make_lock(0, clock=clock)

    clock.advance(10**6)
    with qtbot.assertNotEmitted(lock.locked, wait=50):
        lock.check_idle()
        press_key(window, Qt.Key.Key_A)

    assert not lock.is_locked()


def test_negative_minutes_rejected() -> None:
    with pytest.raises(ValueError, match="minutes"):
        IdleLock(-1)


def test_cover_appears_and_key_removes_it(
    qtbot: QtBot, make_lock: type[IdleLock], clock: FakeClock, window: LockedWindow
) -> None:
    lock = make_lock(5, clock=clock)
    lock.attach_cover(window.cover)
    window.edit.setText("+44 20 7946 0123")

    clock.advance(300)
    lock.check_idle()

    cover = window.cover
    assert cover.is_covering()
    assert cover.geometry() == window.centralWidget().rect()
    assert cover.hasFocus()
    assert cover.accessibleName() == "Privacy lock"
    assert cover.message.text() == "Locked for privacy. Click or press a key to continue."

    with qtbot.waitSignal(lock.unlocked, timeout=WAIT_MS):
        qtbot.keyClick(cover, Qt.Key.Key_X)

    assert not cover.is_covering()
    assert not lock.is_locked()
    # The key only unlocks; it is not typed into the field under the cover.
    assert window.edit.text() == "+44 20 7946 0123"
    assert window.edit.hasFocus()


def test_click_removes_cover(
    qtbot: QtBot, make_lock: type[IdleLock], clock: FakeClock, window: LockedWindow
) -> None:
    lock = make_lock(5, clock=clock)
    lock.attach_cover(window.cover)
    lock.lock()
    assert window.cover.is_covering()

    with qtbot.waitSignal(window.cover.unlocked, timeout=WAIT_MS):
        qtbot.mouseClick(window.cover, Qt.MouseButton.LeftButton)

    assert not window.cover.is_covering()
    assert not lock.is_locked()


def test_cover_blocks_widgets_under_it(
    qtbot: QtBot, make_lock: type[IdleLock], clock: FakeClock, window: LockedWindow
) -> None:
    lock = make_lock(5, clock=clock)
    lock.attach_cover(window.cover)
    lock.lock()

    # A key sent straight to the field under the cover unlocks and types nothing.
    qtbot.keyClick(window.edit, Qt.Key.Key_A)

    assert window.edit.text() == ""
    assert not window.cover.is_covering()

    # Nor does a key fire the window's shortcut.
    lock.lock()
    qtbot.keyClick(window.edit, Qt.Key.Key_F5)

    assert window.refreshes == 0
    assert not window.cover.is_covering()


def test_click_under_cover_is_swallowed(
    qtbot: QtBot, make_lock: type[IdleLock], clock: FakeClock, window: LockedWindow
) -> None:
    lock = make_lock(5, clock=clock)
    lock.attach_cover(window.cover)
    button = QPushButton("Reveal", window.centralWidget())
    button.show()
    lock.lock()

    with qtbot.assertNotEmitted(button.clicked):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    assert not window.cover.is_covering()


def test_cover_follows_parent_size(qtbot: QtBot, window: LockedWindow) -> None:
    window.cover.show_cover()

    window.resize(600, 500)
    qtbot.waitUntil(lambda: window.cover.size() == window.centralWidget().size(), timeout=WAIT_MS)

    assert window.cover.geometry() == window.centralWidget().rect()


def test_unlock_restarts_idle_time(
    qtbot: QtBot, make_lock: type[IdleLock], clock: FakeClock
) -> None:
    lock = make_lock(5, clock=clock)
    clock.advance(300)
    lock.check_idle()

    lock.unlock()
    clock.advance(299)
    lock.check_idle()
    assert not lock.is_locked()

    clock.advance(1)
    lock.check_idle()
    assert lock.is_locked()


# --- ClipboardGuard --------------------------------------------------------------------------


@pytest.fixture
def clipboard_guard() -> Iterator[ClipboardGuard]:
    guard = ClipboardGuard(clear_after_ms=50)
    QGuiApplication.clipboard().clear()
    yield guard
    guard.clear_now()
    guard.deleteLater()
    QGuiApplication.clipboard().clear()


def test_clipboard_cleared_after_interval(qtbot: QtBot, clipboard_guard: ClipboardGuard) -> None:
    clipboard = QGuiApplication.clipboard()

    clipboard_guard.copy("alice@example.com", "email")
    assert clipboard.text() == "alice@example.com"

    qtbot.waitUntil(lambda: clipboard.text() == "", timeout=WAIT_MS)


def test_clipboard_kept_when_changed(qtbot: QtBot, clipboard_guard: ClipboardGuard) -> None:
    clipboard = QGuiApplication.clipboard()

    clipboard_guard.copy("alice@example.com", "email")
    clipboard.setText("order 1234")
    qtbot.wait(200)

    assert clipboard.text() == "order 1234"


def test_clipboard_kept_when_changed_back(qtbot: QtBot, clipboard_guard: ClipboardGuard) -> None:
    clipboard = QGuiApplication.clipboard()

    # The agent copied something else and then the same value again by hand: it is theirs.
    clipboard_guard.copy("alice@example.com", "email")
    clipboard.setText("order 1234")
    clipboard.setText("alice@example.com")
    qtbot.wait(200)

    assert clipboard.text() == "alice@example.com"


def test_clipboard_never_cleared_with_zero(qtbot: QtBot, clipboard_guard: ClipboardGuard) -> None:
    clipboard_guard.set_clear_after_ms(0)

    clipboard_guard.copy("+442079460123", "phone")
    qtbot.wait(200)

    assert QGuiApplication.clipboard().text() == "+442079460123"


def test_later_copy_restarts_interval(qtbot: QtBot, clipboard_guard: ClipboardGuard) -> None:
    clipboard = QGuiApplication.clipboard()
    clipboard_guard.set_clear_after_ms(300)

    clipboard_guard.copy("alice@example.com", "email")
    qtbot.wait(200)
    clipboard_guard.copy("+442079460123", "phone")
    qtbot.wait(200)
    assert clipboard.text() == "+442079460123"

    qtbot.waitUntil(lambda: clipboard.text() == "", timeout=WAIT_MS)


def test_clipboard_marks_secret() -> None:
    guard = ClipboardGuard(clear_after_ms=0)
    try:
        guard.copy("alice@example.com", "email")
        mime = QGuiApplication.clipboard().mimeData()
        assert mime.data("x-kde-passwordManagerHint").data() == b"secret"
    finally:
        QGuiApplication.clipboard().clear()
        guard.deleteLater()


def test_copy_logs_count_only(
    clipboard_guard: ClipboardGuard, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="vp_desk.ui"):
        clipboard_guard.copy("alice@example.com", "email")
        clipboard_guard.copy("+442079460123", "phone")

    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "Copied the email to the clipboard (copy number 1)",
        "Copied the phone to the clipboard (copy number 2)",
    ]
    assert "alice" not in caplog.text
    assert "7946" not in caplog.text


def test_negative_interval_rejected() -> None:
    with pytest.raises(ValueError, match="interval"):
        ClipboardGuard(clear_after_ms=-1)
