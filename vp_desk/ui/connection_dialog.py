"""First-run dialog for the store's base URL, phone region and private API key."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from vp_desk.config import (
    BaseUrlProblem,
    InvalidBaseUrlError,
    Profile,
    is_known_region,
    normalise_base_url,
)
from vp_desk.credentials import MAX_KEY_LENGTH, KeyProblem, check_api_key


def tr(text: str) -> str:
    """Translate ``text`` in the ``ConnectionDialog`` context."""
    return QCoreApplication.translate("ConnectionDialog", text)


def base_url_message(error: InvalidBaseUrlError) -> str:
    """Say why a base URL was rejected and what to type instead."""
    texts = {
        BaseUrlProblem.EMPTY: tr("Enter the base URL of the store's API."),
        BaseUrlProblem.NOT_HTTP: tr("{url} is not a web address. It starts with https://."),
        BaseUrlProblem.NO_HOST: tr("{url} names no server. Enter it as https://api.example.com."),
        BaseUrlProblem.HAS_QUERY: tr("Remove the part after ? or # from {url}."),
        BaseUrlProblem.HAS_CREDENTIALS: tr(
            "Remove the user name and password from {url}; the API key goes in its own field."
        ),
        BaseUrlProblem.MALFORMED: tr(
            "{url} is not a valid web address. Check the host name and the port number."
        ),
        BaseUrlProblem.PLAIN_HTTP_REMOTE: tr(
            "{url} uses plain http, which would send the API key unencrypted. Use https://."
        ),
    }
    return texts[error.problem].format(url=error.url)


def api_key_message(problem: KeyProblem) -> str:
    """Say why an API key was rejected."""
    texts = {
        KeyProblem.EMPTY: tr("Enter the store's private API key."),
        KeyProblem.WHITESPACE: tr(
            "The API key contains spaces or line breaks. Copy it again without them."
        ),
        KeyProblem.TOO_LONG: tr("The API key is longer than {limit} characters. Check the copy."),
        KeyProblem.NOT_PRINTABLE: tr(
            "The API key contains characters that an API key cannot have. Copy it again."
        ),
    }
    return texts[problem].format(limit=MAX_KEY_LENGTH)


class ConnectionDialog(QDialog):
    """Asks for a profile's name, base URL, phone region and API key, and checks them."""

    def __init__(self, profile: Profile | None, default_region: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("Connect to a store"))
        self.setObjectName("connectionDialog")

        self.name_edit = QLineEdit(profile.name if profile else tr("My store"))
        self.name_edit.setMaxLength(60)
        self.url_edit = QLineEdit(profile.base_url if profile else "")
        self.url_edit.setPlaceholderText("https://api.example.com")
        self.url_edit.setMinimumWidth(360)
        self.region_edit = QLineEdit(profile.default_region if profile else default_region)
        self.region_edit.setMaxLength(2)
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText(tr("Private API key"))
        for edit, name in (
            (self.name_edit, tr("Profile name")),
            (self.url_edit, tr("Base URL")),
            (self.region_edit, tr("Default phone region")),
            (self.key_edit, tr("Private API key")),
        ):
            edit.setAccessibleName(name)

        self.problem = QLabel()
        self.problem.setObjectName("dialogProblem")
        self.problem.setStyleSheet("color: #b00020;")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)
        self.problem.hide()

        form = QFormLayout()
        form.addRow(tr("Profile name"), self.name_edit)
        form.addRow(tr("Base URL"), self.url_edit)
        form.addRow(tr("Default phone region"), self.region_edit)
        form.addRow(tr("Private API key"), self.key_edit)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        hint = QLabel(
            tr(
                "The key is kept in the operating system's keyring, never in a file. "
                "Find it in the store's dashboard under API keys."
            )
        )
        hint.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self._profile: Profile | None = None

    def profile(self) -> Profile | None:
        """Return the profile that was entered, once the dialog was accepted."""
        return self._profile

    def api_key(self) -> str:
        """Return the API key that was entered."""
        return self.key_edit.text()

    def accept(self) -> None:
        problem = self._check()
        if problem is not None:
            self.problem.setText(problem)
            self.problem.show()
            return
        super().accept()

    def _check(self) -> str | None:
        name = self.name_edit.text().strip()
        if not name:
            return tr("Enter a name for this profile, such as the store's name.")

        try:
            base_url = normalise_base_url(self.url_edit.text())
        except InvalidBaseUrlError as error:
            return base_url_message(error)

        region = self.region_edit.text().strip().upper()
        if not is_known_region(region):
            return tr(
                "{region} is not a known region code. Use two letters, such as GB or US."
            ).format(region=region or "—")

        key_problem = check_api_key(self.key_edit.text())
        if key_problem is not None:
            return api_key_message(key_problem)

        self._profile = Profile(name=name, base_url=base_url, default_region=region)
        return None
