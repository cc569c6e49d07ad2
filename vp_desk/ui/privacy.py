"""Privacy on overlooked screens: masked contact details, idle lock, self-clearing clipboard."""

from __future__ import annotations

import logging
import math
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

import phonenumbers
import shiboken6
from phonenumbers import NumberParseException
from PySide6.QtCore import QCoreApplication, QEvent, QMimeData, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QClipboard, QGuiApplication, QWindow
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from vp_desk.phone_masking import mask_subscriber, split_country_code

logger = logging.getLogger("vp_desk.ui")

MASK = "***"

DEFAULT_IDLE_MINUTES = 5.0
DEFAULT_CLIPBOARD_CLEAR_MS = 30_000

# QTimer takes a signed 32-bit interval in milliseconds.
_MAX_TIMER_MS = 2**31 - 1

# KDE's Klipper and several Wayland clipboard managers leave out of their history any
# clipboard content that carries this type with the value "secret".
_HISTORY_EXCLUSION_TYPE = "x-kde-passwordManagerHint"


_INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)
_UNLOCKING_EVENTS = frozenset(
    {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin}
)
# Input that the cover swallows so that nothing under it reacts. An accepted
# ShortcutOverride keeps the window's shortcuts, such as F5, from firing.
_COVERED_EVENTS = _UNLOCKING_EVENTS | {
    QEvent.Type.KeyRelease,
    QEvent.Type.ShortcutOverride,
    QEvent.Type.MouseButtonRelease,
    QEvent.Type.MouseButtonDblClick,
    QEvent.Type.Wheel,
    QEvent.Type.ContextMenu,
    QEvent.Type.TouchUpdate,
    QEvent.Type.TouchEnd,
}


def tr(text: str) -> str:
    """Translate ``text`` in the ``privacy`` context."""
    return QCoreApplication.translate("privacy", text)


# --- Masking ---------------------------------------------------------------------------------


def mask_email(email: str) -> str:
    """Return ``email`` with all of its local part but the first character hidden.

    ``john@example.com`` becomes ``j***@example.com``. A one-character local part is hidden
    whole, and text without a domain becomes ``***``. The domain stays, because it rarely
    names a person and helps the agent recognise the address.
    """
    text = email.strip()
    if not text:
        return ""

    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        return MASK
    if len(local) == 1:
        return f"{MASK}@{domain}"
    return f"{local[0]}{MASK}@{domain}"


def mask_phone(phone: str) -> str:
    """Return ``phone`` with its country code and last digits kept and the rest starred.

    ``+442079460123`` and ``+44 20 7946 0123`` become ``+44******0123``. Numbers of 8 or
    more digits after the country code keep 4, shorter ones 2, and numbers of up to 4
    digits none. Separators and any extension are left out. Text without "+" keeps no
    country code, and text without digits becomes ``***``.
    """
    text = unicodedata.normalize("NFKC", phone).strip()
    if not text:
        return ""

    country, subscriber = _split_country_code(text)
    if not subscriber:
        return MASK

    prefix = "+" if text.startswith("+") else ""
    if country:
        prefix = f"+{country}"
    return f"{prefix}{mask_subscriber(subscriber)}"


def _split_country_code(text: str) -> tuple[str, str]:
    """Return the country code, if known, and the other digits of a phone number."""
    if text.startswith("+"):
        try:
            number = phonenumbers.parse(text, None)
        except NumberParseException:
            pass
        else:
            national = phonenumbers.national_significant_number(number)
            return str(number.country_code), national

    digits = "".join(character for character in text if character in "0123456789")
    if not text.startswith("+"):
        return "", digits
    return split_country_code(digits)


@dataclass(frozen=True, slots=True)
class PrivacyOptions:
    """Settings of the window's guard of customer data on screen and on the clipboard."""

    mask_contacts: bool = True
    lock_minutes: float = 5.0
    clipboard_clear_seconds: int = 30


class PrivacyGuard(QObject):
    """Decides whether the window shows a customer's email and phone number masked.

    Masking is on by default; the connection profile may turn it off. ``reveal`` shows the
    values of one customer until another customer is selected or ``conceal`` is called.
    Each reveal is counted in the log, without the customer or the values.

    Signals:
        masking_changed(): the shown values changed; views show them again.
    """

    masking_changed = Signal()

    def __init__(self, masking_enabled: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._masking_enabled = masking_enabled
        self._revealed: UUID | None = None
        self._reveal_count = 0

    @property
    def masking_enabled(self) -> bool:
        """Whether contact details are masked until revealed."""
        return self._masking_enabled

    @property
    def revealed_customer(self) -> UUID | None:
        """The customer whose details are shown in full, or None."""
        return self._revealed

    def set_masking_enabled(self, enabled: bool) -> None:
        """Turn masking on or off, for example when the profile's setting changes."""
        if enabled == self._masking_enabled:
            return
        self._masking_enabled = enabled
        self._revealed = None
        self.masking_changed.emit()

    def reveal(self, customer_id: UUID) -> None:
        """Show ``customer_id``'s details in full until another customer is selected."""
        if not self._masking_enabled or self._revealed == customer_id:
            return
        self._revealed = customer_id
        self._reveal_count += 1
        logger.info("Revealed contact details (reveal number %d)", self._reveal_count)
        self.masking_changed.emit()

    def conceal(self) -> None:
        """Mask every customer's details again, for example when the screen locks."""
        if self._revealed is None:
            return
        self._revealed = None
        self.masking_changed.emit()

    def on_customer_selected(self, customer_id: UUID | None) -> None:
        """Mask the revealed details again when another customer, or none, is selected."""
        if customer_id != self._revealed:
            self.conceal()

    def is_masked(self, customer_id: UUID) -> bool:
        """Return whether ``customer_id``'s details are shown masked."""
        return self._masking_enabled and customer_id != self._revealed

    def display_email(self, customer_id: UUID, email: str | None) -> str:
        """Return ``email`` as the window shows it for ``customer_id``; "" for None."""
        if not email:
            return ""
        return mask_email(email) if self.is_masked(customer_id) else email

    def display_phone(self, customer_id: UUID, phone_display: str | None) -> str:
        """Return the formatted phone number as the window shows it; "" for None."""
        if not phone_display:
            return ""
        return mask_phone(phone_display) if self.is_masked(customer_id) else phone_display


# --- Idle lock -------------------------------------------------------------------------------


def input_clock() -> float:
    """Return seconds on a clock that also counts time spent in suspend, where there is one.

    Linux's CLOCK_BOOTTIME counts suspended time and time.monotonic() does not, so a
    laptop that slept for an hour wakes up locked.
    """
    if hasattr(time, "CLOCK_BOOTTIME"):
        return time.clock_gettime(time.CLOCK_BOOTTIME)
    # NOTE: where time.monotonic() stops during sleep, time asleep does not count as idle.
    return time.monotonic()


class IdleLock(QObject):
    """Locks the window after some minutes without keyboard, mouse or touch input.

    An event filter on each top-level window records the time of each key press, mouse
    press, mouse move, wheel turn and touch. The windows receive all input before their
    widgets do, and far fewer other events than the application as a whole, whose filter
    would add a Python call to every paint and timer event. Windows are watched once they
    take the focus, or by watch_window(). A single-shot timer wakes up when the time may be over and
    checks again, so input costs one clock reading and no timer restart. The first input
    after the time is over locks instead of counting, which also locks a computer that
    wakes from sleep. 0 minutes turns the lock off.

    Signals:
        locked(): the time without input is over; show a PrivacyCover.
        unlocked(): unlock() was called.
    """

    locked = Signal()
    unlocked = Signal()

    def __init__(
        self,
        minutes: float = DEFAULT_IDLE_MINUTES,
        *,
        clock: Callable[[], float] = input_clock,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._timeout = _idle_seconds(minutes)
        self._last_input = clock()
        self._locked = False

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.check_idle)

        app = _application()
        self._following_focus = isinstance(app, QGuiApplication)
        if isinstance(app, QGuiApplication):
            app.focusWindowChanged.connect(self.watch_window)
            for window in app.topLevelWindows():
                self.watch_window(window)
        self._schedule()

    def watch_window(self, window: QWindow | None) -> None:
        """Count input into ``window`` as activity; watching a window twice changes nothing."""
        # Qt keeps one entry per filter, so a second install only moves it to the front.
        if window is not None:
            window.installEventFilter(self)

    def is_locked(self) -> bool:
        """Return whether the window is locked."""
        return self._locked

    def set_minutes(self, minutes: float) -> None:
        """Lock after ``minutes`` without input from now on; 0 turns the lock off."""
        self._timeout = _idle_seconds(minutes)
        self._schedule()

    def attach_cover(self, cover: PrivacyCover) -> None:
        """Show ``cover`` on lock and unlock when the agent clicks it or presses a key."""
        self.locked.connect(cover.show_cover)
        cover.unlocked.connect(self.unlock)

    def lock(self) -> None:
        """Lock now."""
        if self._locked:
            return
        self._locked = True
        self._timer.stop()
        logger.info("Locked the window (%.0f s without input)", self._idle_time())
        self.locked.emit()

    def unlock(self) -> None:
        """Unlock and start counting idle time again."""
        if not self._locked:
            return
        self._locked = False
        self._last_input = self._clock()
        self._schedule()
        self.unlocked.emit()

    def stop(self) -> None:
        """Remove the event filters and stop the timer; the lock never fires afterwards."""
        self._timer.stop()
        self._timeout = 0.0
        app = QCoreApplication.instance()
        if isinstance(app, QGuiApplication):
            if self._following_focus:
                self._following_focus = False
                app.focusWindowChanged.disconnect(self.watch_window)
            for window in app.allWindows():
                window.removeEventFilter(self)

    def check_idle(self) -> None:
        """Lock when the time without input is over, or wake up again when it may be."""
        if self._locked or self._timeout <= 0:
            return
        if self._idle_time() >= self._timeout:
            self.lock()
        else:
            self._schedule()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if self._locked or event.type() not in _INPUT_EVENTS:
            return False
        if self._timeout > 0 and self._idle_time() >= self._timeout:
            # The timer had no chance to fire, as after a sleep: lock, and keep this input
            # from reaching the window.
            self.lock()
            return True
        self._last_input = self._clock()
        return False

    def _idle_time(self) -> float:
        return self._clock() - self._last_input

    def _schedule(self) -> None:
        if self._locked or self._timeout <= 0:
            self._timer.stop()
            return
        remaining = max(0.0, self._timeout - self._idle_time())
        self._timer.start(min(_MAX_TIMER_MS, math.ceil(remaining * 1000)))


def _idle_seconds(minutes: float) -> float:
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"the idle time must be 0 or more minutes, not {minutes!r}")
    return minutes * 60


class PrivacyCover(QWidget):
    """An opaque widget over its parent that hides the customer while the window is locked.

    It follows the parent's size. While shown, it swallows every key and mouse press in its
    window, so that nothing under it reacts, and the first one hides it again.

    Signals:
        unlocked(): the agent clicked or pressed a key; the cover is hidden.
    """

    unlocked = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("privacyCover")
        self.setAccessibleName(tr("Privacy lock"))
        self.setAccessibleDescription(tr("The customer details are hidden while you are away."))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAutoFillBackground(True)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)

        self.message = QLabel(tr("Locked for privacy. Click or press a key to continue."))
        self.message.setObjectName("privacyCoverMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setAccessibleName(tr("Privacy lock message"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)

        self._area = parent
        # A flag rather than isVisible(), which is False while the window itself is hidden.
        self._covering = False
        self._previous_focus: QWidget | None = None
        parent.installEventFilter(self)
        self.hide()

    def is_covering(self) -> bool:
        """Return whether the cover is up, even while its window is hidden."""
        return self._covering

    def show_cover(self) -> None:
        """Cover the parent and take the keyboard focus."""
        if self._covering:
            return
        self._covering = True
        self.setGeometry(self._area.rect())
        self._previous_focus = QApplication.focusWidget()
        _application().installEventFilter(self)
        self.show()
        self.raise_()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def hide_cover(self) -> None:
        """Uncover the parent and give the focus back to the widget that had it."""
        if not self._covering:
            return
        self._covering = False
        _application().removeEventFilter(self)
        self.hide()
        previous, self._previous_focus = self._previous_focus, None
        if previous is not None and shiboken6.isValid(previous) and previous.isVisible():
            previous.setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if watched is self._area and kind == QEvent.Type.Resize:
            self.setGeometry(self._area.rect())
            return False
        if not self._covering or kind not in _COVERED_EVENTS or not self._in_window(watched):
            return False

        if kind == QEvent.Type.ShortcutOverride:
            event.accept()
        if kind in _UNLOCKING_EVENTS:
            self.hide_cover()
            self.unlocked.emit()
        return True

    def _in_window(self, watched: QObject) -> bool:
        window = self.window()
        if isinstance(watched, QWidget):
            return watched.window() is window
        if isinstance(watched, QWindow):
            return watched is window.windowHandle()
        return False


def _application() -> QCoreApplication:
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("the privacy guards need a QApplication")
    return app


# --- Clipboard -------------------------------------------------------------------------------


class ClipboardGuard(QObject):
    """Puts contact details on the clipboard and clears them again after a while.

    The clipboard is cleared after ``clear_after_ms`` only while it still contains the text
    copied last: once the clipboard changes to other text, it belongs to the agent again.
    Each copy is counted in the log with the kind of value, never the value. 0 never clears.
    """

    def __init__(
        self, clear_after_ms: int = DEFAULT_CLIPBOARD_CLEAR_MS, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._clipboard = QGuiApplication.clipboard()
        self._clear_after_ms = _checked_interval(clear_after_ms)
        self._copied: str | None = None
        self._copy_count = 0

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear_now)
        self._clipboard.dataChanged.connect(self._on_clipboard_changed)

    def set_clear_after_ms(self, clear_after_ms: int) -> None:
        """Clear copies after ``clear_after_ms`` from the next copy on; 0 never clears."""
        self._clear_after_ms = _checked_interval(clear_after_ms)

    def copy(self, text: str, kind: str) -> None:
        """Put ``text`` on the clipboard; ``kind`` names the field, such as "email", for the log."""
        mime = QMimeData()
        mime.setText(text)
        mime.setData(_HISTORY_EXCLUSION_TYPE, b"secret")
        self._copied = text
        self._clipboard.setMimeData(mime, QClipboard.Mode.Clipboard)

        self._copy_count += 1
        logger.info("Copied the %s to the clipboard (copy number %d)", kind, self._copy_count)
        if self._clear_after_ms > 0:
            self._timer.start(self._clear_after_ms)
        else:
            self._timer.stop()

    def clear_now(self) -> None:
        """Clear the clipboard now if it still contains the text copied last."""
        self._timer.stop()
        copied, self._copied = self._copied, None
        if copied is None or self._clipboard.text(QClipboard.Mode.Clipboard) != copied:
            return
        self._clipboard.clear(QClipboard.Mode.Clipboard)
        logger.info("Cleared the copied value from the clipboard")

    def _on_clipboard_changed(self) -> None:
        # Some platforms report the copy itself later; only other text means a new owner.
        if self._copied is None:
            return
        if self._clipboard.text(QClipboard.Mode.Clipboard) != self._copied:
            self._copied = None
            self._timer.stop()


def _checked_interval(milliseconds: int) -> int:
    if not 0 <= milliseconds <= _MAX_TIMER_MS:
        raise ValueError(f"the interval must be 0 to {_MAX_TIMER_MS} ms, not {milliseconds}")
    return milliseconds
