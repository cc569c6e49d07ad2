"""The Settings dialog: profiles, colours, keys in the keyring, and the connection test."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from tests.gui.helpers import WAIT_MS
from tests.unit.conftest import MemoryKeyring
from vp_desk.api.errors import UnauthorizedError
from vp_desk.config import Profile, Settings
from vp_desk.credentials import KEYRING_SERVICE, KeyringCredentials
from vp_desk.sandbox.data import Store
from vp_desk.sandbox.server import SandboxServer
from vp_desk.ui.settings_dialog import PALETTE, SettingsDialog, check_connection, profile_colours

COFFEE = Profile(name="Coffee shop", base_url="https://coffee.example.com", default_region="GB")
OUTDOOR = Profile(name="Outdoor shop", base_url="https://outdoor.example.com", default_region="US")
TWO_PROFILES = Settings(profiles=[COFFEE, OUTDOOR], active_profile="Outdoor shop")

COFFEE_KEY = "sk_test_coffee_0123456789"
OUTDOOR_KEY = "sk_test_outdoor_0123456789"
NEW_KEY = "sk_test_new_abcdef0123456789"


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Install a fresh in-memory keyring for the test and restore the previous one after."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


class CaselessKeyring(MemoryKeyring):
    """A keyring that matches names without regard to case, as some operating systems do."""

    def get_password(self, service: str, username: str) -> str | None:
        return super().get_password(service, username.casefold())

    def set_password(self, service: str, username: str, password: str) -> None:
        super().set_password(service, username.casefold(), password)

    def delete_password(self, service: str, username: str) -> None:
        super().delete_password(service, username.casefold())


@pytest.fixture
def caseless_keyring() -> Iterator[CaselessKeyring]:
    """Install a fresh in-memory keyring that ignores case, and restore the previous one."""
    previous = keyring.get_keyring()
    backend = CaselessKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """Install the keyring backend that fails every call, as on a machine without a keyring."""
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def closed_port() -> Iterator[int]:
    """Return a loopback port that is bound but not listening, so connecting is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound.getsockname()[1]


def stored(backend: MemoryKeyring) -> dict[str, str]:
    return {
        name: key
        for (service, name), key in backend.passwords.items()
        if service == KEYRING_SERVICE
    }


def open_dialog(
    qtbot: QtBot,
    settings: Settings = TWO_PROFILES,
    session_keys: dict[str, str] | None = None,
    **options: object,
) -> SettingsDialog:
    dialog = SettingsDialog(
        settings,
        {} if session_keys is None else session_keys,
        credentials=KeyringCredentials(),
        **options,  # type: ignore[arg-type]
    )
    qtbot.addWidget(dialog)
    dialog.show()
    # Focus moves only inside the active window.
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=WAIT_MS)
    return dialog


def select(dialog: SettingsDialog, name: str) -> None:
    for row in range(dialog.profile_list.count()):
        if dialog.profile_list.item(row).text().startswith(name):
            dialog.profile_list.setCurrentRow(row)
            return
    raise AssertionError(f"No profile {name!r} in the list")


def type_into(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    """Replace the text of ``edit`` as the agent would, so that ``textEdited`` is emitted."""
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    if text.isascii():
        qtbot.keyClicks(edit, text)
    else:
        # QTest types only ASCII, so insert() stands in for pasting. It emits textEdited too.
        edit.insert(text)


def item_texts(dialog: SettingsDialog) -> list[str]:
    return [dialog.profile_list.item(row).text() for row in range(dialog.profile_list.count())]


# Listing and form


def test_profiles_are_listed_with_active_mark(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    dialog = open_dialog(qtbot)

    assert item_texts(dialog) == ["Coffee shop", "Outdoor shop (active)"]
    assert dialog.name_edit.text() == "Coffee shop"
    assert dialog.url_edit.text() == "https://coffee.example.com"
    assert dialog.region_edit.text() == "GB"


def test_profiles_get_different_colours(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    dialog = open_dialog(qtbot)
    dialog.accept()

    colours = dialog.colours()
    assert set(colours) == {"Coffee shop", "Outdoor shop"}
    assert colours["Coffee shop"] != colours["Outdoor shop"]
    assert set(colours.values()) <= set(PALETTE)


def test_profile_colours_avoid_chosen_ones() -> None:
    third = Profile(name="Book shop", base_url="https://books.example.com", default_region="IT")

    colours = profile_colours([COFFEE, OUTDOOR, third], {"Outdoor shop": PALETTE[0]})

    assert colours == {
        "Coffee shop": PALETTE[1],
        "Outdoor shop": PALETTE[0],
        "Book shop": PALETTE[2],
    }


def test_profile_colours_repeat_when_palette_is_used_up() -> None:
    profiles = [
        Profile(name=f"Shop {number}", base_url="https://shop.example.com", default_region="GB")
        for number in range(len(PALETTE) + 2)
    ]

    colours = list(profile_colours(profiles).values())

    assert colours[: len(PALETTE)] == list(PALETTE)
    assert colours[len(PALETTE) :] == [PALETTE[0], PALETTE[1]]


def test_chosen_colour_is_returned(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    dialog = open_dialog(qtbot, colours={"Coffee shop": PALETTE[3]})
    assert dialog.colour_combo.currentData() == PALETTE[3]
    assert dialog.profile_list.item(0).toolTip() == "Red"

    dialog.colour_combo.setFocus()
    qtbot.keyClick(dialog.colour_combo, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.colour_combo, Qt.Key.Key_Down)
    dialog.accept()

    assert dialog.colours()["Coffee shop"] == PALETTE[5]
    assert dialog.profile_list.item(0).toolTip() == "Teal"


def test_key_edit_is_masked(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    dialog = open_dialog(qtbot)

    assert dialog.key_edit.echoMode() == dialog.key_edit.EchoMode.Password


def test_placeholder_shows_key_location(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    third = Profile(name="Book shop", base_url="https://books.example.com", default_region="IT")
    settings = Settings(profiles=[COFFEE, OUTDOOR, third])
    KeyringCredentials().set_key("Coffee shop", COFFEE_KEY)
    dialog = open_dialog(qtbot, settings, {"Outdoor shop": OUTDOOR_KEY})

    select(dialog, "Coffee shop")
    assert dialog.key_edit.placeholderText() == "Stored in the keyring — type to replace"
    assert dialog.key_edit.text() == ""
    select(dialog, "Outdoor shop")
    assert dialog.key_edit.placeholderText().startswith("Stored for this session only")
    select(dialog, "Book shop")
    assert dialog.key_edit.placeholderText() == "No key"
    assert not dialog.remove_key_button.isEnabled()


def test_tab_reaches_every_named_control(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    KeyringCredentials().set_key("Coffee shop", COFFEE_KEY)
    dialog = open_dialog(qtbot)
    expected = [
        dialog.profile_list,
        dialog.add_button,
        dialog.remove_button,
        dialog.use_button,
        dialog.name_edit,
        dialog.url_edit,
        dialog.region_edit,
        dialog.colour_combo,
        dialog.key_edit,
        dialog.test_button,
        dialog.remove_key_button,
        dialog.ok_button,
        dialog.cancel_button,
    ]
    dialog.profile_list.setFocus()
    qtbot.waitUntil(dialog.profile_list.hasFocus, timeout=WAIT_MS)

    reached: list[QWidget | None] = [QApplication.focusWidget()]
    for _ in expected[1:]:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        reached.append(QApplication.focusWidget())

    assert [widget.objectName() for widget in reached if widget] == [
        widget.objectName() for widget in expected
    ]
    for widget in [*expected, dialog.keep_button, dialog.decline_button]:
        assert widget.accessibleName(), widget.objectName()


# Rejected input


@pytest.mark.parametrize(
    ("edit", "text", "expected"),
    [
        ("url_edit", "ftp://coffee.example.com", "ftp://coffee.example.com is not a web address"),
        ("url_edit", "http://coffee.example.com", "would send the API key unencrypted"),
        ("url_edit", "", "Enter the base URL"),
        ("region_edit", "XX", "XX is not a known region code"),
        ("region_edit", "", "— is not a known region code"),
        ("key_edit", "sk_test abc", "contains spaces or line breaks"),
        ("key_edit", "k" * 1001, "longer than 1000 characters"),
        ("key_edit", "sk_test_é", "characters that an API key cannot have"),
        ("name_edit", "  ", "Enter a name for this profile"),
        ("name_edit", "outdoor SHOP", "Two profiles are called “Outdoor shop”"),
    ],
)
def test_invalid_input_is_explained(
    qtbot: QtBot, memory_keyring: MemoryKeyring, edit: str, text: str, expected: str
) -> None:
    dialog = open_dialog(qtbot)
    type_into(qtbot, getattr(dialog, edit), text)

    dialog.ok_button.click()

    assert dialog.isVisible()
    assert dialog.settings() is None
    assert expected in dialog.problem.text()
    assert dialog.problem.textFormat() == Qt.TextFormat.PlainText
    assert stored(memory_keyring) == {}


def test_invalid_hidden_profile_is_selected(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    dialog = open_dialog(qtbot)
    type_into(qtbot, dialog.region_edit, "XX")
    select(dialog, "Outdoor shop")

    dialog.ok_button.click()

    assert dialog.name_edit.text() == "Coffee shop"
    assert "XX is not a known region code" in dialog.problem.text()


# Saving


def test_ok_returns_settings_and_stores_key(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    dialog = open_dialog(qtbot)
    type_into(qtbot, dialog.url_edit, "https://coffee.example.com/api/v1/")
    type_into(qtbot, dialog.region_edit, "it")
    type_into(qtbot, dialog.key_edit, NEW_KEY)

    dialog.ok_button.click()

    assert not dialog.isVisible()
    settings = dialog.settings()
    assert settings is not None
    without_colours = [profile.model_copy(update={"colour": None}) for profile in settings.profiles]
    assert without_colours == [
        Profile(name="Coffee shop", base_url="https://coffee.example.com", default_region="IT"),
        OUTDOOR,
    ]
    assert settings.active_profile == "Outdoor shop"
    colours = [profile.colour for profile in settings.profiles]
    assert None not in colours
    assert len(set(colours)) == 2
    assert stored(memory_keyring) == {"Coffee shop": NEW_KEY}


def test_cancel_changes_nothing(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    KeyringCredentials().set_key("Coffee shop", COFFEE_KEY)
    session_keys = {"Outdoor shop": OUTDOOR_KEY}
    dialog = open_dialog(qtbot, session_keys=session_keys)
    dialog.remove_key_button.click()
    dialog.remove_button.click()
    type_into(qtbot, dialog.key_edit, NEW_KEY)

    dialog.cancel_button.click()

    assert dialog.settings() is None
    assert stored(memory_keyring) == {"Coffee shop": COFFEE_KEY}
    assert session_keys == {"Outdoor shop": OUTDOOR_KEY}


def test_use_button_makes_profile_active(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    dialog = open_dialog(qtbot)
    select(dialog, "Coffee shop")

    dialog.use_button.click()
    assert item_texts(dialog) == ["Coffee shop (active)", "Outdoor shop"]
    dialog.ok_button.click()

    settings = dialog.settings()
    assert settings is not None
    assert settings.active_profile == "Coffee shop"


def test_added_profile_is_saved(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    dialog = open_dialog(qtbot, colours={"Coffee shop": PALETTE[0], "Outdoor shop": PALETTE[1]})

    dialog.add_button.click()
    assert dialog.name_edit.hasFocus()
    type_into(qtbot, dialog.name_edit, "Book shop")
    type_into(qtbot, dialog.url_edit, "https://books.example.com")
    type_into(qtbot, dialog.key_edit, NEW_KEY)
    dialog.ok_button.click()

    settings = dialog.settings()
    assert settings is not None
    assert [profile.name for profile in settings.profiles] == [
        "Coffee shop",
        "Outdoor shop",
        "Book shop",
    ]
    assert settings.profiles[2].default_region == "US"
    assert dialog.colours()["Book shop"] == PALETTE[2]
    assert stored(memory_keyring) == {"Book shop": NEW_KEY}


def test_first_added_profile_is_active(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    dialog = open_dialog(qtbot, Settings(), default_region="DE")
    assert not dialog.form_area.isEnabled()

    dialog.add_button.click()
    type_into(qtbot, dialog.url_edit, "https://books.example.com")
    dialog.ok_button.click()

    settings = dialog.settings()
    assert settings is not None
    assert settings.active_profile == "New profile"
    assert settings.profiles[0].default_region == "DE"


# Keys


def test_remove_key_deletes_keyring_and_session_key(
    qtbot: QtBot, memory_keyring: MemoryKeyring
) -> None:
    KeyringCredentials().set_key("Coffee shop", COFFEE_KEY)
    session_keys = {"Outdoor shop": OUTDOOR_KEY}
    dialog = open_dialog(qtbot, session_keys=session_keys)

    select(dialog, "Coffee shop")
    dialog.remove_key_button.click()
    assert "removed when you press OK" in dialog.key_edit.placeholderText()
    select(dialog, "Outdoor shop")
    dialog.remove_key_button.click()
    dialog.ok_button.click()

    assert stored(memory_keyring) == {}
    assert session_keys == {}


def test_rename_moves_keyring_key(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    KeyringCredentials().set_key("Coffee shop", COFFEE_KEY)
    KeyringCredentials().set_key("Outdoor shop", OUTDOOR_KEY)
    dialog = open_dialog(qtbot)

    select(dialog, "Outdoor shop")
    type_into(qtbot, dialog.name_edit, "Mountain shop")
    assert item_texts(dialog)[1] == "Mountain shop (active)"
    dialog.ok_button.click()

    settings = dialog.settings()
    assert settings is not None
    assert settings.active_profile == "Mountain shop"
    assert stored(memory_keyring) == {"Coffee shop": COFFEE_KEY, "Mountain shop": OUTDOOR_KEY}


def test_swapped_names_keep_their_keys(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    KeyringCredentials().set_key("Coffee shop", COFFEE_KEY)
    KeyringCredentials().set_key("Outdoor shop", OUTDOOR_KEY)
    dialog = open_dialog(qtbot)

    select(dialog, "Coffee shop")
    type_into(qtbot, dialog.name_edit, "Outdoor shop")
    select(dialog, "Outdoor shop (active)")
    type_into(qtbot, dialog.name_edit, "Coffee shop")
    dialog.ok_button.click()

    assert stored(memory_keyring) == {"Outdoor shop": COFFEE_KEY, "Coffee shop": OUTDOOR_KEY}


def test_rename_in_case_keeps_key(qtbot: QtBot, caseless_keyring: CaselessKeyring) -> None:
    KeyringCredentials().set_key("Coffee shop", COFFEE_KEY)
    dialog = open_dialog(qtbot)

    type_into(qtbot, dialog.name_edit, "COFFEE SHOP")
    dialog.ok_button.click()

    assert dialog.settings() is not None
    assert KeyringCredentials().get_key("COFFEE SHOP") == COFFEE_KEY


def test_rename_moves_session_key(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    session_keys = {"Outdoor shop": OUTDOOR_KEY, "Elsewhere": "sk_test_other"}
    dialog = open_dialog(qtbot, session_keys=session_keys)

    select(dialog, "Outdoor shop")
    type_into(qtbot, dialog.name_edit, "Mountain shop")
    dialog.ok_button.click()

    assert session_keys == {"Mountain shop": OUTDOOR_KEY, "Elsewhere": "sk_test_other"}
    assert stored(memory_keyring) == {}


def test_removed_profile_loses_its_key(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    KeyringCredentials().set_key("Coffee shop", COFFEE_KEY)
    KeyringCredentials().set_key("Outdoor shop", OUTDOOR_KEY)
    dialog = open_dialog(qtbot)

    select(dialog, "Outdoor shop")
    dialog.remove_button.click()
    assert item_texts(dialog) == ["Coffee shop (active)"]
    dialog.ok_button.click()

    settings = dialog.settings()
    assert settings is not None
    assert settings.active_profile == "Coffee shop"
    assert stored(memory_keyring) == {"Coffee shop": COFFEE_KEY}


def test_new_profile_does_not_inherit_old_key(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    # A key left in the keyring by a profile that is gone, perhaps for another server.
    KeyringCredentials().set_key("Book shop", "sk_test_left_behind")
    dialog = open_dialog(qtbot)

    dialog.add_button.click()
    type_into(qtbot, dialog.name_edit, "Book shop")
    type_into(qtbot, dialog.url_edit, "https://books.example.com")
    dialog.ok_button.click()

    assert dialog.settings() is not None
    assert stored(memory_keyring) == {}


def test_removed_then_readded_name_has_no_key(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    KeyringCredentials().set_key("Outdoor shop", OUTDOOR_KEY)
    dialog = open_dialog(qtbot)

    select(dialog, "Outdoor shop")
    dialog.remove_button.click()
    dialog.add_button.click()
    type_into(qtbot, dialog.name_edit, "Outdoor shop")
    type_into(qtbot, dialog.url_edit, "https://other.example.com")
    dialog.ok_button.click()

    assert dialog.settings() is not None
    assert stored(memory_keyring) == {}


def test_no_keyring_keeps_key_for_session(
    qtbot: QtBot,
    no_keyring: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for variable in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    monkeypatch.chdir(tmp_path)
    session_keys: dict[str, str] = {}
    dialog = open_dialog(qtbot, session_keys=session_keys)
    assert dialog.key_edit.placeholderText() == "The keyring cannot be read — type the key"

    type_into(qtbot, dialog.key_edit, NEW_KEY)
    with caplog.at_level(logging.DEBUG):
        dialog.ok_button.click()
        assert dialog.isVisible()
        assert dialog.session_offer.isVisible()
        assert "cannot store the API key of “Coffee shop”" in dialog.session_question.text()
        assert session_keys == {}
        assert dialog.keep_button.hasFocus()
        qtbot.keyClick(dialog.keep_button, Qt.Key.Key_Tab)
        assert dialog.decline_button.hasFocus()
        dialog.keep_button.click()

    assert not dialog.isVisible()
    assert session_keys == {"Coffee shop": NEW_KEY}
    settings = dialog.settings()
    assert settings is not None
    assert NEW_KEY not in settings.model_dump_json()
    assert all(NEW_KEY not in record.getMessage() for record in caplog.records)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert NEW_KEY.encode() not in path.read_bytes(), path


def test_declined_session_offer_saves_nothing(qtbot: QtBot, no_keyring: None) -> None:
    session_keys: dict[str, str] = {}
    dialog = open_dialog(qtbot, session_keys=session_keys)
    type_into(qtbot, dialog.key_edit, NEW_KEY)

    dialog.ok_button.click()
    dialog.decline_button.click()

    assert dialog.isVisible()
    assert not dialog.session_offer.isVisible()
    assert dialog.settings() is None
    assert session_keys == {}
    assert dialog.problem.text().startswith("The settings were not saved because the keyring")


def test_no_keyring_still_removes_profiles(qtbot: QtBot, no_keyring: None) -> None:
    session_keys = {"Outdoor shop": OUTDOOR_KEY}
    dialog = open_dialog(qtbot, session_keys=session_keys)

    select(dialog, "Outdoor shop")
    dialog.remove_button.click()
    dialog.ok_button.click()

    assert not dialog.isVisible()
    assert session_keys == {}


# Connection test


def test_connection_succeeds_with_store_key(
    qtbot: QtBot, memory_keyring: MemoryKeyring, sandbox_server: SandboxServer, store: Store
) -> None:
    dialog = open_dialog(qtbot)
    type_into(qtbot, dialog.url_edit, sandbox_server.base_url)
    type_into(qtbot, dialog.key_edit, store.api_key)

    with qtbot.waitSignal(dialog.connection_tested, timeout=WAIT_MS) as blocker:
        dialog.test_button.click()
        assert not dialog.test_button.isEnabled()
        assert dialog.test_result.text() == "Testing the connection…"

    assert blocker.args == [True, "Connected: the key works."]
    assert dialog.test_result.text() == "Connected: the key works."
    assert dialog.test_button.isEnabled()
    assert stored(memory_keyring) == {}


def test_connection_uses_stored_key(
    qtbot: QtBot, memory_keyring: MemoryKeyring, sandbox_server: SandboxServer, store: Store
) -> None:
    local = Profile(name="Sandbox", base_url=sandbox_server.base_url, default_region="GB")
    KeyringCredentials().set_key("Sandbox", store.api_key)
    dialog = open_dialog(qtbot, Settings(profiles=[local]))

    with qtbot.waitSignal(dialog.connection_tested, timeout=WAIT_MS) as blocker:
        dialog.test_button.click()

    assert blocker.args == [True, "Connected: the key works."]


def test_connection_with_wrong_key_is_rejected(
    qtbot: QtBot, memory_keyring: MemoryKeyring, sandbox_server: SandboxServer
) -> None:
    dialog = open_dialog(qtbot)
    type_into(qtbot, dialog.url_edit, sandbox_server.base_url)
    type_into(qtbot, dialog.key_edit, "sk_test_not_a_store_key")

    with qtbot.waitSignal(dialog.connection_tested, timeout=WAIT_MS) as blocker:
        dialog.test_button.click()

    assert blocker.args[0] is False
    assert dialog.test_result.text().startswith("The API key was rejected.")
    assert dialog.test_button.isEnabled()


def test_connection_to_closed_port_fails(
    qtbot: QtBot, memory_keyring: MemoryKeyring, closed_port: int
) -> None:
    dialog = open_dialog(qtbot)
    type_into(qtbot, dialog.url_edit, f"http://127.0.0.1:{closed_port}")
    type_into(qtbot, dialog.key_edit, NEW_KEY)

    with qtbot.waitSignal(dialog.connection_tested, timeout=WAIT_MS) as blocker:
        dialog.test_button.click()

    assert blocker.args[0] is False
    assert "cannot be reached" in dialog.test_result.text()


def test_connection_test_checks_input_first(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    dialog = open_dialog(qtbot)
    type_into(qtbot, dialog.url_edit, "http://coffee.example.com")

    dialog.test_button.click()

    assert "would send the API key unencrypted" in dialog.problem.text()
    assert not dialog.is_testing()
    type_into(qtbot, dialog.url_edit, "https://coffee.example.com")
    dialog.test_button.click()
    assert "Enter the store's private API key" in dialog.problem.text()
    assert not dialog.is_testing()


def test_dialog_responds_during_test(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    release = asyncio.Event()
    received: list[tuple[str, str]] = []

    async def slow_test(base_url: str, api_key: str) -> None:
        received.append((base_url, api_key))
        await release.wait()
        raise UnauthorizedError(401, "unauthorized", "Unknown API key")

    dialog = open_dialog(qtbot, test_connection=slow_test)
    type_into(qtbot, dialog.key_edit, NEW_KEY)
    dialog.test_button.click()
    qtbot.waitUntil(lambda: bool(received), timeout=WAIT_MS)

    type_into(qtbot, dialog.region_edit, "FR")
    assert dialog.region_edit.text() == "FR"
    assert not dialog.test_button.isEnabled()
    with qtbot.waitSignal(dialog.connection_tested, timeout=WAIT_MS):
        release.set()

    assert received == [("https://coffee.example.com", NEW_KEY)]
    assert dialog.test_button.isEnabled()
    assert dialog.test_result.text().startswith("The API key was rejected.")


def test_closing_dialog_cancels_test(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def endless_test(base_url: str, api_key: str) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    dialog = open_dialog(qtbot, test_connection=endless_test)
    type_into(qtbot, dialog.key_edit, NEW_KEY)
    dialog.test_button.click()
    qtbot.waitUntil(started.is_set, timeout=WAIT_MS)

    dialog.reject()

    qtbot.waitUntil(cancelled.is_set, timeout=WAIT_MS)
    assert not dialog.is_testing()
    assert dialog.test_button.isEnabled()


def test_check_connection_raises_for_wrong_key(qtbot: QtBot, sandbox_server: SandboxServer) -> None:
    checking = asyncio.ensure_future(
        check_connection(sandbox_server.base_url, "sk_test_not_a_store_key")
    )

    qtbot.waitUntil(checking.done, timeout=WAIT_MS)

    assert isinstance(checking.exception(), UnauthorizedError)
