"""Connection profiles and where vp-desk keeps its files (pydantic models, platformdirs paths)."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import phonenumbers
import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vp_desk.net import is_loopback_host

logger = logging.getLogger("vp_desk.config")

APP_NAME = "vp-desk"

ProfileName = Annotated[str, Field(min_length=1, max_length=60)]

API_PATH_PREFIX = "/api/v1"
"""The path that the client puts before every endpoint; a base URL ends before it."""


class Profile(BaseModel):
    """A connection to one store: where its API lives and how its callers write phone numbers.

    The same checks apply to a profile read from the settings file as to one typed into the
    dialog, because the file can be edited by hand.
    """

    model_config = ConfigDict(frozen=True)

    name: ProfileName
    base_url: str
    default_region: str = Field(pattern=r"^[A-Z]{2}$")
    colour: Annotated[str, Field(pattern=r"^#[0-9a-f]{6}$")] | None = None
    """The colour that marks this store on screen; None takes a free palette colour."""
    mask_contacts: bool = True
    """Whether emails and phone numbers show masked until the agent reveals them."""
    lock_minutes: float = Field(default=5.0, ge=0, le=240)
    """Minutes without input before customer data is covered; 0 never covers it."""
    clipboard_clear_seconds: int = Field(default=30, ge=0, le=3600)
    """Seconds after which copied customer data leaves the clipboard; 0 keeps it."""
    retention_days: int = Field(default=7, ge=1, le=90)
    """Days that opened customers stay readable offline."""
    recent_limit: int = Field(default=50, ge=1, le=500)
    """How many recent customers the Recent tab lists."""

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        return normalise_base_url(value)

    @field_validator("default_region")
    @classmethod
    def _check_region(cls, value: str) -> str:
        if not is_known_region(value):
            raise ValueError(f"{value!r} is not a region code that phone numbers use")
        return value


class Settings(BaseModel):
    """Everything vp-desk remembers between runs, except secrets."""

    profiles: list[Profile] = Field(default_factory=list)
    active_profile: str | None = None

    def profile(self, name: str | None) -> Profile | None:
        """Return the profile called ``name``, or None."""
        return next((profile for profile in self.profiles if profile.name == name), None)

    def with_profile(self, profile: Profile) -> Settings:
        """Return a copy with ``profile`` added, or replacing the one of the same name, active."""
        others = [existing for existing in self.profiles if existing.name != profile.name]
        return Settings(profiles=[*others, profile], active_profile=profile.name)


def config_dir() -> Path:
    """Return the user's configuration folder for vp-desk, such as ``~/.config/vp-desk``."""
    return platformdirs.user_config_path(APP_NAME, appauthor=False)


def settings_path() -> Path:
    """Return the path of the settings file."""
    return config_dir() / "settings.json"


def load_settings(path: Path) -> Settings:
    """Read the settings file; a missing file gives empty settings.

    A file that cannot be parsed is renamed, never overwritten, so that the agent's profiles
    can still be recovered by hand, and empty settings are returned.
    """
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return Settings()

    try:
        return Settings.model_validate_json(content)
    except ValidationError as error:
        kept = path.with_name(f"{path.name}.invalid-{time.strftime('%Y%m%d-%H%M%S')}")
        path.replace(kept)
        logger.warning("Settings file %s is invalid (%s); moved it to %s", path, error, kept)
        return Settings()


def save_settings(settings: Settings, path: Path) -> None:
    """Write the settings file atomically, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".settings-", suffix=".json")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(settings.model_dump_json(indent=2))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class BaseUrlProblem(StrEnum):
    """The reason a base URL was rejected."""

    EMPTY = "empty"
    NOT_HTTP = "not_http"
    NO_HOST = "no_host"
    HAS_QUERY = "has_query"
    HAS_CREDENTIALS = "has_credentials"
    PLAIN_HTTP_REMOTE = "plain_http_remote"
    MALFORMED = "malformed"


class InvalidBaseUrlError(ValueError):
    """A base URL that vp-desk will not send an API key to."""

    def __init__(self, url: str, problem: BaseUrlProblem) -> None:
        super().__init__(f"Invalid base URL {url!r}: {problem.value}")
        self.url = url
        self.problem = problem


def normalise_base_url(url: str) -> str:
    """Check a base URL and return it without a trailing slash.

    Plain HTTP is allowed only to loopback, because the API key travels in a header. A
    pasted ``/api/v1`` at the end is removed, because the client adds it to every path.
    """
    url = url.strip()
    if not url:
        raise InvalidBaseUrlError(url, BaseUrlProblem.EMPTY)

    try:
        parts = urlsplit(url)
        # Reading the port checks that it is a number from 0 to 65535.
        _ = parts.port
    except ValueError:
        raise InvalidBaseUrlError(url, BaseUrlProblem.MALFORMED) from None
    if parts.scheme not in ("http", "https"):
        raise InvalidBaseUrlError(url, BaseUrlProblem.NOT_HTTP)
    if not parts.hostname:
        raise InvalidBaseUrlError(url, BaseUrlProblem.NO_HOST)
    if parts.query or parts.fragment:
        raise InvalidBaseUrlError(url, BaseUrlProblem.HAS_QUERY)
    if parts.username or parts.password:
        raise InvalidBaseUrlError(url, BaseUrlProblem.HAS_CREDENTIALS)
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise InvalidBaseUrlError(url, BaseUrlProblem.PLAIN_HTTP_REMOTE)
    return url.rstrip("/").removesuffix(API_PATH_PREFIX).rstrip("/")


def is_known_region(region: str) -> bool:
    """Tell whether ``region`` is a region code that phone-number parsing supports."""
    return region in phonenumbers.SUPPORTED_REGIONS
