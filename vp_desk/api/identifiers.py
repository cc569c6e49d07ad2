"""Classification of the search bar's text as a customer id, phone number, email or free text."""

from __future__ import annotations

import functools
import re
import unicodedata
import uuid
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, ValidationResult

from vp_desk.api.query_kinds import QueryKind

MAX_TEXT_LENGTH = 200
"""Maximum length of a free-text search, in code points after whitespace is collapsed."""

FALLBACK_REGION = "US"
"""The phone region used when the locale names no region that phonenumbers supports."""


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A search text that passed classification, ready to send.

    ``value`` is what the request carries: a lower-case hyphenated UUID, an E.164 number, a
    normalised email or stripped free text, where an empty text lists every customer.
    ``display`` is how the search bar shows the reading: a phone number in international
    format, anything else as its value.
    """

    kind: QueryKind
    value: str
    display: str
    dropped_extension: str | None = None


class InvalidReason(StrEnum):
    """The reason a search text was rejected. The Qt layer turns each member into a message."""

    EMPTY_PREFIXED = "empty_prefixed"
    CUSTOMER_ID_INVALID = "customer_id_invalid"
    PHONE_NOT_A_NUMBER = "phone_not_a_number"
    PHONE_TOO_SHORT = "phone_too_short"
    PHONE_TOO_LONG = "phone_too_long"
    PHONE_MISSING_AREA_CODE = "phone_missing_area_code"
    PHONE_INVALID = "phone_invalid"
    PHONE_UNKNOWN_REGION = "phone_unknown_region"
    EMAIL_INVALID = "email_invalid"
    TEXT_TOO_LONG = "text_too_long"


class InvalidQuery(ValueError):  # noqa: N818 - the search bar and its callers use this name
    """A search text that was rejected before any request was sent.

    ``kind`` is the reading that was tried, ``text`` the input as given, and ``detail`` an
    English explanation for logs, never for the user.
    """

    def __init__(self, kind: QueryKind, text: str, reason: InvalidReason, detail: str) -> None:
        super().__init__(f"invalid {kind} query ({reason}): {detail}")
        self.kind = kind
        self.text = text
        self.reason = reason
        self.detail = detail


_PREFIXES = {
    "id": QueryKind.CUSTOMER_ID,
    "phone": QueryKind.PHONE,
    "email": QueryKind.EMAIL,
    "name": QueryKind.TEXT,
}
_PREFIX = re.compile(r"(id|phone|email|name):\s*", re.IGNORECASE)

_UUID_BODY = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}"
)
_ALMOST_UUID_BODY = re.compile(r"[0-9a-z-]+")

# The separators that people and web pages put between the digits of a phone number,
# including the Unicode dashes and the katakana long vowel mark used as a dash in Japan.
_PHONE_PUNCTUATION = r"\s\-\u2010-\u2015\u2212\u30fc.()\[\]/"
_PHONE_SHAPE = re.compile(
    rf"(?P<number>[(\s]*\+*[\d{_PHONE_PUNCTUATION}]*)"
    r"(?P<extension>\s*,?\s*(?:ext(?:ension|n)?\.?|x|#|;ext=)\s*:?\s*\d+)?",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_MIN_PHONE_DIGITS = 7

# The exit codes that callers abroad read out before a country code: 00 in most of the
# world, 011 in the North American Numbering Plan.
_EXIT_CODE = re.compile(rf"[{_PHONE_PUNCTUATION}]*(?:00|011)")

# Zero-width and bidirectional marks arrive with text pasted from web pages and hide inside
# numbers and addresses. ZWJ and ZWNJ stay, because emoji and the spelling of Persian and
# Indic names need them.
_INVISIBLE_FORMAT_CHARACTERS = frozenset(
    "\u00ad\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"
)

_PARSE_ERROR_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: InvalidReason.PHONE_UNKNOWN_REGION,
    NumberParseException.NOT_A_NUMBER: InvalidReason.PHONE_NOT_A_NUMBER,
    NumberParseException.TOO_SHORT_AFTER_IDD: InvalidReason.PHONE_TOO_SHORT,
    NumberParseException.TOO_SHORT_NSN: InvalidReason.PHONE_TOO_SHORT,
    NumberParseException.TOO_LONG: InvalidReason.PHONE_TOO_LONG,
}
_VALIDATION_FAILURES = {
    ValidationResult.INVALID_COUNTRY_CODE: (
        InvalidReason.PHONE_UNKNOWN_REGION,
        "the country calling code is not assigned",
    ),
    ValidationResult.TOO_SHORT: (InvalidReason.PHONE_TOO_SHORT, "too short for its region"),
    ValidationResult.TOO_LONG: (InvalidReason.PHONE_TOO_LONG, "too long for its region"),
    ValidationResult.INVALID_LENGTH: (
        InvalidReason.PHONE_INVALID,
        "no number of its region has this length",
    ),
}


def parse_query(text: str, default_region: str) -> SearchQuery:
    """Classify and normalise the search bar's text.

    National phone numbers are read with the rules of ``default_region``. Raises
    InvalidQuery when the text is rejected, and ValueError when ``default_region`` is not an
    upper-case region code that phonenumbers supports.
    """
    _check_region(default_region)
    cleaned = _clean(text)

    prefix = _PREFIX.match(cleaned)
    if prefix is None:
        return _parse_unprefixed(text, cleaned, default_region)

    kind = _PREFIXES[prefix.group(1).lower()]
    rest = cleaned[prefix.end() :]
    if not rest:
        detail = f"nothing follows the {prefix.group(1).lower()}: prefix"
        raise InvalidQuery(kind, text, InvalidReason.EMPTY_PREFIXED, detail)

    match kind:
        case QueryKind.CUSTOMER_ID:
            return _parse_customer_id(text, rest)
        case QueryKind.PHONE:
            return _parse_phone(text, rest, default_region)
        case QueryKind.EMAIL:
            return _parse_email(text, rest)
        case QueryKind.TEXT:
            return _parse_text(text, rest)


def default_region_from_locale(locale_name: str | None) -> str:
    """Return the phone region of a locale name such as ``en_GB`` or ``de_DE.UTF-8``.

    Returns FALLBACK_REGION when the name has no region that phonenumbers supports, as in
    ``C``, ``en`` or ``es_419``.
    """
    if not locale_name:
        return FALLBACK_REGION

    name = locale_name.split(".", 1)[0].split("@", 1)[0]
    subtags = re.split(r"[_-]", name)

    # The script subtag of names such as zh_Hant_TW has four letters, so the region is the
    # first two-letter subtag after the language.
    for subtag in subtags[1:]:
        if len(subtag) == 2 and subtag.isascii() and subtag.isalpha():
            region = subtag.upper()
            return region if region in phonenumbers.SUPPORTED_REGIONS else FALLBACK_REGION
    return FALLBACK_REGION


@functools.lru_cache(maxsize=4096)
def format_phone(e164: str) -> str:
    """Format an E.164 number for reading aloud, such as ``+44 20 7946 0958``.

    A number that phonenumbers cannot parse is returned unchanged, because a stored value is
    still worth showing as it is. Results are cached: parsing takes about 20 µs, and the
    customer list formats the number of every row it shows, again for each page.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def _check_region(region: str) -> None:
    is_alpha2 = len(region) == 2 and region.isascii() and region.isalpha() and region.isupper()
    if not is_alpha2 or region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(
            f"default_region must be an upper-case ISO 3166 alpha-2 code that phonenumbers "
            f"supports, such as 'GB', not {region!r}"
        )


def _clean(text: str) -> str:
    """Remove control, surrogate and invisible format characters, then collapse whitespace."""
    kept_characters = []
    for character in text:
        if character.isspace():
            kept_characters.append(" ")
        elif character in _INVISIBLE_FORMAT_CHARACTERS:
            continue
        elif unicodedata.category(character) not in ("Cc", "Cs"):
            kept_characters.append(character)
    return " ".join("".join(kept_characters).split())


def _parse_unprefixed(text: str, cleaned: str, region: str) -> SearchQuery:
    if not cleaned:
        return SearchQuery(QueryKind.TEXT, "", "")

    customer_id = _read_customer_id(cleaned)
    if customer_id is not None:
        return SearchQuery(QueryKind.CUSTOMER_ID, customer_id, customer_id)

    # Free text with an @ and no space has no use, so a mistyped address is rejected rather
    # than sent as a search term that matches no customer.
    if "@" in cleaned and " " not in cleaned:
        return _parse_email(text, cleaned)

    if _looks_like_almost_uuid(cleaned):
        return _parse_text(text, cleaned)

    if _looks_like_phone(cleaned):
        return _parse_phone(text, cleaned, region)

    return _parse_text(text, cleaned)


def _unwrap_uuid(text: str) -> str:
    lowered = text.lower()
    if lowered.startswith("urn:uuid:"):
        return lowered.removeprefix("urn:uuid:")
    if lowered.startswith("{") and lowered.endswith("}"):
        return lowered[1:-1]
    return lowered


def _read_customer_id(text: str) -> str | None:
    """Return the canonical form of a GUID, bare, in braces or as a urn:uuid: URN."""
    body = _unwrap_uuid(text)
    if _UUID_BODY.fullmatch(body) is None:
        return None
    return str(uuid.UUID(body))


def _looks_like_almost_uuid(text: str) -> bool:
    """Return whether the text has about the shape of a GUID but is not one."""
    body = _unwrap_uuid(text)
    if _ALMOST_UUID_BODY.fullmatch(body) is None:
        return False

    alphanumerics = len(body) - body.count("-")
    return 28 <= alphanumerics <= 36 and body.count("-") <= 5


def _looks_like_phone(text: str) -> bool:
    # Unprefixed text is a phone number when it has only digits, spaces and phone
    # punctuation, perhaps an extension, and either starts with + or has at least 7 digits.
    # Shorter digit strings such as years and postcodes, and text that mixes letters with
    # digits, go to free-text search. An order number of 7 or more digits needs "name:".
    shape = _PHONE_SHAPE.fullmatch(unicodedata.normalize("NFKC", text))
    if shape is None:
        return False

    number = shape.group("number")
    has_plus = number.lstrip("( ").startswith("+")
    return has_plus or len(_DIGIT.findall(number)) >= _MIN_PHONE_DIGITS


def _parse_customer_id(text: str, candidate: str) -> SearchQuery:
    customer_id = _read_customer_id(candidate)
    if customer_id is None:
        detail = (
            "a customer id is 32 hexadecimal digits, optionally grouped 8-4-4-4-12, "
            "in braces or after urn:uuid:"
        )
        raise InvalidQuery(QueryKind.CUSTOMER_ID, text, InvalidReason.CUSTOMER_ID_INVALID, detail)
    return SearchQuery(QueryKind.CUSTOMER_ID, customer_id, customer_id)


def load_email_rules() -> None:
    """Import the email validator now rather than at the first email that is parsed.

    Its import compiles the address grammar and takes about 20 ms, which the app spends once
    its window is on screen instead of before.
    """
    import email_validator  # noqa: F401


def _parse_email(text: str, candidate: str) -> SearchQuery:
    # Imported here, because only an email query needs it and its import is slow.
    from email_validator import EmailNotValidError, validate_email

    # The local part keeps its case and +tag because the server decides how to match it.
    # NOTE: the Customers API documentation does not say how it stores internationalised
    # domains, so the readable Unicode form is sent, not the punycode one.
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidQuery(
            QueryKind.EMAIL, text, InvalidReason.EMAIL_INVALID, str(error)
        ) from error
    return SearchQuery(QueryKind.EMAIL, result.normalized, result.normalized)


def _parse_text(text: str, candidate: str) -> SearchQuery:
    if len(candidate) > MAX_TEXT_LENGTH:
        detail = f"{len(candidate)} characters, the maximum is {MAX_TEXT_LENGTH}"
        raise InvalidQuery(QueryKind.TEXT, text, InvalidReason.TEXT_TOO_LONG, detail)
    return SearchQuery(QueryKind.TEXT, candidate, candidate)


def _parse_phone(text: str, candidate: str, region: str) -> SearchQuery:
    # NFKC turns full-width digits, plus signs and parentheses from Japanese and Chinese
    # input methods into ASCII.
    number = _read_phone(text, unicodedata.normalize("NFKC", candidate), region)

    extension = number.extension or None
    number.extension = None
    value = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    display = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    return SearchQuery(QueryKind.PHONE, value, display, dropped_extension=extension)


def _read_phone(text: str, candidate: str, region: str) -> PhoneNumber:
    """Parse a valid phone number, trying 00 and 011 as exit codes when the region does not."""
    try:
        number = phonenumbers.parse(candidate, region, keep_raw_input=True)
    except NumberParseException as error:
        fallback = _read_after_exit_code(candidate)
        if fallback is not None:
            return fallback
        reason = _PARSE_ERROR_REASONS.get(error.error_type, InvalidReason.PHONE_NOT_A_NUMBER)
        raise InvalidQuery(QueryKind.PHONE, text, reason, str(error)) from error

    if phonenumbers.is_valid_number(number):
        return number

    fallback = _read_after_exit_code(candidate)
    if fallback is not None:
        return fallback
    reason, detail = _explain_invalid_number(number)
    raise InvalidQuery(QueryKind.PHONE, text, reason, detail)


def _read_after_exit_code(candidate: str) -> PhoneNumber | None:
    """Read a number that starts with 00 or 011 as international, or return None.

    phonenumbers strips only the exit code of the default region, so "0044 ..." with region
    US or "011 44 ..." with region GB first reads as a national number. Such a national
    reading is tried first, because 011 also starts area codes such as Sheffield's 0114 in
    GB and Sapporo's 011 in JP, and this reading is used only when that one is invalid.
    """
    exit_code = _EXIT_CODE.match(candidate)
    if exit_code is None:
        return None

    try:
        number = phonenumbers.parse("+" + candidate[exit_code.end() :], None)
    except NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _explain_invalid_number(number: PhoneNumber) -> tuple[InvalidReason, str]:
    possibility = phonenumbers.is_possible_number_with_reason(number)
    if possibility in _VALIDATION_FAILURES:
        return _VALIDATION_FAILURES[possibility]

    if possibility == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        # A national number of local-only length lacks its area code. With the country code
        # typed, the same length is simply too short.
        typed_national = number.country_code_source == (
            phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY
        )
        if typed_national:
            return InvalidReason.PHONE_MISSING_AREA_CODE, "dialable only locally, no area code"
        return InvalidReason.PHONE_TOO_SHORT, "dialable only locally, too short for its region"

    return InvalidReason.PHONE_INVALID, "not a valid number for its region"
