"""Reading of screen-pop requests: the text of ``--lookup`` or a ``vpdesk://lookup`` link."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from vp_desk.api.query_kinds import QueryKind

if TYPE_CHECKING:
    from vp_desk.api.identifiers import InvalidQuery

MAX_REQUEST_LENGTH = 1000
"""Maximum length of a link or ``--lookup`` text, in code points, before anything is removed."""

LINK_SCHEME = "vpdesk"
LINK_ACTION = "lookup"

PARAMETER_KINDS = {
    "phone": QueryKind.PHONE,
    "email": QueryKind.EMAIL,
    "id": QueryKind.CUSTOMER_ID,
}
"""The parameters of a lookup link and the reading that each one forces."""

# The prefixes of the search bar that force the same readings as the link's parameters.
_SEARCH_PREFIXES = {
    QueryKind.PHONE: "phone:",
    QueryKind.EMAIL: "email:",
    QueryKind.CUSTOMER_ID: "id:",
}

# Any "scheme://" start marks a link, so that a link of another scheme is rejected rather
# than searched as free text. "vpdesk:" without the slashes is a malformed link of ours.
_LINK_START = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://|vpdesk:", re.IGNORECASE)
_BAD_PERCENT_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")

# Bidirectional formatting characters can make a value look different from what it is.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_DETAIL_NAME_LENGTH = 40

# A shell or a softphone may add these around the request.
_SURROUNDING_WHITESPACE = " \t\r\n"


class ScreenPopReason(StrEnum):
    """The reason a screen-pop request was rejected. The window turns each into a message."""

    TOO_LONG = "too_long"
    CONTROL_CHARACTER = "control_character"
    EMPTY = "empty"
    UNKNOWN_SCHEME = "unknown_scheme"
    UNKNOWN_ACTION = "unknown_action"
    UNEXPECTED_LINK_PART = "unexpected_link_part"
    INVALID_ENCODING = "invalid_encoding"
    NO_PARAMETER = "no_parameter"
    UNKNOWN_PARAMETER = "unknown_parameter"
    REPEATED_PARAMETER = "repeated_parameter"
    TOO_MANY_PARAMETERS = "too_many_parameters"
    INVALID_QUERY = "invalid_query"


FORWARDED_REJECTIONS = frozenset({ScreenPopReason.TOO_LONG, ScreenPopReason.CONTROL_CHARACTER})
"""The reasons a second start rejects its request for before it connects to the window."""


class ScreenPopError(ValueError):
    """A screen-pop request that was rejected before any search.

    ``detail`` is an English explanation for logs, never for the user, and never contains
    the value searched for. ``query_error`` is the search reading's rejection when
    ``reason`` is INVALID_QUERY, so that the window can show the search bar's message.
    """

    def __init__(
        self, reason: ScreenPopReason, detail: str, query_error: InvalidQuery | None = None
    ) -> None:
        super().__init__(f"invalid screen-pop request ({reason}): {detail}")
        self.reason = reason
        self.detail = detail
        self.query_error = query_error


@dataclass(frozen=True, slots=True)
class LookupRequest:
    """A validated screen-pop request.

    ``text`` is the value to search for, percent-decoded when it came from a link.
    ``kind_hint`` is the reading that the link's parameter forces, or None for the text of
    ``--lookup``, which the search bar reads as if typed.
    """

    text: str
    kind_hint: QueryKind | None

    @property
    def search_text(self) -> str:
        """The text for the search bar, with the prefix that forces ``kind_hint``."""
        if self.kind_hint is None or self.kind_hint not in _SEARCH_PREFIXES:
            return self.text
        return f"{_SEARCH_PREFIXES[self.kind_hint]}{self.text}"


def parse_screen_pop(request: str, default_region: str) -> LookupRequest:
    """Read a ``vpdesk://lookup`` link or a ``--lookup`` text and validate what it searches.

    Text that starts with a URL scheme and ``://``, or with ``vpdesk:``, is read as a link;
    anything else as the text of ``--lookup``. National phone numbers are read for
    ``default_region``, as in the search bar. Raises ScreenPopError.
    """
    check_request_text(request)
    if is_link(request):
        return parse_lookup_link(request, default_region)
    return parse_lookup_text(request, default_region)


def is_link(request: str) -> bool:
    """Return whether ``request`` has the form of a link rather than of search text."""
    return _LINK_START.match(request.strip()) is not None


def check_request_text(request: str) -> None:
    """Raise ScreenPopError when ``request`` is too long or contains control characters.

    Spaces, tabs and line breaks around the request are allowed. These are the checks that
    need no region, so that another process can apply them before it forwards a request.
    """
    if len(request) > MAX_REQUEST_LENGTH:
        detail = f"{len(request)} characters, the maximum is {MAX_REQUEST_LENGTH}"
        raise ScreenPopError(ScreenPopReason.TOO_LONG, detail)
    _check_characters(request.strip(_SURROUNDING_WHITESPACE), "the request")


def parse_lookup_text(text: str, default_region: str) -> LookupRequest:
    """Validate the text of ``--lookup`` as the search bar reads it. Raises ScreenPopError.

    Whitespace around the text is removed. Empty text is rejected, because a screen pop
    that lists every customer is of no use to the agent.
    """
    check_request_text(text)
    stripped = text.strip()
    if not stripped:
        raise ScreenPopError(ScreenPopReason.EMPTY, "the lookup text is empty")

    request = LookupRequest(stripped, None)
    _validate_search(request, default_region)
    return request


def parse_lookup_link(link: str, default_region: str) -> LookupRequest:
    """Read ``vpdesk://lookup?phone=…`` (or ``email=`` or ``id=``). Raises ScreenPopError.

    The scheme, the action and the parameter names are matched without regard to case.
    The link has exactly one parameter and no user, port, path other than "/", or
    fragment. Its value is percent-decoded once, as UTF-8. A "+" stays a plus sign, as in
    RFC 3986, not a space as in HTML forms, because email addresses use it for tags. The
    phone parameter reads a leading space or "+" before a digit as the "+" of the country
    code, and any later "+" as a space between digit groups.
    """
    check_request_text(link)
    name, raw_value = _single_parameter(link.strip())

    value = _percent_decode(raw_value)
    _check_characters(value, f"the value of {name}")
    kind = PARAMETER_KINDS[name]
    if kind == QueryKind.PHONE:
        value = _read_phone_plus_signs(value)
    value = value.strip()
    if not value:
        raise ScreenPopError(ScreenPopReason.EMPTY, f"the parameter {name} has no value")

    request = LookupRequest(value, kind)
    _validate_search(request, default_region)
    return request


def _check_characters(text: str, where: str) -> None:
    for character in text:
        category = unicodedata.category(character)
        if category in ("Cc", "Cs") or character in _BIDI_CONTROLS:
            detail = f"{where} contains the control character U+{ord(character):04X}"
            raise ScreenPopError(ScreenPopReason.CONTROL_CHARACTER, detail)


def _single_parameter(link: str) -> tuple[str, str]:
    """Check the link's scheme, action and parts; return its parameter's name and raw value."""
    try:
        parts = urlsplit(link)
    except ValueError as error:
        raise ScreenPopError(ScreenPopReason.UNKNOWN_ACTION, str(error)) from error

    if parts.scheme.lower() != LINK_SCHEME:
        detail = f"the scheme is {_quoted_name(parts.scheme)}, not {LINK_SCHEME}"
        raise ScreenPopError(ScreenPopReason.UNKNOWN_SCHEME, detail)
    if parts.netloc.lower() != LINK_ACTION:
        # A user or port also ends up here, because they are part of the netloc.
        detail = f"the action is {_quoted_name(parts.netloc)}, not {LINK_ACTION}"
        raise ScreenPopError(ScreenPopReason.UNKNOWN_ACTION, detail)
    if parts.path not in ("", "/") or "#" in link:
        detail = "a lookup link has no path and no fragment"
        raise ScreenPopError(ScreenPopReason.UNEXPECTED_LINK_PART, detail)

    return _read_parameters(parts.query)


def _read_parameters(query: str) -> tuple[str, str]:
    parameters: dict[str, str] = {}
    # Empty pieces, as in "phone=1&", carry nothing, so they are skipped.
    for piece in filter(None, query.split("&")):
        raw_name, _, raw_value = piece.partition("=")
        name = raw_name.lower()
        if name not in PARAMETER_KINDS:
            detail = f"unknown parameter {_quoted_name(raw_name)}; expected phone, email or id"
            raise ScreenPopError(ScreenPopReason.UNKNOWN_PARAMETER, detail)
        if name in parameters:
            raise ScreenPopError(ScreenPopReason.REPEATED_PARAMETER, f"{name} appears twice")
        parameters[name] = raw_value

    if not parameters:
        raise ScreenPopError(ScreenPopReason.NO_PARAMETER, "expected phone, email or id")
    if len(parameters) > 1:
        detail = f"{' and '.join(sorted(parameters))} together; a link searches for one value"
        raise ScreenPopError(ScreenPopReason.TOO_MANY_PARAMETERS, detail)
    return next(iter(parameters.items()))


def _percent_decode(raw_value: str) -> str:
    if _BAD_PERCENT_ESCAPE.search(raw_value):
        detail = "a % is not followed by two hexadecimal digits"
        raise ScreenPopError(ScreenPopReason.INVALID_ENCODING, detail)
    try:
        return unquote(raw_value, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as error:
        detail = "the percent-encoded bytes are not UTF-8"
        raise ScreenPopError(ScreenPopReason.INVALID_ENCODING, detail) from error


def _read_phone_plus_signs(value: str) -> str:
    # Softphones put the caller number into the link unencoded, and some layer on the way
    # may already have turned its "+" into a space.
    if len(value) >= 2 and value[0] in " +" and value[1].isdigit():
        value = "+" + value[1:]
    if len(value) > 1:
        value = value[0] + value[1:].replace("+", " ")
    return value


def _validate_search(request: LookupRequest, default_region: str) -> None:
    # The app checks a request before its window paints, and this import loads the phone
    # metadata. Only a request that is searched needs it.
    from vp_desk.api.identifiers import InvalidQuery, parse_query

    try:
        parse_query(request.search_text, default_region)
    except InvalidQuery as error:
        raise ScreenPopError(ScreenPopReason.INVALID_QUERY, error.detail, error) from error


def _quoted_name(name: str) -> str:
    # Names of schemes, actions and parameters appear in logs, so they are cut short.
    return repr(name[:_DETAIL_NAME_LENGTH])
