"""Logging set-up: one logger per area, a rotating file, stderr, and masking of personal data."""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TextIO
from urllib.parse import quote_plus, unquote_plus

import platformdirs

from vp_desk.config import APP_NAME
from vp_desk.phone_masking import mask_subscriber, split_country_code

LOG_FILE_NAME = "vp-desk.log"
MAX_LOG_FILE_BYTES = 1024 * 1024
LOG_FILE_BACKUPS = 5
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

QUIET_LIBRARY_LOGGERS = ("httpx", "httpcore")
"""Loggers kept at WARNING: httpx logs every full URL, query included, at INFO, and the
client's own line per request replaces it."""


class Area(StrEnum):
    """The logger name of each part of vp-desk."""

    APP = "vp_desk"
    API = "vp_desk.api"
    UI = "vp_desk.ui"
    OFFLINE = "vp_desk.offline"
    CONFIG = "vp_desk.config"
    SANDBOX = "vp_desk.sandbox"


def area_logger(area: Area) -> logging.Logger:
    """Return the logger of ``area``."""
    return logging.getLogger(area.value)


def log_folder() -> Path:
    """Return the folder of the log files, such as ``~/.local/state/vp-desk/log`` on Linux."""
    return platformdirs.user_log_path(APP_NAME, appauthor=False)


# --- Masking ---------------------------------------------------------------------------------

_API_KEY = re.compile(r"(?<![A-Za-z0-9])(?P<kind>sk|pk|rk)_[A-Za-z0-9_\-]{8,}")
_API_KEY_HEADER = re.compile(
    r"(?P<name>x-api-key)(?P<separator>['\"]?\s*[:=,]\s*b?['\"]?)(?P<value>[^\s'\",;})\]]+)",
    re.IGNORECASE,
)

# Every part has a length limit, as in RFC 5321, because unbounded parts would make a long
# message without "@" take quadratic time.
_EMAIL = re.compile(
    r"(?P<local>[\w.!#$%&'*+/=?^`{|}~-]{0,64})(?P<at>@|%40)"
    r"(?P<domain>[\w-]{1,63}(?:\.[\w-]{1,63}){1,8})",
    re.IGNORECASE,
)

# A "+", its URL encoding "%2B" or the "00" prefix, then digit groups that a space, a dot, a
# dash, a slash or a bracketed group separate, as in "+44 (0)20 7946-0958".
_SEPARATOR = r"(?:[ \t]?[.\-/][ \t]?|[ \t])"
_INTERNATIONAL_PHONE = re.compile(
    r"(?P<prefix>\+|%2B|(?<![\w.:])00)"
    r"(?P<number>(?:\(\d{1,4}\)|\d+)"
    rf"(?:[ \t]?\(\d{{1,4}}\)[ \t]?\d+|{_SEPARATOR}\d+)*)",
    re.IGNORECASE,
)
# A national number in digit groups that spaces or dashes separate, such as "020 7946 0958"
# or "347 118 2905". The replacement leaves a match alone unless it has 9 to 12 digits.
_NATIONAL_PHONE = re.compile(
    r"(?<![\w.+\-*:/%])\(?\d{2,5}\)?(?:[ \-]\(?\d{2,5}\)?){1,4}(?![\w\-:/])"
)
# A bare run of digits as long as a phone number, such as "02079460958".
_DIGIT_RUN = re.compile(r"(?<![\w.+\-*])\d{10,15}(?![\w\-])")
# A value in a URL query, which carries "+" for a space and "%40" for "@".
_QUERY_VALUE = re.compile(r"(?P<name>[?&;][^=&\s?#]+=)(?P<value>[^&\s#'\"<>]+)")

_MIN_PHONE_DIGITS = 7
_NATIONAL_DIGITS = range(9, 13)


def mask_sensitive(text: str) -> str:
    """Replace API keys, email addresses and phone numbers in ``text`` with masked forms.

    ``sk_test_4f…`` becomes ``sk_***``, ``john@example.com`` becomes ``j***@example.com`` and
    ``+44 7700 900123`` becomes ``+44******0123``. Numbers are found in E.164 and spaced
    international forms (with "+", "%2B" or "00"), in national forms of 9 to 12 digits in
    groups, and as bare runs of 10 to 15 digits. URL query values are decoded first.

    NOTE: a national number of 7 or 8 digits, or one written with dots, is not recognised;
    only its international form is.
    """
    text = _QUERY_VALUE.sub(_mask_query_value, text)
    return _mask_plain(text)


def _mask_plain(text: str) -> str:
    text = _API_KEY_HEADER.sub(r"\g<name>\g<separator>***", text)
    text = _API_KEY.sub(r"\g<kind>_***", text)
    text = _EMAIL.sub(_mask_email, text)
    text = _INTERNATIONAL_PHONE.sub(_mask_international_phone, text)
    text = _NATIONAL_PHONE.sub(_mask_national_phone, text)
    return _DIGIT_RUN.sub(_mask_digit_run, text)


def _mask_query_value(match: re.Match[str]) -> str:
    decoded = unquote_plus(match["value"])
    masked = _mask_plain(decoded)
    if masked == decoded:
        return match[0]
    return match["name"] + quote_plus(masked, safe="*@")


def _mask_email(match: re.Match[str]) -> str:
    # Text up to the last "=" stays, so that "?email=sam@example.com" keeps its "?email=".
    # Quotes or slashes in front stay too, so that the letter shown is the address's first.
    prefix, equals, local = match["local"].rpartition("=")
    first = next((index for index, char in enumerate(local) if char.isalnum()), None)
    visible = local[: first + 1] if first is not None else ""
    return f"{prefix}{equals}{visible}***{match['at']}{match['domain']}"


def _mask_international_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match["number"])
    if len(digits) < _MIN_PHONE_DIGITS:
        return match[0]

    country, subscriber = split_country_code(digits)
    return f"{match['prefix']}{country}{mask_subscriber(subscriber)}"


def _mask_national_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match[0])
    if len(digits) not in _NATIONAL_DIGITS:
        return match[0]
    return "*" * (len(digits) - 4) + digits[-4:]


def _mask_digit_run(match: re.Match[str]) -> str:
    digits = match[0]
    return "*" * (len(digits) - 4) + digits[-4:]


_MASKED_ATTRIBUTE = "vp_desk_masked"


class MaskingFilter(logging.Filter):
    """Masks API keys, emails and phone numbers in a record before a handler writes it.

    It formats the message with its arguments, and the exception and stack text, then masks
    them; the record keeps no arguments afterwards. Code should never log such values: this
    is the second line of defence.
    """

    def __init__(self) -> None:
        super().__init__()
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record's text in place and let it through."""
        # Every handler of a record runs its filter on the same record object.
        if getattr(record, _MASKED_ATTRIBUTE, False):
            return True
        setattr(record, _MASKED_ATTRIBUTE, True)
        record.msg = mask_sensitive(_message_of(record))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_sensitive(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_sensitive(record.stack_info)
        return True


def _message_of(record: logging.LogRecord) -> str:
    # Arguments may not fit the format string, or their str() may fail. The filter runs inside
    # the caller's log call, so it keeps what can be shown instead of raising.
    try:
        return record.getMessage()
    except Exception:
        return _unformatted_message(record)


def _unformatted_message(record: logging.LogRecord) -> str:
    try:
        return f"{record.msg!s} {record.args!r}"
    except Exception:
        return "(a log message that could not be formatted)"


# --- Set-up ----------------------------------------------------------------------------------


@dataclass
class LoggingSetup:
    """The handlers that ``configure_logging`` installed, and the levels it replaced."""

    log_file: Path | None
    """The active log file, or None when it could not be opened."""
    handlers: list[logging.Handler]
    previous_levels: dict[str, int] = field(default_factory=dict)

    def close(self) -> None:
        """Remove and close the handlers and restore the levels; later calls do nothing."""
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
            handler.close()
        self.handlers.clear()
        for name, level in self.previous_levels.items():
            logging.getLogger(name).setLevel(level)
        self.previous_levels.clear()


_active: LoggingSetup | None = None


def configure_logging(
    *, debug: bool = False, folder: Path | None = None, stream: TextIO | None = None
) -> LoggingSetup:
    """Send all logging to a rotating file in ``folder`` and to ``stream``, both masked.

    The file, ``vp-desk.log`` in ``log_folder()`` unless ``folder`` is given, keeps
    ``LOG_FILE_BACKUPS`` older files of ``MAX_LOG_FILE_BYTES`` each and records INFO and
    above. ``stream``, stderr unless given, shows WARNING and above. With ``debug``, both
    record DEBUG and above. A second call replaces the handlers of the first.
    """
    global _active
    if _active is not None:
        _active.close()

    level = logging.DEBUG if debug else logging.INFO
    console = logging.StreamHandler(stream or sys.stderr)
    console.setLevel(logging.DEBUG if debug else logging.WARNING)
    handlers: list[logging.Handler] = [console]
    log_file, problem = _open_log_file(folder or log_folder(), level)
    if log_file is not None:
        handlers.append(log_file)

    setup = LoggingSetup(
        log_file=Path(log_file.baseFilename) if log_file is not None else None,
        handlers=handlers,
        previous_levels=_set_levels(level),
    )
    masking = MaskingFilter()
    formatter = logging.Formatter(LOG_FORMAT)
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(masking)
        logging.getLogger().addHandler(handler)
    _active = setup

    if problem is not None:
        area_logger(Area.APP).warning("Logging to stderr only: %s", problem)
    return setup


def _open_log_file(folder: Path, level: int) -> tuple[RotatingFileHandler | None, str | None]:
    path = folder / LOG_FILE_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            path, maxBytes=MAX_LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8"
        )
    except OSError as error:
        return None, f"the log file {path} cannot be opened ({error})"
    handler.setLevel(level)
    return handler, None


def _set_levels(level: int) -> dict[str, int]:
    """Set the root and library levels and return the levels they had."""
    previous = {"": logging.getLogger().level}
    logging.getLogger().setLevel(level)
    for name in QUIET_LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        previous[name] = library.level
        library.setLevel(logging.WARNING)
    return previous
