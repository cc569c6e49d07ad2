"""Connection profiles on disk and the rules for base URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from vp_desk.config import (
    BaseUrlProblem,
    InvalidBaseUrlError,
    Profile,
    Settings,
    load_settings,
    normalise_base_url,
    save_settings,
)

PROFILE = Profile(name="Coffee shop", base_url="https://api.example.com", default_region="GB")


def test_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "config" / "settings.json"

    save_settings(Settings().with_profile(PROFILE), path)
    loaded = load_settings(path)

    assert loaded.profiles == [PROFILE]
    assert loaded.profile(loaded.active_profile) == PROFILE


def test_missing_settings_file_gives_empty_settings(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "settings.json") == Settings()


def test_invalid_settings_file_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json", encoding="utf-8")

    assert load_settings(path) == Settings()

    kept = list(tmp_path.glob("settings.json.invalid-*"))
    assert len(kept) == 1
    assert kept[0].read_text(encoding="utf-8") == "{not json"
    assert not path.exists()


def test_settings_file_holds_no_key(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"

    save_settings(Settings().with_profile(PROFILE), path)

    assert "key" not in path.read_text(encoding="utf-8").lower()


def test_with_profile_replaces_same_name() -> None:
    changed = PROFILE.model_copy(update={"default_region": "IT"})

    settings = Settings().with_profile(PROFILE).with_profile(changed)

    assert settings.profiles == [changed]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.example.com/", "https://api.example.com"),
        ("  https://api.example.com/v  ", "https://api.example.com/v"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://localhost:8765/", "http://localhost:8765"),
        ("http://[::1]:8765", "http://[::1]:8765"),
        ("https://api.example.com/api/v1", "https://api.example.com"),
        ("https://api.example.com/api/v1/", "https://api.example.com"),
    ],
)
def test_base_url_accepted(url: str, expected: str) -> None:
    assert normalise_base_url(url) == expected


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", BaseUrlProblem.EMPTY),
        ("api.example.com", BaseUrlProblem.NOT_HTTP),
        ("https://", BaseUrlProblem.NO_HOST),
        ("https://api.example.com/?store=1", BaseUrlProblem.HAS_QUERY),
        ("https://me:secret@api.example.com", BaseUrlProblem.HAS_CREDENTIALS),
        ("http://api.example.com", BaseUrlProblem.PLAIN_HTTP_REMOTE),
        ("https://[::1", BaseUrlProblem.MALFORMED),
        ("https://api.example.com:abc", BaseUrlProblem.MALFORMED),
        ("https://api.example.com:99999", BaseUrlProblem.MALFORMED),
    ],
)
def test_base_url_rejected(url: str, problem: BaseUrlProblem) -> None:
    with pytest.raises(InvalidBaseUrlError) as caught:
        normalise_base_url(url)

    assert caught.value.problem == problem


@pytest.mark.parametrize(
    "profile",
    [
        '{"name": "Shop", "base_url": "http://api.example.com", "default_region": "GB"}',
        '{"name": "Shop", "base_url": "https://api.example.com", "default_region": "XX"}',
        '{"name": "", "base_url": "https://api.example.com", "default_region": "GB"}',
    ],
    ids=["plain-http-remote", "unknown-region", "empty-name"],
)
def test_edited_settings_file_is_checked(tmp_path: Path, profile: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(f'{{"profiles": [{profile}], "active_profile": "Shop"}}', encoding="utf-8")

    assert load_settings(path) == Settings()
    assert len(list(tmp_path.glob("settings.json.invalid-*"))) == 1


def test_settings_file_not_utf8_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(b'{"profiles": ["\xff"]}')

    assert load_settings(path) == Settings()
    assert len(list(tmp_path.glob("settings.json.invalid-*"))) == 1
