"""Tests of reading screen-pop requests from ``--lookup`` text and ``vpdesk://lookup`` links."""

from __future__ import annotations

import pytest

from vp_desk.api.identifiers import InvalidReason, parse_query
from vp_desk.api.query_kinds import QueryKind
from vp_desk.screen_pop import (
    MAX_REQUEST_LENGTH,
    LookupRequest,
    ScreenPopError,
    ScreenPopReason,
    check_request_text,
    is_link,
    parse_lookup_link,
    parse_lookup_text,
    parse_screen_pop,
)

PHONE = QueryKind.PHONE
EMAIL = QueryKind.EMAIL
ID = QueryKind.CUSTOMER_ID
GUID = "3f2b8c1e-7d4a-4e9b-9c2f-5a6d7e8f9012"
LONDON = "+442079460958"

# (request, expected text, expected hint, expected E.164 or normalised value of the search)
ACCEPTED = [
    # Links: each parameter forces its reading.
    ("vpdesk://lookup?phone=%2B442079460958", "+442079460958", PHONE, LONDON),
    ("vpdesk://lookup?phone=+442079460958", "+442079460958", PHONE, LONDON),
    ("vpdesk://lookup?phone=%20442079460958", "+442079460958", PHONE, LONDON),
    ("vpdesk://lookup?phone=+44+20+7946+0958", "+44 20 7946 0958", PHONE, LONDON),
    ("vpdesk://lookup?phone=020%207946%200958", "020 7946 0958", PHONE, LONDON),
    ("vpdesk://lookup?phone=+44 20 7946 0958", "+44 20 7946 0958", PHONE, LONDON),
    ("vpdesk://lookup?phone=02079460958", "02079460958", PHONE, LONDON),
    ("vpdesk://lookup?phone=0044%2020%207946%200958", "0044 20 7946 0958", PHONE, LONDON),
    ("vpdesk://lookup?email=john%40example.com", "john@example.com", EMAIL, "john@example.com"),
    ("vpdesk://lookup?email=john@example.com", "john@example.com", EMAIL, "john@example.com"),
    (
        "vpdesk://lookup?email=john+vip@example.com",
        "john+vip@example.com",
        EMAIL,
        "john+vip@example.com",
    ),
    (
        "vpdesk://lookup?email=j%C3%B6rg@example.com",
        "jörg@example.com",
        EMAIL,
        "jörg@example.com",
    ),
    (f"vpdesk://lookup?id={GUID}", GUID, ID, GUID),
    (
        f"vpdesk://lookup?id={GUID.replace('-', '').upper()}",
        GUID.replace("-", "").upper(),
        ID,
        GUID,
    ),
    # Scheme, action and names in any case; a trailing slash and a trailing "&".
    ("VPDESK://Lookup?Phone=%2B442079460958", "+442079460958", PHONE, LONDON),
    ("vpdesk://lookup/?phone=%2B442079460958", "+442079460958", PHONE, LONDON),
    ("vpdesk://lookup?phone=%2B442079460958&", "+442079460958", PHONE, LONDON),
    ("  vpdesk://lookup?phone=%2B442079460958\n", "+442079460958", PHONE, LONDON),
    # Text of --lookup, read as the search bar reads it.
    ("+44 20 7946 0958", "+44 20 7946 0958", None, LONDON),
    ("020 7946 0958", "020 7946 0958", None, LONDON),
    ("  020 7946 0958  ", "020 7946 0958", None, LONDON),
    ("john@example.com", "john@example.com", None, "john@example.com"),
    (GUID, GUID, None, GUID),
    ("phone: 020 7946 0958", "phone: 020 7946 0958", None, LONDON),
    ("Rossi", "Rossi", None, "Rossi"),
]

# (request, reason)
REJECTED = [
    ("https://lookup?phone=%2B442079460958", ScreenPopReason.UNKNOWN_SCHEME),
    ("tel://+442079460958", ScreenPopReason.UNKNOWN_SCHEME),
    ("vpdesk://search?phone=%2B442079460958", ScreenPopReason.UNKNOWN_ACTION),
    ("vpdesk:lookup?phone=%2B442079460958", ScreenPopReason.UNKNOWN_ACTION),
    ("vpdesk://agent@lookup?phone=%2B442079460958", ScreenPopReason.UNKNOWN_ACTION),
    ("vpdesk://lookup:8080?phone=%2B442079460958", ScreenPopReason.UNKNOWN_ACTION),
    ("vpdesk://lookup/customers?phone=%2B442079460958", ScreenPopReason.UNEXPECTED_LINK_PART),
    ("vpdesk://lookup?phone=%2B442079460958#top", ScreenPopReason.UNEXPECTED_LINK_PART),
    ("vpdesk://lookup", ScreenPopReason.NO_PARAMETER),
    ("vpdesk://lookup?", ScreenPopReason.NO_PARAMETER),
    ("vpdesk://lookup?&&", ScreenPopReason.NO_PARAMETER),
    ("vpdesk://lookup?name=Rossi", ScreenPopReason.UNKNOWN_PARAMETER),
    ("vpdesk://lookup?ph%6Fne=%2B442079460958", ScreenPopReason.UNKNOWN_PARAMETER),
    ("vpdesk://lookup?phone=1&phone=2", ScreenPopReason.REPEATED_PARAMETER),
    ("vpdesk://lookup?phone=1&PHONE=2", ScreenPopReason.REPEATED_PARAMETER),
    ("vpdesk://lookup?phone=%2B442079460958&email=a@b.co", ScreenPopReason.TOO_MANY_PARAMETERS),
    ("vpdesk://lookup?phone=", ScreenPopReason.EMPTY),
    ("vpdesk://lookup?phone", ScreenPopReason.EMPTY),
    ("vpdesk://lookup?email=%20%20", ScreenPopReason.EMPTY),
    ("vpdesk://lookup?phone=%zz44", ScreenPopReason.INVALID_ENCODING),
    ("vpdesk://lookup?phone=%2", ScreenPopReason.INVALID_ENCODING),
    ("vpdesk://lookup?email=%FF@example.com", ScreenPopReason.INVALID_ENCODING),
    ("vpdesk://lookup?phone=%2B4420%0A79460958", ScreenPopReason.CONTROL_CHARACTER),
    ("vpdesk://lookup?email=a%00@example.com", ScreenPopReason.CONTROL_CHARACTER),
    ("vpdesk://lookup?email=%E2%80%AEmoc.elpmaxe@nhoj", ScreenPopReason.CONTROL_CHARACTER),
    ("vpdesk://lookup?phone=+44\t2079460958", ScreenPopReason.CONTROL_CHARACTER),
    ("020 7946\x000958", ScreenPopReason.CONTROL_CHARACTER),
    ("020 7946 0958\udcff", ScreenPopReason.CONTROL_CHARACTER),
    ("\x1f020 7946 0958", ScreenPopReason.CONTROL_CHARACTER),
    ("", ScreenPopReason.EMPTY),
    ("   ", ScreenPopReason.EMPTY),
    ("vpdesk://lookup?phone=" + "1" * MAX_REQUEST_LENGTH, ScreenPopReason.TOO_LONG),
    ("x" * (MAX_REQUEST_LENGTH + 1), ScreenPopReason.TOO_LONG),
    # The search reading rejects the value.
    ("vpdesk://lookup?phone=%2B44123", ScreenPopReason.INVALID_QUERY),
    ("vpdesk://lookup?phone=Rossi", ScreenPopReason.INVALID_QUERY),
    ("vpdesk://lookup?phone=%252B442079460958", ScreenPopReason.INVALID_QUERY),
    ("vpdesk://lookup?email=john.example.com", ScreenPopReason.INVALID_QUERY),
    ("vpdesk://lookup?id=3f2b8c1e", ScreenPopReason.INVALID_QUERY),
    ("vpdesk://lookup?id=%2B442079460958", ScreenPopReason.INVALID_QUERY),
    ("+44 123", ScreenPopReason.INVALID_QUERY),
    ("john@", ScreenPopReason.INVALID_QUERY),
    ("x" * 201, ScreenPopReason.INVALID_QUERY),
]


@pytest.mark.parametrize(("request_text", "text", "hint", "value"), ACCEPTED)
def test_accepted_request(request_text: str, text: str, hint: QueryKind | None, value: str) -> None:
    request = parse_screen_pop(request_text, "GB")

    assert request == LookupRequest(text, hint)
    assert parse_query(request.search_text, "GB").value == value


@pytest.mark.parametrize(("request_text", "reason"), REJECTED)
def test_rejected_request(request_text: str, reason: ScreenPopReason) -> None:
    with pytest.raises(ScreenPopError) as caught:
        parse_screen_pop(request_text, "GB")

    assert caught.value.reason == reason


def test_table_sizes() -> None:
    assert len(ACCEPTED) + len(REJECTED) >= 25


def test_link_parameter_forces_reading() -> None:
    # Unprefixed, digits mixed with letters are free text; the phone parameter reads the
    # letters of a vanity number as its digits.
    request = parse_lookup_link("vpdesk://lookup?phone=1-800-FLOWERS", "US")

    assert request.kind_hint == PHONE
    assert request.search_text == "phone:1-800-FLOWERS"
    assert parse_query(request.search_text, "US").value == "+18003569377"
    assert parse_screen_pop("1-800-FLOWERS", "US").kind_hint is None


def test_email_parameter_rejects_phone() -> None:
    with pytest.raises(ScreenPopError) as caught:
        parse_lookup_link("vpdesk://lookup?email=%2B442079460958", "GB")

    assert caught.value.reason == ScreenPopReason.INVALID_QUERY
    assert caught.value.query_error is not None
    assert caught.value.query_error.reason == InvalidReason.EMAIL_INVALID


def test_invalid_phone_keeps_search_reason() -> None:
    with pytest.raises(ScreenPopError) as caught:
        parse_lookup_link("vpdesk://lookup?phone=%2B44123", "GB")

    assert caught.value.query_error is not None
    assert caught.value.query_error.kind == PHONE
    assert caught.value.query_error.reason == InvalidReason.PHONE_TOO_SHORT


def test_national_number_uses_region() -> None:
    request = parse_lookup_link("vpdesk://lookup?phone=%28201%29%20555-0123", "US")

    assert parse_query(request.search_text, "US").value == "+12015550123"
    with pytest.raises(ScreenPopError):
        parse_lookup_link("vpdesk://lookup?phone=%28201%29%20555-0123", "FR")


def test_percent_decoding_happens_once() -> None:
    request = parse_lookup_link("vpdesk://lookup?email=a%2540b@example.com", "GB")

    assert request.text == "a%40b@example.com"


def test_length_limit_is_inclusive() -> None:
    prefix = "vpdesk://lookup?email=a@example.com&"
    link = prefix + "&" * (MAX_REQUEST_LENGTH - len(prefix))

    assert len(link) == MAX_REQUEST_LENGTH
    assert parse_lookup_link(link, "GB").text == "a@example.com"


def test_detail_omits_value() -> None:
    with pytest.raises(ScreenPopError) as caught:
        parse_lookup_link("vpdesk://lookup?phone=%2B4420%0A79460958", "GB")

    assert "7946" not in str(caught.value)


def test_lookup_text_reads_no_link() -> None:
    # parse_screen_pop sends links to the link reading; parse_lookup_text searches text as is.
    request = parse_lookup_text("vpdesk://lookup?phone=%2B442079460958", "GB")

    assert request.kind_hint is None


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("vpdesk://lookup?phone=1", True),
        ("VPDESK:lookup", True),
        ("https://example.com", True),
        ("urn:uuid:" + GUID, False),
        ("phone:+442079460958", False),
        ("john@example.com", False),
        ("+44 20 7946 0958", False),
    ],
)
def test_is_link(request_text: str, expected: bool) -> None:
    assert is_link(request_text) is expected


def test_shape_check_accepts_any_text() -> None:
    check_request_text("anything at all, even not a phone")
    check_request_text("x" * MAX_REQUEST_LENGTH)


def test_shape_check_rejects_control() -> None:
    with pytest.raises(ScreenPopError) as caught:
        check_request_text("abc\x1bdef")

    assert caught.value.reason == ScreenPopReason.CONTROL_CHARACTER


def test_invalid_region_raises_value_error() -> None:
    with pytest.raises(ValueError, match="default_region"):
        parse_screen_pop("+44 20 7946 0958", "gb")
