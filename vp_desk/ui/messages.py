"""Every sentence the window shows about a failure, each with the next step, translatable."""

from __future__ import annotations

import math

from PySide6.QtCore import QCoreApplication

from vp_desk.api.errors import (
    ApiStatusError,
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
from vp_desk.api.identifiers import (
    MAX_TEXT_LENGTH,
    InvalidQuery,
    InvalidReason,
    SearchQuery,
)
from vp_desk.api.query_kinds import QueryKind
from vp_desk.api.retry import RetryNotice, RetryReason
from vp_desk.lookup import NotSavedError
from vp_desk.offline import StoreWarning, StoreWarningKind
from vp_desk.screen_pop import ScreenPopError, ScreenPopReason


def tr(text: str) -> str:
    """Translate ``text`` in the ``messages`` context."""
    return QCoreApplication.translate("messages", text)


def error_message(error: BaseException, query: SearchQuery | None = None) -> str:
    """Describe a failed request in one sentence plus the next step."""
    match error:
        case NotSavedError():
            return tr(
                "The server cannot be reached, and nothing saved on this computer matches. "
                "Try again when the connection is back."
            )
        case EndpointNotFoundError():
            return tr(
                "The server at this address is not the store's Customers API. Check the base "
                "URL in Settings; it ends before /api/v1."
            )
        case NotFoundError():
            return _not_found_message(query)
        case UnauthorizedError():
            return tr("The API key was rejected. Open Settings to enter a new one.")
        case ForbiddenError():
            return tr(
                "This API key may not read customers. Use the store's private API key "
                "(it starts with sk_), not its public key."
            )
        case BadRequestError():
            return tr(
                "The server rejected the search: {detail} Check the input and try again."
            ).format(detail=error.server_message)
        case RateLimitedError():
            return tr("The server is limiting requests. Wait a few seconds and try again.")
        case ServerError():
            return tr(
                "The server failed to answer (HTTP {status}). Try again in a minute; "
                "if it keeps failing, tell your administrator."
            ).format(status=error.status)
        case NetworkError():
            return tr("The server cannot be reached. Check the network connection and try again.")
        case RequestTimeoutError():
            return tr("The server took too long to answer. Try again in a moment.")
        case InvalidResponseError():
            return tr(
                "The server sent an invalid response. Try again; if it keeps happening, "
                "tell your administrator."
            )
        case ApiStatusError():
            return tr("The request failed (HTTP {status}). Try again.").format(status=error.status)
        case _:
            return tr(
                "Something unexpected went wrong. Try again; if it happens again, send the "
                "error details to your administrator."
            )


def _not_found_message(query: SearchQuery | None) -> str:
    if query is None:
        return tr("This customer no longer exists in the store. Search again.")

    match query.kind:
        case QueryKind.PHONE:
            text = tr("No customer with the phone number {value} in this store.")
        case QueryKind.EMAIL:
            text = tr("No customer with the email {value} in this store.")
        case _:
            text = tr("No customer with the id {value} in this store.")
    next_step = tr("Check it with the caller, or search by name.")
    return f"{text.format(value=query.display)} {next_step}"


_NATIONAL_PHONE_REASONS = {
    InvalidReason.PHONE_TOO_SHORT,
    InvalidReason.PHONE_TOO_LONG,
    InvalidReason.PHONE_INVALID,
    InvalidReason.PHONE_MISSING_AREA_CODE,
}


def invalid_query_message(error: InvalidQuery, region: str | None = None) -> str:
    """Describe why the search bar rejected its text before sending anything.

    A national number is read for the profile's ``region``, so a rejection of one names the
    region: a valid number of another country fails there for that reason alone.
    """
    text = _invalid_query_texts().get(
        error.reason, tr("{text} cannot be searched. Check it and try again.")
    )
    message = text.format(text=_quoted(error.text))

    international = error.text.lstrip().startswith(("+", "00"))
    if region and error.reason in _NATIONAL_PHONE_REASONS and not international:
        hint = tr("Numbers without + are read in phone region {region}.").format(region=region)
        message = f"{message} {hint}"
    return message


def _invalid_query_texts() -> dict[InvalidReason, str]:
    return {
        InvalidReason.EMPTY_PREFIXED: tr("Type something after the prefix in {text}."),
        InvalidReason.PHONE_NOT_A_NUMBER: tr(
            "{text} is not a phone number. Type the digits the caller reads out."
        ),
        InvalidReason.PHONE_TOO_SHORT: tr(
            "{text} is too short for a phone number. Ask the caller for the whole number."
        ),
        InvalidReason.PHONE_TOO_LONG: tr(
            "{text} is too long for a phone number. Check the digits with the caller."
        ),
        InvalidReason.PHONE_MISSING_AREA_CODE: tr(
            "{text} has no area code. Ask the caller for the whole number."
        ),
        InvalidReason.PHONE_INVALID: tr(
            "{text} is not a valid phone number. Check the digits, or type it with + and "
            "the country code."
        ),
        InvalidReason.PHONE_UNKNOWN_REGION: tr(
            "The country of {text} is unknown. Type it with + and the country code."
        ),
        InvalidReason.EMAIL_INVALID: tr(
            "{text} is not a valid email address. Check the spelling with the caller."
        ),
        InvalidReason.CUSTOMER_ID_INVALID: tr(
            "{text} is not a customer id. A customer id looks like "
            "123e4567-e89b-12d3-a456-426614174000."
        ),
        InvalidReason.TEXT_TOO_LONG: tr(
            "The search is too long. Use at most {limit} characters."
        ).replace("{limit}", str(MAX_TEXT_LENGTH)),
    }


def _quoted(text: str) -> str:
    shown = text if len(text) <= 60 else text[:57] + "…"
    return f"“{shown}”"


def reading_text(query: SearchQuery) -> str:
    """Say how the search bar will read its text, such as ``Phone +44 20 7946 0958``."""
    match query.kind:
        case QueryKind.CUSTOMER_ID:
            return tr("Customer ID")
        case QueryKind.PHONE if query.dropped_extension:
            return tr("Phone {number}, without extension {extension}").format(
                number=query.display, extension=query.dropped_extension
            )
        case QueryKind.PHONE:
            return tr("Phone {number}").format(number=query.display)
        case QueryKind.EMAIL:
            return tr("Email")
        case _:
            return tr("Search names, emails, phones")


def store_warning_message(warning: StoreWarning) -> str:
    """Describe a problem of the store of recent lookups, and what it means for the agent."""
    match warning.kind:
        case StoreWarningKind.KEYRING_UNAVAILABLE | StoreWarningKind.FOLDER_UNAVAILABLE:
            return tr(
                "Recent lookups are kept in memory for this session only, because they cannot "
                "be stored safely on this computer. They are gone when vp-desk closes."
            )
        case StoreWarningKind.CORRUPT_FILE_MOVED:
            return tr(
                "The file of recent lookups was damaged and was set aside; the list starts "
                "empty. Nothing else is affected."
            )
        case StoreWarningKind.SNAPSHOTS_UNREADABLE:
            return tr(
                "Saved lookups could not be read with this computer's key and were removed; "
                "the list starts empty."
            )


def screen_pop_message(error: ScreenPopError, region: str | None = None) -> str:
    """Describe why a screen pop from the phone system or a link was rejected."""
    if error.reason == ScreenPopReason.INVALID_QUERY and error.query_error is not None:
        return invalid_query_message(error.query_error, region)

    texts = {
        ScreenPopReason.TOO_LONG: tr("The phone system sent a lookup over 1,000 characters."),
        ScreenPopReason.CONTROL_CHARACTER: tr(
            "The phone system sent a lookup with control characters."
        ),
        ScreenPopReason.EMPTY: tr("The phone system sent an empty lookup."),
    }
    text = texts.get(error.reason, tr("The phone system sent a link vp-desk cannot read."))
    next_step = tr(
        "Nothing was looked up. Search by hand, and ask your administrator to check the phone "
        "system's vp-desk set-up."
    )
    return f"{text} {next_step}"


def retry_message(notice: RetryNotice) -> str:
    """Say that a request is being sent again, and when, for the status bar."""
    seconds = max(1, math.ceil(notice.delay))
    if notice.reason == RetryReason.RATE_LIMITED:
        return tr("Rate limited, retrying in {seconds} s").format(seconds=seconds)
    return tr(
        "The server did not answer; retrying in {seconds} s (attempt {next} of {most})"
    ).format(seconds=seconds, next=notice.attempt + 1, most=notice.max_attempts)
