"""Reading and checking the path and query parameters of the Customers API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from uuid import UUID

from starlette.datastructures import QueryParams
from starlette.requests import Request

from vp_desk.api.models import CustomerSortField, SortOrder
from vp_desk.sandbox.database import ListCriteria
from vp_desk.sandbox.errors import invalid_parameter

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_OFFSET = 2**63 - 1
"""Largest offset that SQLite accepts, its 64-bit signed integer maximum."""
MAX_SEARCH_TERM_LENGTH = 200
MAX_EMAIL_LENGTH = 254

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# MAX_OFFSET has 19 digits, so a longer number can only fail, and fails as an invalid integer.
_INTEGER = re.compile(r"-?[0-9]{1,20}")
# Fractional digits of a date-time that the sandbox reads; RFC 3339 sets no limit.
_MAX_FRACTION_DIGITS = 30
# An RFC 3339 date-time: ISO 8601 with the "T", seconds and an offset all required.
_DATE_TIME = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[Tt]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})"
    rf"(?:\.(?P<fraction>[0-9]{{1,{_MAX_FRACTION_DIGITS}}}))?"
    r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<offset_hours>[0-9]{2}):(?P<offset_minutes>[0-9]{2}))"
)
_EXAMPLE_GUID = "2d5d67f3-d493-428e-b315-866868e383f0"
_EXAMPLE_PHONE = "+442079460958"
_EXAMPLE_DATE_TIMES = "2025-01-01T00:00:00Z or 2025-01-01T01:00:00+01:00"
_BOOLEANS = {"true": True, "false": False}
_QUOTED_VALUE_MAX = 60


def quote_value(value: str) -> str:
    """Return the value as a Python literal, cut short, so spaces and control codes show."""
    if len(value) > _QUOTED_VALUE_MAX:
        return repr(value[: _QUOTED_VALUE_MAX - 3]) + "..."
    return repr(value)


def single_value(query: QueryParams, name: str) -> str | None:
    """Return the parameter's value, None when it is absent, or raise 400 when it repeats."""
    values = query.getlist(name)
    if len(values) > 1:
        raise invalid_parameter(f"{name} must be given once, got {len(values)} values.")
    return values[0] if values else None


def integer_parameter(
    query: QueryParams, name: str, default: int, minimum: int, maximum: int
) -> int:
    """Return the integer parameter, its default when absent, or raise 400 when out of range."""
    raw = single_value(query, name)
    if raw is None:
        return default

    # MAX_OFFSET is a storage limit rather than part of the contract, so it is named only to
    # a request that exceeds it.
    if maximum == MAX_OFFSET:
        rule = f"{minimum} or more"
        integer_rule = f"an integer of {rule}"
    else:
        rule = f"between {minimum} and {maximum}"
        integer_rule = f"an integer {rule}"

    if _INTEGER.fullmatch(raw) is None:
        raise invalid_parameter(f"{name} must be {integer_rule}, got {quote_value(raw)}.")
    value = int(raw)
    if value > maximum == MAX_OFFSET:
        raise invalid_parameter(f"{name} must be at most {maximum}, got {value}.")
    if not minimum <= value <= maximum:
        raise invalid_parameter(f"{name} must be {rule}, got {value}.")
    return value


def search_term(query: QueryParams) -> str | None:
    """Return searchTerm without surrounding blanks, or None when it is absent or blank."""
    raw = single_value(query, "searchTerm")
    if raw is None:
        return None
    if len(raw) > MAX_SEARCH_TERM_LENGTH:
        raise invalid_parameter(
            f"searchTerm must be at most {MAX_SEARCH_TERM_LENGTH} characters, got {len(raw)}."
        )
    return raw.strip() or None


def customer_id(request: Request) -> UUID:
    """Return the customerId path parameter, or raise 400 when it is not a GUID."""
    raw = str(request.path_params["customerId"])
    if _GUID.fullmatch(raw) is None:
        raise invalid_parameter(
            f"customerId must be a GUID such as {_EXAMPLE_GUID}, got {quote_value(raw)}."
        )
    return UUID(raw)


def phone_number(query: QueryParams) -> str:
    """Return the phoneNumber parameter, or raise 400 when it is missing or not E.164."""
    raw = single_value(query, "phoneNumber")
    if raw is None:
        raise invalid_parameter(
            f"phoneNumber is required, in E.164 format such as {_EXAMPLE_PHONE}."
        )
    if _E164.fullmatch(raw) is not None:
        return raw

    message = (
        f"phoneNumber must be in E.164 format such as {_EXAMPLE_PHONE}, got {quote_value(raw)}."
    )
    if raw.startswith(" ") and _E164.fullmatch("+" + raw[1:]) is not None:
        # A + left unencoded in a query string decodes to a space, as form encoding defines.
        message += " Send the + percent-encoded as %2B."
    raise invalid_parameter(message)


def _email_problem(email: str) -> str | None:
    if len(email) > MAX_EMAIL_LENGTH:
        return f"must be at most {MAX_EMAIL_LENGTH} characters"
    if any(char.isspace() or not char.isprintable() for char in email):
        return "must not contain whitespace or control characters"
    local_part, at, domain = email.partition("@")
    if not at or "@" in domain:
        return "must contain exactly one @"
    if not local_part or not domain:
        return "must have text before and after the @"
    return None


def email(query: QueryParams) -> str:
    """Return the email parameter, or raise 400 when it is missing or malformed."""
    raw = single_value(query, "email")
    if raw is None:
        raise invalid_parameter("email is required, for example email=name@example.com.")
    problem = _email_problem(raw)
    if problem is not None:
        raise invalid_parameter(f"email {problem}, got {quote_value(raw)}.")
    return raw


# --- List filters and order -----------------------------------------------------------------


def list_criteria(query: QueryParams) -> ListCriteria:
    """Return the filters and order of a customer-list request, or raise 400 for a bad value."""
    created_from = _date_time(query, "createdFrom")
    created_to = _date_time(query, "createdTo")
    if created_from is not None and created_to is not None and created_from > created_to:
        raise invalid_parameter(
            "createdFrom must not be later than createdTo, got createdFrom="
            f"{quote_value(str(query['createdFrom']))} and createdTo="
            f"{quote_value(str(query['createdTo']))}."
        )

    return ListCriteria(
        search_term=search_term(query),
        phone_verified=_boolean(query, "phoneVerified"),
        email_verified=_boolean(query, "emailVerified"),
        # Digits beyond microseconds round up for the lower bound and down for the upper one,
        # so an inclusive range never takes in a moment outside the one requested.
        created_from=None if created_from is None else created_from.rounded_up(),
        created_to=None if created_to is None else created_to.moment,
        sort_by=_choice(query, "sortBy", CustomerSortField, CustomerSortField.NAME),
        sort_order=_choice(query, "sortOrder", SortOrder, SortOrder.ASC),
    )


@dataclass(frozen=True, order=True, slots=True)
class _DateTime:
    """A date-time parameter: the moment to the microsecond, and the digits that follow."""

    moment: datetime
    extra_digits: str
    """Fractional digits beyond the sixth, padded with zeros so that they compare as text."""

    def rounded_up(self) -> datetime:
        """Return the moment, one microsecond later when digits beyond it are not all 0."""
        if not self.extra_digits.strip("0"):
            return self.moment
        try:
            return self.moment + timedelta(microseconds=1)
        except OverflowError:
            # The last microsecond of year 9999: no customer is created after it anyway.
            return self.moment


def _boolean(query: QueryParams, name: str) -> bool | None:
    raw = single_value(query, name)
    if raw is None:
        return None
    value = _BOOLEANS.get(raw)
    if value is None:
        raise invalid_parameter(f"{name} must be true or false, got {quote_value(raw)}.")
    return value


def _choice[ChoiceT: StrEnum](
    query: QueryParams, name: str, choices: type[ChoiceT], default: ChoiceT
) -> ChoiceT:
    raw = single_value(query, name)
    if raw is None:
        return default
    try:
        return choices(raw)
    except ValueError:
        allowed = ", ".join(choice.value for choice in choices)
        raise invalid_parameter(
            f"{name} must be one of {allowed}, got {quote_value(raw)}."
        ) from None


def _date_time(query: QueryParams, name: str) -> _DateTime | None:
    """Return the date-time parameter, or raise 400 when it is invalid."""
    raw = single_value(query, name)
    if raw is None:
        return None

    match = _DATE_TIME.fullmatch(raw)
    message = (
        f"{name} must be an ISO 8601 date-time with seconds and a UTC offset, such as "
        f"{_EXAMPLE_DATE_TIMES}, got {quote_value(raw)}."
    )
    if match is None and _DATE_TIME.fullmatch(raw.replace(" ", "+")) is not None:
        # A + left unencoded in a query string decodes to a space, as form encoding defines.
        message += " Send the + of the offset percent-encoded as %2B."
    problem = invalid_parameter(message)
    if match is None or int(match["offset_minutes"] or 0) > 59:
        raise problem

    fraction = match["fraction"] or ""
    offset = timedelta(
        hours=int(match["offset_hours"] or 0), minutes=int(match["offset_minutes"] or 0)
    )
    try:
        moment = datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"]),
            int(fraction[:6].ljust(6, "0")),
            tzinfo=timezone(-offset if match["sign"] == "-" else offset),
        )
    except ValueError:
        # An impossible date or time such as February 30 or 24:00:00, or an offset of a day.
        raise problem from None
    # Aware datetimes compare by the moment they mean, whatever their offsets.
    return _DateTime(moment, fraction[6:].ljust(_MAX_FRACTION_DIGITS - 6, "0"))
