"""Every failure the window can report has its own sentence with a next step."""

from __future__ import annotations

import pytest

from vp_desk.api.errors import (
    BadRequestError,
    EndpointNotFoundError,
    ForbiddenError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    UnauthorizedError,
)
from vp_desk.api.identifiers import InvalidQuery, InvalidReason, SearchQuery
from vp_desk.api.query_kinds import QueryKind
from vp_desk.api.retry import RetryNotice, RetryReason
from vp_desk.ui.messages import error_message, invalid_query_message, retry_message


@pytest.mark.parametrize("reason", list(InvalidReason))
def test_each_invalid_reason_has_own_message(reason: InvalidReason) -> None:
    error = InvalidQuery(QueryKind.PHONE, "+1 555", reason, "detail for logs")

    message = invalid_query_message(error)

    assert "cannot be searched" not in message
    assert "detail for logs" not in message


@pytest.mark.parametrize(
    "error",
    [
        BadRequestError(400, "INVALID_PARAMETER", "limit must be between 1 and 100."),
        UnauthorizedError(401, "UNAUTHORIZED", "Unknown key."),
        ForbiddenError(403, "FORBIDDEN", "Public key."),
        NotFoundError(404, "NOT_FOUND", "No customer."),
        RateLimitedError(429, "RATE_LIMITED", "Slow down.", retry_after=3),
        ServerError(500, "INTERNAL_ERROR", "Boom."),
        NetworkError("refused"),
        RequestTimeoutError("read timeout"),
        InvalidResponseError("not JSON", status=200),
    ],
    ids=lambda error: type(error).__name__,
)
def test_error_message_names_next_step(error: Exception) -> None:
    message = error_message(error)

    assert message.endswith(".")
    assert "{" not in message
    assert ". " in message, "one sentence for the failure, one for the next step"


def test_bad_request_message_includes_server_reason() -> None:
    error = BadRequestError(400, "INVALID_PARAMETER", "limit must be between 1 and 100.")

    assert "limit must be between 1 and 100." in error_message(error)


def test_not_found_message_names_phone() -> None:
    query = SearchQuery(QueryKind.PHONE, "+442079460958", "+44 20 7946 0958")

    message = error_message(NotFoundError(404, "NOT_FOUND", ""), query)

    assert message.startswith("No customer with the phone number +44 20 7946 0958")


def test_national_phone_rejection_names_region() -> None:
    error = InvalidQuery(QueryKind.PHONE, "020 7946 0958", InvalidReason.PHONE_TOO_LONG, "")

    message = invalid_query_message(error, "US")

    assert message.endswith("Numbers without + are read in phone region US.")


def test_international_phone_rejection_omits_region() -> None:
    error = InvalidQuery(QueryKind.PHONE, "+1 555", InvalidReason.PHONE_TOO_SHORT, "")

    assert "read as numbers of" not in invalid_query_message(error, "US")


def test_rate_limit_retry_message() -> None:
    notice = RetryNotice(RetryReason.RATE_LIMITED, attempt=1, max_attempts=3, delay=2.2)

    assert retry_message(notice) == "Rate limited, retrying in 3 s"


def test_outage_retry_message_counts_attempts() -> None:
    notice = RetryNotice(RetryReason.TIMED_OUT, attempt=1, max_attempts=3, delay=0.4)

    assert retry_message(notice) == ("The server did not answer; retrying in 1 s (attempt 2 of 3)")


def test_bare_404_message_points_at_base_url() -> None:
    message = error_message(EndpointNotFoundError(404, None, "No error envelope."))

    assert "Check the base URL in Settings" in message
