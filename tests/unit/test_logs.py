"""Logging set-up and masking: file and stderr handlers, levels, and what the masks hide."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import sys
import time
from collections.abc import Iterator
from logging.handlers import RotatingFileHandler
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vp_desk.api.client import CustomersClient
from vp_desk.api.errors import ApiError
from vp_desk.api.retry import NO_RETRIES
from vp_desk.logs import (
    LOG_FILE_BACKUPS,
    LOG_FILE_NAME,
    MAX_LOG_FILE_BYTES,
    Area,
    LoggingSetup,
    MaskingFilter,
    area_logger,
    configure_logging,
    log_folder,
    mask_sensitive,
)

CUSTOMER_ID = "123e4567-e89b-12d3-a456-426614174000"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("john@example.com", "j***@example.com"),
        ("Contact: Giulia.Esposito@example.co.uk.", "Contact: G***@example.co.uk."),
        ("józef.nowak@przykład.pl", "j***@przykład.pl"),
        ("'sam+tag/x#y?z@example.com'", "'s***@example.com'"),
        ("email=sam%2Btag%40example.com&x=1", "email=s***%40example.com&x=1"),
        ("+447700900123", "+44******0123"),
        ("+44 7700 900123", "+44******0123"),
        ("+44 (0)20 7946-0958", "+44*******0958"),
        ("+1 (202) 555-0143", "+1******0143"),
        ("+39 347 123 4567", "+39******4567"),
        ("phoneNumber=%2B447700900123", "phoneNumber=%2B44******0123"),
        ("0044 7700 900123", "0044******0123"),
        ("020 7946 0958", "*******0958"),
        ("searchTerm=02079460958", "searchTerm=*******0958"),
        ("347 118 2905", "******2905"),
        (
            "/customers?limit=5&searchTerm=020+7946+0958",
            "/customers?limit=5&searchTerm=*******0958",
        ),
        ("/by-email?email=Sam.Taylor%2Bsupport%40Example.org", "/by-email?email=S***@Example.org"),
        ("key sk_test_4f3a9b8c7d6e5f40", "key sk_***"),
        ("sk_live_abcdef1234567890_x and pk_test_00aa11bb22cc", "sk_*** and pk_***"),
        ("(b'x-api-key', b'opaque-secret-value')", "(b'x-api-key', b'***')"),
        ("X-API-Key: opaque-secret-value", "X-API-Key: ***"),
    ],
)
def test_mask_hides_sensitive_value(text: str, expected: str) -> None:
    assert mask_sensitive(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2025-01-18 16:42:05,123 INFO vp_desk.api: GET /customers/{customerId} 200 in 12 ms",
        "customer 123e4567-e89b-12d3-a456-426614174000 at http://127.0.0.1:8765",
        "The response body of 6291456 bytes is over the limit of 5242880.",
        "2025-01-18T16:42:05+00:00, offset +0100",
        "Retrying GET /customers in 0.5 s: timed out on attempt 1 of 3",
        "+0123 is too short",
        "task_manager started",
        "connected to 192.168.100.200 on Sat, 04 Dec 2026 12:00:00 GMT",
        "GET http://127.0.0.1:8765/api/v1/customers?limit=50&offset=0&searchTerm=rossi",
    ],
)
def test_mask_keeps_ordinary_text(text: str) -> None:
    assert mask_sensitive(text) == text


@pytest.mark.parametrize(
    "text",
    ["a" * 50_000, "+1" * 25_000, "1-" * 25_000, "%40" * 15_000, "a." * 25_000 + "@b.c"],
    ids=["letters", "plus-digits", "digit-dashes", "encoded-at", "dotted"],
)
def test_mask_is_fast_on_long_text(text: str) -> None:
    started = time.perf_counter()

    mask_sensitive(text)

    # A quadratic pattern needs tens of seconds here; the masks need well under one.
    assert time.perf_counter() - started < 2.0


def test_mask_is_idempotent() -> None:
    masked = mask_sensitive("j@example.com +447700900123 sk_test_4f3a9b8c7d6e5f40")

    assert mask_sensitive(masked) == masked


FUZZ_SETTINGS = settings(max_examples=150, deadline=None, database=None)
E164 = st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True)
SURROUNDINGS = st.sampled_from(["{}", "by {}.", "phone={}&x=1", "'{}'", "({})", "a {} b"])


@settings(max_examples=100, deadline=None, database=None)
@given(st.emails().filter(lambda email: "*" not in email), SURROUNDINGS)
def test_mask_never_shows_whole_email(email: str, surrounding: str) -> None:
    masked = mask_sensitive(surrounding.format(email))

    assert email not in masked
    assert email.lower() not in masked.lower()


@FUZZ_SETTINGS
@given(E164, SURROUNDINGS, st.sampled_from(["+", "%2B", "00"]))
def test_mask_never_shows_whole_phone(phone: str, surrounding: str, prefix: str) -> None:
    written = prefix + phone[1:]

    masked = mask_sensitive(surrounding.format(written))

    assert written not in masked
    assert phone[1:] not in masked
    assert masked.count("*") >= 2


@FUZZ_SETTINGS
@given(E164, st.sampled_from([" ", "-", ".", " - "]))
def test_mask_never_shows_spaced_phone(phone: str, separator: str) -> None:
    digits = phone[1:]
    spaced = "+" + separator.join(digits[index : index + 3] for index in range(0, len(digits), 3))

    masked = mask_sensitive(f"call {spaced} now")

    assert spaced not in masked
    assert masked.count("*") >= 2


@FUZZ_SETTINGS
@given(st.text())
def test_mask_is_stable_on_any_text(text: str) -> None:
    masked = mask_sensitive(text)

    assert mask_sensitive(masked) == masked


def make_record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("vp_desk.test", logging.INFO, __file__, 1, message, args, None)


def test_filter_masks_arguments() -> None:
    record = make_record("Looked up %s by %s", "sam@example.com", "+447700900123")

    assert MaskingFilter().filter(record) is True

    assert record.getMessage() == "Looked up s***@example.com by +44******0123"


def test_filter_masks_exception_text() -> None:
    try:
        raise ValueError("no customer sam@example.com with key sk_test_4f3a9b8c7d6e5f40")
    except ValueError:
        record = logging.LogRecord(
            "vp_desk.test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )

    MaskingFilter().filter(record)
    text = logging.Formatter().format(record)

    assert "sam@example.com" not in text
    assert "sk_test_4f3a9b8c7d6e5f40" not in text
    assert "s***@example.com" in text


def test_filter_keeps_record_with_wrong_arguments() -> None:
    record = make_record("%d customers", "sam@example.com")

    MaskingFilter().filter(record)

    assert "s***@example.com" in record.getMessage()


class Unprintable:
    """An argument whose str() and repr() both fail."""

    def __str__(self) -> str:
        raise RuntimeError("no text")

    def __repr__(self) -> str:
        raise RuntimeError("no text")


def test_filter_survives_unprintable_argument() -> None:
    record = make_record("value %s", Unprintable())

    assert MaskingFilter().filter(record) is True

    assert record.getMessage() == "(a log message that could not be formatted)"


@pytest.fixture
def console() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def configured(tmp_path: Path, console: io.StringIO) -> Iterator[LoggingSetup]:
    setup = configure_logging(folder=tmp_path, stream=console)
    yield setup
    setup.close()


@pytest.fixture
def configured_debug(tmp_path: Path, console: io.StringIO) -> Iterator[LoggingSetup]:
    setup = configure_logging(debug=True, folder=tmp_path, stream=console)
    yield setup
    setup.close()


def file_text(setup: LoggingSetup) -> str:
    for handler in setup.handlers:
        handler.flush()
    assert setup.log_file is not None
    return setup.log_file.read_text(encoding="utf-8")


def test_file_gets_info_and_console_warning(configured: LoggingSetup, console: io.StringIO) -> None:
    logger = area_logger(Area.API)

    logger.debug("debug line")
    logger.info("info line")
    logger.warning("warning line")

    text = file_text(configured)
    assert "debug line" not in text
    assert "INFO vp_desk.api: info line" in text
    assert "WARNING vp_desk.api: warning line" in text
    assert "info line" not in console.getvalue()
    assert "warning line" in console.getvalue()


def test_debug_sends_everything_everywhere(
    configured_debug: LoggingSetup, console: io.StringIO
) -> None:
    area_logger(Area.UI).debug("debug line")

    assert "DEBUG vp_desk.ui: debug line" in file_text(configured_debug)
    assert "debug line" in console.getvalue()


def test_handlers_mask_messages(configured: LoggingSetup, console: io.StringIO) -> None:
    area_logger(Area.OFFLINE).warning("Cached %s, %s", "sam@example.com", "+447700900123")

    for text in (file_text(configured), console.getvalue()):
        assert "sam@example.com" not in text
        assert "+447700900123" not in text
        assert "s***@example.com, +44******0123" in text


def test_file_rotates_at_one_megabyte(configured: LoggingSetup, tmp_path: Path) -> None:
    rotating = [h for h in configured.handlers if isinstance(h, RotatingFileHandler)]

    assert configured.log_file == tmp_path / LOG_FILE_NAME
    assert len(rotating) == 1
    assert rotating[0].maxBytes == MAX_LOG_FILE_BYTES == 1024 * 1024
    assert rotating[0].backupCount == LOG_FILE_BACKUPS == 5


def test_httpx_is_quieted(configured_debug: LoggingSetup) -> None:
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("httpcore").getEffectiveLevel() == logging.WARNING


def test_close_restores_levels(tmp_path: Path, console: io.StringIO) -> None:
    root_level = logging.getLogger().level
    httpx_level = logging.getLogger("httpx").level

    setup = configure_logging(debug=True, folder=tmp_path, stream=console)
    setup.close()

    assert logging.getLogger().level == root_level
    assert logging.getLogger("httpx").level == httpx_level
    assert not set(setup.handlers) & set(logging.getLogger().handlers)


def test_second_set_up_replaces_first(tmp_path: Path, console: io.StringIO) -> None:
    first = configure_logging(folder=tmp_path / "first", stream=console)
    second = configure_logging(folder=tmp_path / "second", stream=console)
    try:
        area_logger(Area.APP).warning("only once")

        assert console.getvalue().count("only once") == 1
        assert first.handlers == []
    finally:
        second.close()


def test_unwritable_folder_falls_back_to_console(tmp_path: Path, console: io.StringIO) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder should be", encoding="utf-8")

    setup = configure_logging(folder=blocker / "log", stream=console)
    try:
        assert setup.log_file is None
        assert "Logging to stderr only" in console.getvalue()
    finally:
        setup.close()


def test_log_folder_is_per_user_and_app() -> None:
    folder = log_folder()

    assert folder.is_absolute()
    assert "vp-desk" in folder.parts


def test_request_line_names_template_status_and_attempt(
    configured: LoggingSetup,
) -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"success": False, "error": {"code": "NOT_FOUND"}})

    async def scenario() -> None:
        async with CustomersClient(
            "http://127.0.0.1:9",
            "sk_test_key",
            retry_policy=NO_RETRIES,
            transport=httpx.MockTransport(reply),
        ) as client:
            for lookup in (
                client.get_customer(CUSTOMER_ID),
                client.get_customer_by_email("sam@example.com"),
                client.get_customer_by_phone("+447700900123"),
            ):
                with contextlib.suppress(ApiError):
                    await lookup

    asyncio.run(scenario())
    lines = [line for line in file_text(configured).splitlines() if "vp_desk.api" in line]

    assert len(lines) == 3
    assert "GET /customers/{customerId} 404 in " in lines[0]
    assert "ms (attempt 1)" in lines[0]
    assert "GET /customers/by-email 404" in lines[1]
    assert "GET /customers/by-phone 404" in lines[2]
    assert CUSTOMER_ID not in "\n".join(lines)
    assert "?" not in "\n".join(lines)
