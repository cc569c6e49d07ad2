"""Sources of the window's connection profiles: the settings file, or the demo stores."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from vp_desk.api.identifiers import default_region_from_locale
from vp_desk.config import Profile, Settings, load_settings, save_settings, settings_path
from vp_desk.credentials import KeyringCredentials, KeyringUnavailableError
from vp_desk.offline import DataKeyStore, OfflineStore, SessionDataKeys
from vp_desk.ui.connection_dialog import ConnectionDialog
from vp_desk.ui.settings_dialog import SettingsDialog, profile_colours

logger = logging.getLogger("vp_desk.ui")

DEMO_CUSTOMERS = 10_000


def tr(text: str) -> str:
    """Translate ``text`` in the ``profiles`` context."""
    return QCoreApplication.translate("profiles", text)


def system_region() -> str:
    """Return the phone region of the system locale, such as ``GB``, or ``US`` without one."""
    return default_region_from_locale(QLocale.system().name())


@dataclass(frozen=True)
class Connection:
    """The profile the window works with, the key for its store, and where saved data goes."""

    profile: Profile
    api_key: str = field(repr=False)
    colour: str = "#1a73e8"
    offline_folder: Path | None = None
    offline_keys: DataKeyStore | None = None
    key_for_session_only: bool = False
    """Whether the key lives in memory only, because the keyring could not store it."""

    def open_offline_store(self) -> OfflineStore:
        """Open the profile's store of recent lookups and drop entries past retention."""
        store = OfflineStore.open(
            self.profile.name,
            folder=self.offline_folder,
            keys=self.offline_keys,
            retention_days=self.profile.retention_days,
        )
        store.purge()
        return store


class ProfileSource(Protocol):
    """Supplies connections by profile name, and edits the profiles where that is possible."""

    @property
    def demo(self) -> bool:
        """Whether the profiles are the demo stores, which cannot be edited."""
        ...

    def profile_marks(self) -> list[tuple[str, str]]:
        """Return each profile's name and colour, in menu order."""
        ...

    async def connection(
        self, profile_name: str | None, parent: QWidget | None = None
    ) -> Connection | None:
        """Return the connection of ``profile_name`` (None: the active one), or None to quit.

        A dialog that requests a missing profile or key opens over ``parent``.
        """
        ...

    async def edit_settings(self, parent: QWidget) -> str | None:
        """Let the agent edit the profiles; return the profile to open, or None if unchanged."""
        ...


async def run_dialog(dialog: QDialog) -> int:
    """Show ``dialog`` and wait for its result without a nested event loop."""
    # QDialog.exec() would start a nested event loop inside a coroutine; open() does not.
    finished: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    dialog.finished.connect(lambda result: finished.done() or finished.set_result(result))
    dialog.open()
    return await finished


class DemoProfiles:
    """The sandbox's stores as profiles, with keys and saved data that end with the process."""

    def __init__(self, base_url: str, stores: list[tuple[str, str]], region: str, folder: Path):
        self._base_url = base_url
        self._region = region
        self._folder = folder
        self._keys = SessionDataKeys()
        self._stores = stores
        self._colours = profile_colours(self._profiles())

    @property
    def demo(self) -> bool:
        """Always true: these are the demo stores."""
        return True

    def _profiles(self) -> list[Profile]:
        return [
            Profile(
                name=tr("Demo: {store}").format(store=name),
                base_url=self._base_url,
                default_region=self._region,
            )
            for name, _key in self._stores
        ]

    def profile_marks(self) -> list[tuple[str, str]]:
        """Return each demo store's profile name and colour."""
        return [(profile.name, self._colours[profile.name]) for profile in self._profiles()]

    async def connection(
        self, profile_name: str | None, parent: QWidget | None = None
    ) -> Connection | None:
        """Return the connection of a demo store; the first one by default."""
        pairs = list(zip(self._profiles(), self._stores, strict=True))
        profile, (_name, key) = next(
            (pair for pair in pairs if pair[0].name == profile_name), pairs[0]
        )
        return Connection(
            profile=profile,
            api_key=key,
            colour=self._colours[profile.name],
            offline_folder=self._folder,
            offline_keys=self._keys,
        )

    async def edit_settings(self, parent: QWidget) -> str | None:
        """Do nothing: demo profiles cannot be edited."""
        return None


@contextlib.contextmanager
def demo_profiles(region: str | None) -> Iterator[DemoProfiles]:
    """Serve the demo stores from an in-process sandbox for as long as the context lasts."""
    # Imported here so that a normal start does not load the server stack.
    from vp_desk.sandbox.data import generate_dataset
    from vp_desk.sandbox.server import SandboxServer

    dataset = generate_dataset(customers=DEMO_CUSTOMERS)
    stores = [(store.name, store.api_key) for store in dataset.stores]
    # Demo lookups are saved like real ones, but in a folder and under keys that vanish
    # with the process, so the demo never touches the keyring or leaves files behind.
    with SandboxServer(dataset) as server, tempfile.TemporaryDirectory() as folder:
        # The demo data lives as long as the process; a full collection over it costs about
        # 0.15 s each time, measured at 10,000 customers.
        gc.freeze()
        yield DemoProfiles(server.base_url, stores, region or system_region(), Path(folder))


class SavedProfiles:
    """Profiles from the settings file, with keys from the keyring or kept for the session."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path or settings_path()
        self._settings = load_settings(self._path)
        self._credentials = KeyringCredentials()
        self._session_keys: dict[str, str] = {}

    @property
    def demo(self) -> bool:
        """Always false: these are the agent's own profiles."""
        return False

    def profile_marks(self) -> list[tuple[str, str]]:
        """Return each profile's name and colour, in the order of the settings file."""
        colours = profile_colours(self._settings.profiles)
        return [(profile.name, colours[profile.name]) for profile in self._settings.profiles]

    async def connection(
        self, profile_name: str | None, parent: QWidget | None = None
    ) -> Connection | None:
        """Return the connection of a profile, asking for a key or a first profile if needed."""
        name = profile_name or self._settings.active_profile
        profile = self._settings.profile(name)
        key = self._key_of(profile.name) if profile is not None else None
        if profile is None or key is None:
            return await self._ask_connection(profile, parent)

        if profile.name != self._settings.active_profile:
            self._settings = self._settings.with_profile(profile)
            save_settings(self._settings, self._path)
        colour = profile_colours(self._settings.profiles)[profile.name]
        session_only = profile.name in self._session_keys
        return Connection(
            profile=profile, api_key=key, colour=colour, key_for_session_only=session_only
        )

    async def edit_settings(self, parent: QWidget) -> str | None:
        """Open the Settings dialog; return the active profile after OK, or None."""
        dialog = SettingsDialog(
            self._settings,
            self._session_keys,
            credentials=self._credentials,
            default_region=system_region(),
            parent=parent,
        )
        if await run_dialog(dialog) != QDialog.DialogCode.Accepted:
            return None
        settings = dialog.settings()
        if settings is None:
            return None
        removed = {profile.name for profile in self._settings.profiles} - {
            profile.name for profile in settings.profiles
        }
        self._save(settings)
        for name in removed:
            _remove_saved_lookups(name)
        return settings.active_profile

    def _key_of(self, profile_name: str) -> str | None:
        if profile_name in self._session_keys:
            return self._session_keys[profile_name]
        try:
            return self._credentials.get_key(profile_name)
        except KeyringUnavailableError as error:
            logger.warning("The keyring cannot be read: %s", error)
            return None

    async def _ask_connection(
        self, profile: Profile | None, parent: QWidget | None
    ) -> Connection | None:
        dialog = ConnectionDialog(profile, system_region(), parent)
        if await run_dialog(dialog) != QDialog.DialogCode.Accepted:
            return None
        entered = dialog.profile()
        assert entered is not None
        key = dialog.api_key()
        self._save(self._settings.with_profile(entered))

        session_only = False
        try:
            self._credentials.set_key(entered.name, key)
        except KeyringUnavailableError as error:
            # Never a plaintext fallback: without a keyring the key lives in memory only, and
            # only if the agent agrees.
            logger.warning("The keyring cannot store the API key: %s", error)
            if not await _agree_to_session_key(parent):
                return None
            self._session_keys[entered.name] = key
            session_only = True
        colour = profile_colours(self._settings.profiles)[entered.name]
        return Connection(
            profile=entered, api_key=key, colour=colour, key_for_session_only=session_only
        )

    def _save(self, settings: Settings) -> None:
        self._settings = settings
        save_settings(settings, self._path)


async def _agree_to_session_key(parent: QWidget | None) -> bool:
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        tr("Keyring unavailable"),
        tr(
            "The operating system's keyring cannot store the API key, so it cannot be kept "
            "between sessions. Keep it in memory for this session only? vp-desk then asks for "
            "it again at the next start."
        ),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.button(QMessageBox.StandardButton.Yes).setText(tr("Keep for this session"))
    box.setDefaultButton(QMessageBox.StandardButton.Yes)
    return await run_dialog(box) == QMessageBox.StandardButton.Yes


def _remove_saved_lookups(profile_name: str) -> None:
    # Without its profile, nothing could ever decrypt the saved customers, yet the file would
    # stay on disk, so the file and its key are removed.
    try:
        OfflineStore.remove_profile(profile_name)
    except (KeyringUnavailableError, OSError) as error:
        logger.warning("Could not remove the saved lookups of a removed profile: %s", error)


def saved_profiles() -> contextlib.AbstractContextManager[SavedProfiles]:
    """Return the agent's saved profiles as a context, to match ``demo_profiles``."""
    return contextlib.nullcontext(SavedProfiles())
