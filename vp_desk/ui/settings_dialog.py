"""Settings dialog: the connection profiles, their colours and their API keys."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vp_desk.api.client import CustomersClient
from vp_desk.api.errors import ApiError
from vp_desk.config import (
    InvalidBaseUrlError,
    Profile,
    Settings,
    is_known_region,
    normalise_base_url,
)
from vp_desk.credentials import (
    KeyProblem,
    KeyringCredentials,
    KeyringUnavailableError,
    check_api_key,
)
from vp_desk.ui.connection_dialog import api_key_message, base_url_message
from vp_desk.ui.messages import error_message

logger = logging.getLogger("vp_desk.ui")

ConnectionTest = Callable[[str, str], Awaitable[None]]
"""An async check of a base URL and an API key against the server that raises ApiError."""

PALETTE = (
    "#1a73e8",
    "#e8710a",
    "#188038",
    "#d93025",
    "#9334e6",
    "#129eaf",
    "#795548",
    "#d01884",
)
"""Profile colours of clearly different hues; a ninth profile shares one with another."""

MAX_NAME_LENGTH = 60
"""The maximum length of a profile name, as ``config.ProfileName`` sets it."""


def tr(text: str) -> str:
    """Translate ``text`` in the ``SettingsDialog`` context."""
    return QCoreApplication.translate("SettingsDialog", text)


def colour_name(colour: str) -> str:
    """Return the name of a palette colour, or the hex code of any other colour."""
    names = {
        "#1a73e8": tr("Blue"),
        "#e8710a": tr("Orange"),
        "#188038": tr("Green"),
        "#d93025": tr("Red"),
        "#9334e6": tr("Purple"),
        "#129eaf": tr("Teal"),
        "#795548": tr("Brown"),
        "#d01884": tr("Pink"),
    }
    return names.get(colour, colour)


def colour_icon(colour: str, size: int = 16) -> QIcon:
    """Draw a square of ``colour``, the mark that distinguishes the profiles."""
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


def unused_colour(taken: Iterable[str]) -> str:
    """Return the first palette colour not in ``taken``, or the least used one."""
    used = list(taken)
    return min(PALETTE, key=used.count)


def profile_colours(
    profiles: Sequence[Profile], chosen: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Return the colour of each profile by name: chosen, saved, or else a free one.

    A colour in ``chosen`` wins over the profile's own ``colour``. Profiles without either
    get palette colours that no other profile has while there are any, in list order, so
    the window and the dialog show the same mark.
    """
    chosen = chosen or {}
    colours: dict[str, str] = {}
    for profile in profiles:
        colour = chosen.get(profile.name) or getattr(profile, "colour", None)
        if colour:
            colours[profile.name] = colour
    for profile in profiles:
        if profile.name not in colours:
            colours[profile.name] = unused_colour(colours.values())
    return {profile.name: colours[profile.name] for profile in profiles}


async def check_connection(base_url: str, api_key: str) -> None:
    """Read one customer with ``api_key``, so that a wrong URL or key raises its ApiError."""
    client = CustomersClient(base_url, api_key)
    try:
        await client.list_customers(limit=1)
    finally:
        await client.aclose()


class KeyState(StrEnum):
    """Location of a profile's API key when the dialog opened."""

    KEYRING = "keyring"
    SESSION = "session"
    NONE = "none"
    UNREADABLE = "unreadable"


@dataclass(eq=False)
class ProfileDraft:
    """One profile as the agent edits it: raw field texts and the pending key change.

    ``original_name`` is the name that the keyring and the session keys know the profile by,
    or None for a profile added in this dialog.
    """

    original_name: str | None
    name: str
    base_url: str
    region: str
    colour: str
    key_state: KeyState
    typed_key: str = ""
    remove_key: bool = False

    @property
    def final_name(self) -> str:
        return self.name.strip()

    @property
    def has_key(self) -> bool:
        """Whether the profile has a key after saving."""
        if self.typed_key:
            return True
        return self.key_state != KeyState.NONE and not self.remove_key


@dataclass
class KeyPlan:
    """The keyring and session-key changes that saving makes."""

    writes: dict[str, str] = field(default_factory=dict)
    """Keys to store in the keyring, by profile name."""
    deletes: dict[str, bool] = field(default_factory=dict)
    """Keyring entries to delete, by name: True when a key is known to be stored there."""
    session: dict[str, str] = field(default_factory=dict)
    """The session keys after saving, by profile name."""


class RejectedInputError(Exception):
    """Input that the dialog does not save, with the sentence that explains it."""

    def __init__(
        self, message: str, draft: ProfileDraft | None = None, widget: QWidget | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.draft = draft
        self.widget = widget


class SessionOfferNeededError(Exception):
    """The keyring cannot store a key, so the agent is asked about keeping it for the session."""

    def __init__(self, profile_name: str) -> None:
        super().__init__(profile_name)
        self.profile_name = profile_name


class SettingsDialog(QDialog):
    """Edits the connection profiles: name, base URL, phone region, colour and API key.

    Nothing changes before OK. Then typed keys go to the keyring, removed keys and the keys of
    removed profiles are deleted, and renamed profiles take their key along. Cancel leaves the
    keyring and ``session_keys`` as they were. The dialog never writes the settings file; the
    caller saves ``settings()``.

    Signals:
        connection_tested(bool, str): a connection test ended, successfully or not, with the
            sentence shown.
    """

    connection_tested = Signal(bool, str)

    def __init__(
        self,
        settings: Settings,
        session_keys: dict[str, str],
        *,
        credentials: KeyringCredentials | None = None,
        test_connection: ConnectionTest = check_connection,
        colours: Mapping[str, str] | None = None,
        default_region: str = "US",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(tr("Settings"))

        self._session_keys = session_keys
        self._credentials = credentials or KeyringCredentials()
        self._test_connection = test_connection
        self._default_region = default_region
        self._test_task: asyncio.Future[None] | None = None
        self._result: Settings | None = None
        self._result_colours: dict[str, str] = {}
        self._offered_name = ""
        self._original_states: dict[str, KeyState] = {}

        self._drafts = self._drafts_of(settings, colours or {})
        active = settings.profile(settings.active_profile)
        self._active: ProfileDraft | None = next(
            (draft for draft in self._drafts if active and draft.original_name == active.name),
            self._drafts[0] if self._drafts else None,
        )

        self._build_widgets()
        self._build_layout()
        self._set_tab_order()
        self._connect_signals()

        for draft in self._drafts:
            self.profile_list.addItem(QListWidgetItem())
            self._refresh_item(draft)
        self.profile_list.setCurrentRow(0 if self._drafts else -1)
        self._show_draft()
        self.resize(680, 420)

    # Results

    def settings(self) -> Settings | None:
        """Return the edited settings with the active profile, or None before OK."""
        return self._result

    def colours(self) -> dict[str, str]:
        """Return the colour of each profile by name, such as ``#1a73e8``, or {} before OK."""
        return dict(self._result_colours)

    def is_testing(self) -> bool:
        """Return whether a connection test is running."""
        return self._test_task is not None

    # Building

    def _drafts_of(self, settings: Settings, chosen: Mapping[str, str]) -> list[ProfileDraft]:
        colours = profile_colours(settings.profiles, chosen)
        drafts: list[ProfileDraft] = []
        for profile in settings.profiles:
            state = self._key_state(profile.name)
            self._original_states[profile.name] = state
            drafts.append(
                ProfileDraft(
                    original_name=profile.name,
                    name=profile.name,
                    base_url=profile.base_url,
                    region=profile.default_region,
                    colour=colours[profile.name],
                    key_state=state,
                )
            )
        return drafts

    def _key_state(self, name: str) -> KeyState:
        if name in self._session_keys:
            return KeyState.SESSION
        try:
            stored = self._credentials.get_key(name)
        except KeyringUnavailableError as error:
            logger.warning("The keyring cannot be read for profile %r: %s", name, error)
            return KeyState.UNREADABLE
        return KeyState.KEYRING if stored else KeyState.NONE

    def _build_widgets(self) -> None:
        self.profile_list = self._named(QListWidget(), "profileList", tr("Profiles"))
        self.add_button = self._named(QPushButton(tr("Add")), "addProfileButton", tr("Add profile"))
        self.remove_button = self._named(
            QPushButton(tr("Remove")), "removeProfileButton", tr("Remove profile")
        )
        self.use_button = self._named(
            QPushButton(tr("Use this profile")), "useProfileButton", tr("Use this profile")
        )

        self.name_edit = self._named(QLineEdit(), "nameEdit", tr("Profile name"))
        self.name_edit.setMaxLength(MAX_NAME_LENGTH)
        self.url_edit = self._named(QLineEdit(), "baseUrlEdit", tr("Base URL"))
        self.url_edit.setPlaceholderText("https://api.example.com")
        self.region_edit = self._named(QLineEdit(), "regionEdit", tr("Default phone region"))
        self.region_edit.setMaxLength(2)
        self.colour_combo = self._named(QComboBox(), "colourCombo", tr("Profile colour"))
        for colour in PALETTE:
            self.colour_combo.addItem(colour_icon(colour), colour_name(colour), colour)
        self.key_edit = self._named(QLineEdit(), "apiKeyEdit", tr("Private API key"))
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.test_button = self._named(
            QPushButton(tr("Test connection")), "testConnectionButton", tr("Test connection")
        )
        self.remove_key_button = self._named(
            QPushButton(tr("Remove key")), "removeKeyButton", tr("Remove key")
        )

        self.test_result = self._plain_label("connectionResult", tr("Connection test result"))
        self.problem = self._plain_label("settingsProblem", tr("Problem"))
        self.problem.setStyleSheet("color: #b00020;")

        self.session_offer = QFrame()
        self.session_offer.setObjectName("sessionOffer")
        self.session_offer.setFrameShape(QFrame.Shape.StyledPanel)
        self.session_question = self._plain_label("sessionQuestion", tr("Keyring problem"))
        self.keep_button = self._named(
            QPushButton(tr("Keep for this session only")),
            "keepForSessionButton",
            tr("Keep the key for this session only"),
        )
        self.decline_button = self._named(
            QPushButton(tr("Do not keep")), "declineSessionButton", tr("Do not keep the key")
        )
        self.session_offer.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setAccessibleName(tr("Save the settings"))
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAccessibleName(tr("Close without saving"))

    @staticmethod
    def _named[WidgetT: QWidget](widget: WidgetT, object_name: str, accessible: str) -> WidgetT:
        widget.setObjectName(object_name)
        widget.setAccessibleName(accessible)
        return widget

    def _plain_label(self, object_name: str, accessible: str) -> QLabel:
        label = self._named(QLabel(), object_name, accessible)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        return label

    def _build_layout(self) -> None:
        list_buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button):
            list_buttons.addWidget(button)
        list_column = QVBoxLayout()
        list_column.addWidget(self.profile_list, 1)
        list_column.addLayout(list_buttons)
        list_column.addWidget(self.use_button)

        self.form_area = QWidget()
        form = QFormLayout(self.form_area)
        form.addRow(tr("Profile name"), self.name_edit)
        form.addRow(tr("Base URL"), self.url_edit)
        form.addRow(tr("Default phone region"), self.region_edit)
        form.addRow(tr("Colour"), self.colour_combo)
        form.addRow(tr("Private API key"), self.key_edit)
        key_buttons = QHBoxLayout()
        key_buttons.addWidget(self.test_button)
        key_buttons.addWidget(self.remove_key_button)
        key_buttons.addStretch(1)
        form.addRow(key_buttons)
        form.addRow(self.test_result)

        columns = QHBoxLayout()
        columns.addLayout(list_column, 1)
        columns.addWidget(self.form_area, 2)

        offer_buttons = QHBoxLayout()
        offer_buttons.addStretch(1)
        offer_buttons.addWidget(self.keep_button)
        offer_buttons.addWidget(self.decline_button)
        offer_layout = QVBoxLayout(self.session_offer)
        offer_layout.addWidget(self.session_question)
        offer_layout.addLayout(offer_buttons)

        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.session_offer)
        layout.addWidget(self.buttons)
        self.problem.hide()

    def _set_tab_order(self) -> None:
        chain = (
            self.profile_list,
            self.add_button,
            self.remove_button,
            self.use_button,
            self.name_edit,
            self.url_edit,
            self.region_edit,
            self.colour_combo,
            self.key_edit,
            self.test_button,
            self.remove_key_button,
            self.keep_button,
            self.decline_button,
            self.ok_button,
            self.cancel_button,
        )
        for before, after in itertools.pairwise(chain):
            QWidget.setTabOrder(before, after)

    def _connect_signals(self) -> None:
        self.profile_list.currentRowChanged.connect(self._on_row_changed)
        self.add_button.clicked.connect(self.add_profile)
        self.remove_button.clicked.connect(self.remove_profile)
        self.use_button.clicked.connect(self.use_profile)
        self.name_edit.textEdited.connect(self._on_name_edited)
        self.url_edit.textEdited.connect(self._on_url_edited)
        self.region_edit.textEdited.connect(self._on_region_edited)
        self.colour_combo.activated.connect(self._on_colour_chosen)
        self.key_edit.textEdited.connect(self._on_key_edited)
        self.test_button.clicked.connect(self.start_connection_test)
        self.remove_key_button.clicked.connect(self.remove_key)
        self.keep_button.clicked.connect(self._keep_for_session)
        self.decline_button.clicked.connect(self._decline_session)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    # Profile list

    def add_profile(self) -> None:
        """Add a profile with an unused name and colour, and select it for editing."""
        names = {draft.final_name.casefold() for draft in self._drafts}
        name = tr("New profile")
        number = 2
        while name.casefold() in names:
            name = tr("New profile {number}").format(number=number)
            number += 1

        draft = ProfileDraft(
            original_name=None,
            name=name,
            base_url="",
            region=self._default_region,
            colour=unused_colour(draft.colour for draft in self._drafts),
            key_state=KeyState.NONE,
        )
        self._drafts.append(draft)
        if self._active is None:
            self._active = draft
        self.profile_list.addItem(QListWidgetItem())
        self._refresh_item(draft)
        self.profile_list.setCurrentRow(len(self._drafts) - 1)
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def remove_profile(self) -> None:
        """Remove the selected profile. Saving the dialog deletes its key too."""
        row = self.profile_list.currentRow()
        if row < 0:
            return

        removed = self._drafts.pop(row)
        if self._active is removed:
            self._active = self._drafts[0] if self._drafts else None
        self.profile_list.takeItem(row)
        for draft in self._drafts:
            self._refresh_item(draft)
        self._show_draft()

    def use_profile(self) -> None:
        """Make the selected profile the one that the window works with after saving."""
        draft = self._current()
        if draft is None:
            return
        self._active = draft
        for each in self._drafts:
            self._refresh_item(each)

    def _refresh_item(self, draft: ProfileDraft) -> None:
        item = self.profile_list.item(self._drafts.index(draft))
        active = draft is self._active
        name = draft.final_name or tr("(no name)")
        item.setText(tr("{name} (active)").format(name=name) if active else name)
        item.setIcon(colour_icon(draft.colour))
        item.setToolTip(colour_name(draft.colour))
        item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, colour_name(draft.colour))
        font = QFont(self.profile_list.font())
        font.setBold(active)
        item.setFont(font)

    def _current(self) -> ProfileDraft | None:
        row = self.profile_list.currentRow()
        return self._drafts[row] if 0 <= row < len(self._drafts) else None

    def _on_row_changed(self, _row: int) -> None:
        self._cancel_test()
        self._show_draft()

    def _show_draft(self) -> None:
        draft = self._current()
        self.form_area.setEnabled(draft is not None)
        self.remove_button.setEnabled(draft is not None)
        self.use_button.setEnabled(draft is not None)
        self.test_result.clear()
        if draft is None:
            for edit in (self.name_edit, self.url_edit, self.region_edit, self.key_edit):
                edit.clear()
            self.key_edit.setPlaceholderText("")
            return

        self.name_edit.setText(draft.name)
        self.url_edit.setText(draft.base_url)
        self.region_edit.setText(draft.region)
        self.key_edit.setText(draft.typed_key)
        self._show_colour(draft.colour)
        self._refresh_key_controls(draft)

    def _show_colour(self, colour: str) -> None:
        index = self.colour_combo.findData(colour)
        if index < 0:
            # A colour from outside the palette, typed into the settings file by hand, is kept.
            self.colour_combo.addItem(colour_icon(colour), colour_name(colour), colour)
            index = self.colour_combo.count() - 1
        self.colour_combo.setCurrentIndex(index)

    # Form fields

    def _on_name_edited(self, text: str) -> None:
        draft = self._current()
        if draft is not None:
            draft.name = text
            self._refresh_item(draft)

    def _on_url_edited(self, text: str) -> None:
        draft = self._current()
        if draft is not None:
            draft.base_url = text

    def _on_region_edited(self, text: str) -> None:
        draft = self._current()
        if draft is not None:
            draft.region = text

    def _on_colour_chosen(self, index: int) -> None:
        draft = self._current()
        if draft is not None:
            draft.colour = str(self.colour_combo.itemData(index))
            self._refresh_item(draft)

    def _on_key_edited(self, text: str) -> None:
        draft = self._current()
        if draft is not None:
            draft.typed_key = text
            self._refresh_key_controls(draft)

    def remove_key(self) -> None:
        """Forget the typed key and mark the stored key for deletion when the dialog is saved."""
        draft = self._current()
        if draft is None:
            return

        draft.typed_key = ""
        draft.remove_key = draft.key_state != KeyState.NONE
        self.key_edit.clear()
        self.test_result.clear()
        self._refresh_key_controls(draft)

    def _refresh_key_controls(self, draft: ProfileDraft) -> None:
        self.key_edit.setPlaceholderText(self._key_placeholder(draft))
        self.remove_key_button.setEnabled(draft.has_key)

    @staticmethod
    def _key_placeholder(draft: ProfileDraft) -> str:
        if draft.remove_key:
            return tr("No key: the stored key is removed when you press OK")
        match draft.key_state:
            case KeyState.KEYRING:
                return tr("Stored in the keyring — type to replace")
            case KeyState.SESSION:
                return tr("Stored for this session only — type to replace")
            case KeyState.UNREADABLE:
                return tr("The keyring cannot be read — type the key")
            case _:
                return tr("No key")

    # Connection test

    def start_connection_test(self) -> None:
        """Test the selected profile's base URL and key without blocking the dialog."""
        draft = self._current()
        if draft is None or self._test_task is not None:
            return

        self._hide_problem()
        try:
            base_url = self._checked_base_url(draft)
            api_key = self._key_to_test(draft)
        except RejectedInputError as rejection:
            self._show_rejection(rejection)
            return

        self.test_button.setEnabled(False)
        self.test_result.setText(tr("Testing the connection…"))
        self._test_task = asyncio.ensure_future(self._run_test(base_url, api_key))

    async def _run_test(self, base_url: str, api_key: str) -> None:
        task = asyncio.current_task()
        outcome: tuple[bool, str] | None = None
        try:
            await self._test_connection(base_url, api_key)
            outcome = (True, tr("Connected: the key works."))
        except ApiError as error:
            logger.info("Connection test failed: %s", type(error).__name__)
            outcome = (False, error_message(error))
        finally:
            # A cancelled test belongs to a closed dialog or another profile, so it shows nothing.
            if self._test_task is task:
                self._end_test(outcome)

    def _end_test(self, outcome: tuple[bool, str] | None) -> None:
        self._test_task = None
        self.test_button.setEnabled(True)
        if outcome is None:
            self.test_result.clear()
            return
        succeeded, text = outcome
        self.test_result.setText(text)
        self.connection_tested.emit(succeeded, text)

    def _cancel_test(self) -> None:
        if self._test_task is None:
            return
        self._test_task.cancel()
        self._test_task = None
        self.test_button.setEnabled(True)
        self.test_result.clear()

    def _key_to_test(self, draft: ProfileDraft) -> str:
        if draft.typed_key:
            return self._checked_key(draft)
        if draft.remove_key or draft.key_state == KeyState.NONE:
            raise RejectedInputError(api_key_message(KeyProblem.EMPTY), draft, self.key_edit)
        if draft.key_state == KeyState.SESSION and draft.original_name in self._session_keys:
            return self._session_keys[draft.original_name]

        assert draft.original_name is not None
        try:
            stored = self._credentials.get_key(draft.original_name)
        except KeyringUnavailableError as error:
            logger.warning("The keyring cannot be read: %s", error)
            raise RejectedInputError(
                tr("The keyring cannot be read, so type the API key to test it."),
                draft,
                self.key_edit,
            ) from error
        if not stored:
            raise RejectedInputError(api_key_message(KeyProblem.EMPTY), draft, self.key_edit)
        return stored

    # Checks

    def _checked_base_url(self, draft: ProfileDraft) -> str:
        try:
            return normalise_base_url(draft.base_url)
        except InvalidBaseUrlError as error:
            raise RejectedInputError(base_url_message(error), draft, self.url_edit) from error

    def _checked_key(self, draft: ProfileDraft) -> str:
        problem = check_api_key(draft.typed_key)
        if problem is not None:
            raise RejectedInputError(api_key_message(problem), draft, self.key_edit)
        return draft.typed_key

    def _checked_profile(self, draft: ProfileDraft, taken: set[str]) -> Profile:
        name = draft.final_name
        if not name:
            raise RejectedInputError(
                tr("Enter a name for this profile, such as the store's name."),
                draft,
                self.name_edit,
            )
        if name.casefold() in taken:
            raise RejectedInputError(
                tr("Two profiles are called “{name}”. Give each profile its own name.").format(
                    name=name
                ),
                draft,
                self.name_edit,
            )

        base_url = self._checked_base_url(draft)
        region = draft.region.strip().upper()
        if not is_known_region(region):
            raise RejectedInputError(
                tr(
                    "{region} is not a known region code. Use two letters, such as GB or US."
                ).format(region=region or "—"),
                draft,
                self.region_edit,
            )
        if draft.typed_key:
            self._checked_key(draft)

        extra = {"colour": draft.colour} if "colour" in Profile.model_fields else {}
        return Profile(name=name, base_url=base_url, default_region=region, **extra)

    def _checked_profiles(self) -> list[Profile]:
        profiles: list[Profile] = []
        taken: set[str] = set()
        for draft in self._drafts:
            profiles.append(self._checked_profile(draft, taken))
            taken.add(draft.final_name.casefold())
        return profiles

    # Saving

    def accept(self) -> None:
        """Check every profile, apply the key changes and close, or explain what is wrong."""
        self._save(allow_session_only=False)

    def done(self, result: int) -> None:
        self._cancel_test()
        super().done(result)

    def _save(self, *, allow_session_only: bool) -> None:
        self._hide_problem()
        self.session_offer.hide()
        try:
            profiles = self._checked_profiles()
            plan = self._plan_keys()
            self._apply_keys(plan, allow_session_only=allow_session_only)
        except RejectedInputError as rejection:
            self._show_rejection(rejection)
            return
        except SessionOfferNeededError as offer:
            self._offer_session_only(offer.profile_name)
            return

        self._session_keys.clear()
        self._session_keys.update(plan.session)
        active = self._active.final_name if self._active else None
        self._result = Settings(profiles=profiles, active_profile=active)
        self._result_colours = {draft.final_name: draft.colour for draft in self._drafts}
        super().accept()

    def _plan_keys(self) -> KeyPlan:
        plan = KeyPlan()
        final_names = {draft.final_name for draft in self._drafts}

        # Session keys of names that no profile had when the dialog opened are the caller's.
        for name, key in self._session_keys.items():
            if name not in self._original_states and name not in final_names:
                plan.session[name] = key

        kept = {draft.original_name for draft in self._drafts}
        for name, state in self._original_states.items():
            if name not in kept:
                plan.deletes[name] = state == KeyState.KEYRING

        for draft in self._drafts:
            self._plan_draft(draft, plan)

        # After renaming "Shop" to "shop", a keyring that ignores case would delete the key
        # just written. Other keyrings keep the old entry, unused, because profile names
        # never differ in case only, and a profile added under that name deletes it.
        written = {name.casefold() for name in plan.writes}
        plan.deletes = {
            name: known_stored
            for name, known_stored in plan.deletes.items()
            if name.casefold() not in written
        }
        return plan

    def _plan_draft(self, draft: ProfileDraft, plan: KeyPlan) -> None:
        old, new = draft.original_name, draft.final_name
        known_stored = draft.key_state == KeyState.KEYRING

        if old is None:
            # A new profile must not inherit a key that was left under its name in the keyring.
            plan.deletes.setdefault(new, False)
        elif old != new or draft.remove_key:
            plan.deletes[old] = known_stored or plan.deletes.get(old, False)

        if draft.typed_key:
            plan.writes[new] = draft.typed_key
        elif draft.remove_key:
            return
        elif draft.key_state == KeyState.SESSION and old in self._session_keys:
            plan.session[new] = self._session_keys[old]
        elif old is not None and old != new and draft.key_state != KeyState.NONE:
            moved = self._read_key_to_move(draft, old)
            if moved:
                plan.writes[new] = moved

    def _read_key_to_move(self, draft: ProfileDraft, old: str) -> str | None:
        try:
            return self._credentials.get_key(old)
        except KeyringUnavailableError as error:
            logger.warning("The keyring cannot read the API key of profile %r: %s", old, error)
            if draft.key_state != KeyState.KEYRING:
                return None
            raise RejectedInputError(
                tr(
                    "The keyring cannot be read, so the API key of “{old}” cannot move to "
                    "“{new}” until you unlock the keyring or type the key again."
                ).format(old=old, new=draft.final_name),
                draft,
                self.key_edit,
            ) from error

    def _apply_keys(self, plan: KeyPlan, *, allow_session_only: bool) -> None:
        for name, key in plan.writes.items():
            try:
                self._credentials.set_key(name, key)
            except KeyringUnavailableError as error:
                logger.warning(
                    "The keyring cannot store the API key of profile %r: %s", name, error
                )
                if not allow_session_only:
                    raise SessionOfferNeededError(name) from error
                plan.session[name] = key

        for name, known_stored in plan.deletes.items():
            try:
                self._credentials.delete_key(name)
            except KeyringUnavailableError as error:
                logger.warning(
                    "The keyring cannot remove the API key of profile %r: %s", name, error
                )
                if known_stored and not allow_session_only:
                    raise RejectedInputError(
                        tr(
                            "The keyring cannot be reached, so the API key of “{name}” stays "
                            "stored until you unlock the keyring and press OK again."
                        ).format(name=name)
                    ) from error

    def _offer_session_only(self, name: str) -> None:
        self._offered_name = name
        self.session_question.setText(
            tr(
                "The operating system's keyring cannot store the API key of “{name}”. "
                "Keep the key for this session only, until vp-desk closes?"
            ).format(name=name)
        )
        self.keep_button.setAccessibleDescription(self.session_question.text())
        self.session_offer.show()
        self.keep_button.setFocus()

    def _keep_for_session(self) -> None:
        self._save(allow_session_only=True)

    def _decline_session(self) -> None:
        self.session_offer.hide()
        self._show_rejection(
            RejectedInputError(
                tr(
                    "The settings were not saved because the keyring cannot store the API key "
                    "of “{name}”. Press OK again once the keyring works."
                ).format(name=self._offered_name)
            )
        )

    # Problems

    def _show_rejection(self, rejection: RejectedInputError) -> None:
        draft = rejection.draft
        if draft is not None and draft in self._drafts and draft is not self._current():
            self.profile_list.setCurrentRow(self._drafts.index(draft))
        self.problem.setText(rejection.message)
        self.problem.show()
        if rejection.widget is not None:
            rejection.widget.setFocus()

    def _hide_problem(self) -> None:
        self.problem.clear()
        self.problem.hide()
