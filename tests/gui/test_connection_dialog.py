"""The first-run dialog: what it accepts, and the sentence it shows for what it rejects."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from vp_desk.config import Profile
from vp_desk.ui.connection_dialog import ConnectionDialog


def fill(
    dialog: ConnectionDialog,
    *,
    name: str = "Coffee shop",
    url: str = "https://api.example.com/",
    region: str = "gb",
    key: str = "sk_test_0123456789abcdef",
) -> None:
    dialog.name_edit.setText(name)
    dialog.url_edit.setText(url)
    dialog.region_edit.setText(region)
    dialog.key_edit.setText(key)


def test_valid_input_gives_profile(qtbot: QtBot) -> None:
    dialog = ConnectionDialog(None, "US")
    qtbot.addWidget(dialog)
    fill(dialog)

    dialog.accept()

    assert dialog.result() == ConnectionDialog.DialogCode.Accepted
    assert dialog.profile() == Profile(
        name="Coffee shop", base_url="https://api.example.com", default_region="GB"
    )
    assert dialog.api_key() == "sk_test_0123456789abcdef"


def test_key_is_masked(qtbot: QtBot) -> None:
    dialog = ConnectionDialog(None, "US")
    qtbot.addWidget(dialog)

    assert dialog.key_edit.echoMode() == dialog.key_edit.EchoMode.Password


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": "  "}, "Enter a name for this profile"),
        ({"url": ""}, "Enter the base URL"),
        ({"url": "ftp://api.example.com"}, "ftp://api.example.com is not a web address"),
        ({"url": "http://api.example.com"}, "would send the API key unencrypted"),
        ({"url": "https://user:pw@api.example.com"}, "Remove the user name and password"),
        ({"region": "XX"}, "XX is not a known region code"),
        ({"key": ""}, "Enter the store's private API key"),
        ({"key": "sk_test abc"}, "contains spaces or line breaks"),
        ({"key": "k" * 1001}, "longer than 1000 characters"),
    ],
)
def test_invalid_input_is_explained(qtbot: QtBot, fields: dict[str, str], expected: str) -> None:
    dialog = ConnectionDialog(None, "US")
    qtbot.addWidget(dialog)
    dialog.show()
    fill(dialog, **fields)

    dialog.accept()

    assert dialog.isVisible()
    assert dialog.profile() is None
    assert expected in dialog.problem.text()


def test_loopback_http_is_accepted(qtbot: QtBot) -> None:
    dialog = ConnectionDialog(None, "US")
    qtbot.addWidget(dialog)
    fill(dialog, url="http://127.0.0.1:8765")

    dialog.accept()

    profile = dialog.profile()
    assert profile is not None
    assert profile.base_url == "http://127.0.0.1:8765"
