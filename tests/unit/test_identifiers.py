"""Tests of the search bar's classification into customer id, phone, email and free text."""

from __future__ import annotations

import pytest

from vp_desk.api.identifiers import (
    MAX_TEXT_LENGTH,
    InvalidQuery,
    InvalidReason,
    SearchQuery,
    default_region_from_locale,
    format_phone,
    parse_query,
)
from vp_desk.api.query_kinds import QueryKind

ID = QueryKind.CUSTOMER_ID
PHONE = QueryKind.PHONE
EMAIL = QueryKind.EMAIL
TEXT = QueryKind.TEXT

GUID = "3f2b8c1e-7d4a-4e9b-9c2f-5a6d7e8f9012"
LONDON = "+442079460958"

# Numbers come from the ranges reserved for drama where a country has them: GB 020 7946 0xxx
# and 0114 496 0xxx, US 555-01xx, AU 02 5550 xxxx and 0491 570 xxx, FR 01 99 00 xx xx.
# The others are example numbers from phonenumbers' metadata.
ACCEPTED = [
    # GB, with its own 00 exit code and the NANP exit code 011.
    ("020 7946 0958", "GB", PHONE, LONDON),
    ("020-7946-0958", "GB", PHONE, LONDON),
    ("(020) 7946 0958", "GB", PHONE, LONDON),
    ("+44 (0)20 7946 0958", "GB", PHONE, LONDON),
    ("+44 20 7946 0958", "US", PHONE, LONDON),
    ("++44 20 7946 0958", "GB", PHONE, LONDON),
    ("0044 20 7946 0958", "GB", PHONE, LONDON),
    ("0044 20 7946 0958", "DE", PHONE, LONDON),
    ("0044 20 7946 0958", "US", PHONE, LONDON),
    ("011 44 20 7946 0958", "US", PHONE, LONDON),
    ("011 44 20 7946 0958", "GB", PHONE, LONDON),
    ("0114 496 0123", "GB", PHONE, "+441144960123"),
    ("020 7946 0958\u200b", "GB", PHONE, LONDON),
    ("٠٢٠ ٧٩٤٦ ٠٩٥٨", "GB", PHONE, LONDON),
    # US
    ("(201) 555-0123", "US", PHONE, "+12015550123"),
    ("201.555.0123", "US", PHONE, "+12015550123"),
    ("1-201-555-0123", "US", PHONE, "+12015550123"),
    ("+1 (201) 555-0123", "DE", PHONE, "+12015550123"),
    ("001 201 555 0123", "GB", PHONE, "+12015550123"),
    # DE
    ("030 123456", "DE", PHONE, "+4930123456"),
    ("030/12345678", "DE", PHONE, "+493012345678"),
    ("+49 (0)30 123456", "FR", PHONE, "+4930123456"),
    # FR
    ("01 99 00 12 34", "FR", PHONE, "+33199001234"),
    ("01.99.00.12.34", "FR", PHONE, "+33199001234"),
    ("0033 1 99 00 12 34", "GB", PHONE, "+33199001234"),
    # IT keeps the leading zero of a fixed-line number after the country code.
    ("02 1234 5678", "IT", PHONE, "+390212345678"),
    ("0039 02 1234 5678", "FR", PHONE, "+390212345678"),
    ("0039 06 6988 1234", "US", PHONE, "+390669881234"),
    # JP, where 011 is also the area code of Sapporo.
    ("03-1234-5678", "JP", PHONE, "+81312345678"),
    # Full-width digits and minus signs come from Japanese input methods.
    ("０３−１２３４−５６７８", "JP", PHONE, "+81312345678"),  # noqa: RUF001
    ("011-221-1234", "JP", PHONE, "+81112211234"),
    ("010 44 20 7946 0958", "JP", PHONE, LONDON),
    # BR
    ("(11) 2345-6789", "BR", PHONE, "+551123456789"),
    ("+55 11 91234-5678", "BR", PHONE, "+5511912345678"),
    # AU, whose own exit code is 0011.
    ("(02) 5550 1234", "AU", PHONE, "+61255501234"),
    ("0491 570 156", "AU", PHONE, "+61491570156"),
    ("0011 44 20 7946 0958", "AU", PHONE, LONDON),
    ("0061 2 5550 1234", "US", PHONE, "+61255501234"),
    # Extensions are dropped from the value.
    ("020-7946-0958 ext. 12", "GB", PHONE, LONDON),
    ("+44 20 7946 0958 x12", "GB", PHONE, LONDON),
    ("020 7946 0958 #12", "GB", PHONE, LONDON),
    ("(201) 555-0123, ext 7", "US", PHONE, "+12015550123"),
    # Prefixed phones. phonenumbers turns the letters of a prefixed vanity number into digits.
    ("phone: 020 7946 0958", "GB", PHONE, LONDON),
    ("PHONE:+1 201 555 0123", "GB", PHONE, "+12015550123"),
    ("phone: 1-800-FLOWERS", "US", PHONE, "+18003569377"),
    # Emails keep the local part as typed and case-fold the domain.
    ("Jane.Doe+Shop@Example.COM", "US", EMAIL, "Jane.Doe+Shop@example.com"),
    ("email: JANE@EXAMPLE.ORG", "US", EMAIL, "JANE@example.org"),
    ("Email:jane@example.com", "US", EMAIL, "jane@example.com"),
    ("jané@exämple.de", "DE", EMAIL, "jané@exämple.de"),
    ("José@BÜCHER.DE", "DE", EMAIL, "José@bücher.de"),
    ("jane@xn--bcher-kva.de", "DE", EMAIL, "jane@bücher.de"),
    ("用户@例子.广告", "US", EMAIL, "用户@例子.广告"),
    ("jane\u0301@example.com", "US", EMAIL, "jan\u00e9@example.com"),
    # Customer ids in every accepted spelling.
    (GUID.upper(), "US", ID, GUID),
    ("{" + GUID + "}", "US", ID, GUID),
    ("{" + GUID.upper() + "}", "US", ID, GUID),
    ("urn:uuid:" + GUID, "US", ID, GUID),
    ("URN:UUID:" + GUID.upper(), "US", ID, GUID),
    (GUID.replace("-", ""), "US", ID, GUID),
    ("id: {" + GUID.upper() + "}", "US", ID, GUID),
    ("ID:" + GUID.replace("-", ""), "US", ID, GUID),
    ("12345678-1234-1234-1234-123456789012", "US", ID, "12345678-1234-1234-1234-123456789012"),
    # Free text, including text that only looks like a number or an id.
    ("", "US", TEXT, ""),
    ("  Jane \t  Doe \n", "US", TEXT, "Jane Doe"),
    ("12", "US", TEXT, "12"),
    ("2024", "US", TEXT, "2024"),
    ("1234-5", "US", TEXT, "1234-5"),
    ("123 456", "US", TEXT, "123 456"),
    ("order 12345", "US", TEXT, "order 12345"),
    ("A12345678", "US", TEXT, "A12345678"),
    ("1-800-FLOWERS", "US", TEXT, "1-800-FLOWERS"),
    (GUID[:-1], "US", TEXT, GUID[:-1]),
    (GUID[:-2] + "zz", "US", TEXT, GUID[:-2] + "zz"),
    (GUID + "0", "US", TEXT, GUID + "0"),
    ("12345678-1234-1234-1234-1234567890123", "US", TEXT, "12345678-1234-1234-1234-1234567890123"),
    ("Jane Doe jane@example.com", "US", TEXT, "Jane Doe jane@example.com"),
    ("name: 020 7946 0958", "GB", TEXT, "020 7946 0958"),
    ("Name:  jane@example.com ", "US", TEXT, "jane@example.com"),
    ("name:" + GUID, "US", TEXT, GUID),
    ("note: call back", "US", TEXT, "note: call back"),
]

REJECTED = [
    # Phones that are not valid numbers.
    ("03432640000", "US", PHONE, InvalidReason.PHONE_TOO_LONG),
    ("+1 555", "US", PHONE, InvalidReason.PHONE_TOO_SHORT),
    ("+44 12", "GB", PHONE, InvalidReason.PHONE_TOO_SHORT),
    ("+1 555 0123", "US", PHONE, InvalidReason.PHONE_TOO_SHORT),
    ("555 0123", "US", PHONE, InvalidReason.PHONE_MISSING_AREA_CODE),
    ("7946 0958", "GB", PHONE, InvalidReason.PHONE_MISSING_AREA_CODE),
    ("+44 20 7946 095", "GB", PHONE, InvalidReason.PHONE_INVALID),
    ("+44 1234 56789", "GB", PHONE, InvalidReason.PHONE_INVALID),
    ("01 40 20 50 50", "DE", PHONE, InvalidReason.PHONE_INVALID),
    ("06 6988 1234", "US", PHONE, InvalidReason.PHONE_INVALID),
    ("15.01.2024", "DE", PHONE, InvalidReason.PHONE_INVALID),
    ("011 44 20 7946 095", "GB", PHONE, InvalidReason.PHONE_TOO_LONG),
    ("4111 1111 1111 1111", "US", PHONE, InvalidReason.PHONE_TOO_LONG),
    ("+999 1234567", "US", PHONE, InvalidReason.PHONE_UNKNOWN_REGION),
    ("+", "US", PHONE, InvalidReason.PHONE_NOT_A_NUMBER),
    ("phone: abc", "US", PHONE, InvalidReason.PHONE_NOT_A_NUMBER),
    ("phone: 12", "US", PHONE, InvalidReason.PHONE_TOO_SHORT),
    ("phone:0044", "GB", PHONE, InvalidReason.PHONE_TOO_SHORT),
    # Emails with invalid syntax are never sent as free text.
    ("jane@@example.com", "US", EMAIL, InvalidReason.EMAIL_INVALID),
    ("@example.com", "US", EMAIL, InvalidReason.EMAIL_INVALID),
    ("jane@", "US", EMAIL, InvalidReason.EMAIL_INVALID),
    ("jane@example", "US", EMAIL, InvalidReason.EMAIL_INVALID),
    ("jane..doe@example.com", "US", EMAIL, InvalidReason.EMAIL_INVALID),
    ("jane@example.com.", "US", EMAIL, InvalidReason.EMAIL_INVALID),
    ("jane@exa_mple.com", "US", EMAIL, InvalidReason.EMAIL_INVALID),
    ('"jane"@example.com', "US", EMAIL, InvalidReason.EMAIL_INVALID),
    ("jane@example.test", "US", EMAIL, InvalidReason.EMAIL_INVALID),
    ("email: Jane Doe", "US", EMAIL, InvalidReason.EMAIL_INVALID),
    ("email: 020 7946 0958", "GB", EMAIL, InvalidReason.EMAIL_INVALID),
    # A prefixed id must be a GUID.
    ("id: 1234", "US", ID, InvalidReason.CUSTOMER_ID_INVALID),
    ("id: " + GUID[:-1], "US", ID, InvalidReason.CUSTOMER_ID_INVALID),
    ("id: " + GUID[:-2] + "zz", "US", ID, InvalidReason.CUSTOMER_ID_INVALID),
    ("id: {" + GUID, "US", ID, InvalidReason.CUSTOMER_ID_INVALID),
    ("id: urn:uuid:{" + GUID + "}", "US", ID, InvalidReason.CUSTOMER_ID_INVALID),
    ("id: jane@example.com", "US", ID, InvalidReason.CUSTOMER_ID_INVALID),
    # A prefix with nothing after it.
    ("id:", "US", ID, InvalidReason.EMPTY_PREFIXED),
    ("phone:   ", "US", PHONE, InvalidReason.EMPTY_PREFIXED),
    ("EMAIL:", "US", EMAIL, InvalidReason.EMPTY_PREFIXED),
    ("name:", "US", TEXT, InvalidReason.EMPTY_PREFIXED),
    ("name: \x00", "US", TEXT, InvalidReason.EMPTY_PREFIXED),
    # Free text over the length limit.
    ("x" * (MAX_TEXT_LENGTH + 1), "US", TEXT, InvalidReason.TEXT_TOO_LONG),
    ("name: " + "x" * (MAX_TEXT_LENGTH + 1), "US", TEXT, InvalidReason.TEXT_TOO_LONG),
]


def _case_id(text: str, region: str) -> str:
    label = text if len(text) <= 40 else text[:37] + "..."
    return f"{label!r}-{region}"


@pytest.mark.parametrize(
    ("text", "region", "kind", "value"),
    ACCEPTED,
    ids=[_case_id(case[0], case[1]) for case in ACCEPTED],
)
def test_parse_query_accepts(text: str, region: str, kind: QueryKind, value: str) -> None:
    query = parse_query(text, region)

    assert query.kind == kind
    assert query.value == value


@pytest.mark.parametrize(
    ("text", "region", "kind", "reason"),
    REJECTED,
    ids=[_case_id(case[0], case[1]) for case in REJECTED],
)
def test_parse_query_rejects(
    text: str, region: str, kind: QueryKind, reason: InvalidReason
) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_query(text, region)

    assert caught.value.reason == reason
    assert caught.value.kind == kind
    assert caught.value.text == text
    assert caught.value.detail


def test_tables_cover_every_reason() -> None:
    assert {case[3] for case in REJECTED} == set(InvalidReason)


@pytest.mark.parametrize(
    ("text", "region", "display"),
    [
        ("020 7946 0958", "GB", "+44 20 7946 0958"),
        ("0114 496 0123", "GB", "+44 114 496 0123"),
        ("(201) 555-0123", "US", "+1 201-555-0123"),
        ("030 123456", "DE", "+49 30 123456"),
        ("01 99 00 12 34", "FR", "+33 1 99 00 12 34"),
        ("03-1234-5678", "JP", "+81 3-1234-5678"),
        ("(02) 5550 1234", "AU", "+61 2 5550 1234"),
        ("020 7946 0958 ext. 12", "GB", "+44 20 7946 0958"),
    ],
)
def test_phone_display_international(text: str, region: str, display: str) -> None:
    assert parse_query(text, region).display == display


@pytest.mark.parametrize(
    "text",
    [GUID.upper(), "Jane.Doe+Shop@Example.COM", "  Jane   Doe ", "", "José@BÜCHER.DE"],
)
def test_display_of_other_kinds_is_value(text: str) -> None:
    query = parse_query(text, "US")

    assert query.display == query.value


@pytest.mark.parametrize(
    ("text", "region", "value", "extension"),
    [
        ("020 7946 0958 ext. 12", "GB", LONDON, "12"),
        ("020 7946 0958 ext 12", "GB", LONDON, "12"),
        ("020 7946 0958 extension 12", "GB", LONDON, "12"),
        ("+44 20 7946 0958 EXT: 4711", "GB", LONDON, "4711"),
        ("+44 20 7946 0958 x12", "GB", LONDON, "12"),
        ("+44 20 7946 0958x12", "GB", LONDON, "12"),
        ("020 7946 0958 #12", "GB", LONDON, "12"),
        ("020 7946 0958 ext. 012", "GB", LONDON, "012"),
        ("(201) 555-0123, ext 7", "US", "+12015550123", "7"),
        ("phone: 020 7946 0958 ext 99", "GB", LONDON, "99"),
        ("phone: +44-20-7946-0958;ext=99", "GB", LONDON, "99"),
        ("011 44 20 7946 0958 x 5", "GB", LONDON, "5"),
    ],
)
def test_phone_extension_dropped(text: str, region: str, value: str, extension: str) -> None:
    query = parse_query(text, region)

    assert query.kind == PHONE
    assert query.value == value
    assert query.dropped_extension == extension


@pytest.mark.parametrize(
    ("text", "region"),
    [("020 7946 0958", "GB"), (GUID, "US"), ("jane@example.com", "US"), ("Jane", "US")],
)
def test_no_extension_is_none(text: str, region: str) -> None:
    assert parse_query(text, region).dropped_extension is None


def test_extension_not_in_value_or_display() -> None:
    query = parse_query("020 7946 0958 ext. 12", "GB")

    assert query.value == LONDON
    assert query.display == "+44 20 7946 0958"
    assert query.dropped_extension == "12"


def test_query_is_frozen() -> None:
    query = parse_query("Jane", "US")

    with pytest.raises(AttributeError):
        query.value = "John"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("locale_name", "region"),
    [
        ("en_GB", "GB"),
        ("de_DE.UTF-8", "DE"),
        ("fr_FR.UTF-8@euro", "FR"),
        ("sr_RS@latin", "RS"),
        ("en-AU", "AU"),
        ("pt_BR", "BR"),
        ("zh_Hant_TW", "TW"),
        ("ja_jp", "JP"),
        ("en_US_POSIX", "US"),
        ("en_ZZ", "US"),
        ("es_419", "US"),
        ("en", "US"),
        ("C", "US"),
        ("C.UTF-8", "US"),
        ("POSIX", "US"),
        ("", "US"),
        ("_", "US"),
        (None, "US"),
    ],
)
def test_default_region_from_locale(locale_name: str | None, region: str) -> None:
    assert default_region_from_locale(locale_name) == region


@pytest.mark.parametrize("region", ["gb", "ZZ", "001", "", "GBR", "G", "Ü1", "1A"])
@pytest.mark.parametrize("text", ["", "020 7946 0958", "Jane"])
def test_unknown_region_is_programming_error(text: str, region: str) -> None:
    with pytest.raises(ValueError, match="default_region") as caught:
        parse_query(text, region)

    assert not isinstance(caught.value, InvalidQuery)


def test_invalid_query_is_value_error() -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_query("+44 12", "GB")

    assert isinstance(caught.value, ValueError)
    assert "phone_too_short" in str(caught.value)


def test_phone_parse_detail_from_library() -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_query("phone: abc", "US")

    assert "did not seem to be a phone number" in caught.value.detail


def test_email_detail_from_library() -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_query("jane@", "US")

    assert "after the @-sign" in caught.value.detail


def test_text_length_counted_after_collapsing() -> None:
    words = " ".join(["ab"] * 67)
    spaced = "   ".join(["ab"] * 67)

    assert len(words) == MAX_TEXT_LENGTH
    assert parse_query(spaced, "US").value == words


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("\x00", ""),
        ("Ja\x00ne", "Jane"),
        ("Jane\x07 Doe\x7f", "Jane Doe"),
        ("Jane\u0085Doe", "Jane Doe"),
        ("\u202ejane\u202c", "jane"),
        ("\ufeffJane", "Jane"),
        ("Ja\ud800ne", "Jane"),
        ("\u3000Jane\u00a0Doe\u3000", "Jane Doe"),
        ("😀", "😀"),
        ("👩\u200d💻", "👩\u200d💻"),
        (
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        ),
    ],
)
def test_odd_text_cleaned(text: str, value: str) -> None:
    query = parse_query(text, "US")

    assert query.kind == TEXT
    assert query.value == value


def test_nul_inside_phone_removed() -> None:
    assert parse_query("020 7946\x00 0958", "GB").value == LONDON


def test_only_spaces_lists_everyone() -> None:
    assert parse_query("     ", "US") == SearchQuery(TEXT, "", "")


def test_emoji_local_part_is_email() -> None:
    assert parse_query("😀@example.com", "US").value == "😀@example.com"


@pytest.mark.parametrize(
    ("text", "kind", "reason"),
    [
        ("a" * 10_000, TEXT, InvalidReason.TEXT_TOO_LONG),
        ("1" * 10_000, PHONE, InvalidReason.PHONE_TOO_LONG),
        ("0" * 10_000, PHONE, InvalidReason.PHONE_TOO_LONG),
        ("+" * 10_000, PHONE, InvalidReason.PHONE_TOO_LONG),
        ("@" * 10_000, EMAIL, InvalidReason.EMAIL_INVALID),
        ("a@" + "b" * 10_000 + ".com", EMAIL, InvalidReason.EMAIL_INVALID),
        ("😀" * 10_000, TEXT, InvalidReason.TEXT_TOO_LONG),
        ("id:" + "f" * 10_000, ID, InvalidReason.CUSTOMER_ID_INVALID),
    ],
    ids=["letters", "ones", "zeros", "plus-signs", "at-signs", "long-domain", "emoji", "id"],
)
def test_ten_thousand_characters_rejected(
    text: str, kind: QueryKind, reason: InvalidReason
) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_query(text, "US")

    assert caught.value.kind == kind
    assert caught.value.reason == reason


def _classify(text: str, region: str) -> SearchQuery | InvalidQuery:
    try:
        return parse_query(text, region)
    except InvalidQuery as error:
        return error


ODD_INPUTS = [
    "",
    " ",
    "+",
    "++",
    "(",
    ")",
    "-",
    "#",
    "x",
    "@",
    ":",
    "id",
    "id:",
    "id: ",
    "phone: +",
    "phone: ()",
    "email: @",
    "{}",
    "urn:uuid:",
    "\x00",
    "\x00" * 100,
    "\ud800\udc00",
    "\u200b" * 50,
    "🇬🇧 +44 20 7946 0958",
    "+44 20 7946 0958 ext",
    "0" * 300,
    "+" + "9" * 300,
    "ext 12",
    "x12",
    "#12",
    "(((((((((())))))))))",
    "1" * 7 + "x" + "2" * 100,
    "-" * 10_000,
    " " * 10_000,
    "\n".join(["Jane"] * 1_000),
]


@pytest.mark.parametrize("text", ODD_INPUTS, ids=[_case_id(text, "US") for text in ODD_INPUTS])
@pytest.mark.parametrize("region", ["US", "GB", "JP"])
def test_odd_input_no_crash(text: str, region: str) -> None:
    outcome = _classify(text, region)

    if isinstance(outcome, InvalidQuery):
        assert outcome.text == text
        assert outcome.reason in set(InvalidReason)
    else:
        # Whatever is accepted must be encodable in a request.
        outcome.value.encode("utf-8")
        outcome.display.encode("utf-8")


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+442079460958", "+44 20 7946 0958"),
        ("+393471182905", "+39 347 118 2905"),
        ("+12015550123", "+1 201-555-0123"),
        ("not a number", "not a number"),
    ],
)
def test_format_phone_for_reading_aloud(e164: str, expected: str) -> None:
    assert format_phone(e164) == expected
