"""The masking rules that the window and the log share for phone numbers."""

import pytest

from vp_desk.phone_masking import mask_subscriber, split_country_code


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("442079460958", ("44", "2079460958")),
        ("12025550143", ("1", "2025550143")),
        ("3903123456", ("39", "03123456")),
        ("353851234567", ("353", "851234567")),
        ("0000", ("", "0000")),
    ],
)
def test_split_country_code(digits: str, expected: tuple[str, str]) -> None:
    assert split_country_code(digits) == expected


@pytest.mark.parametrize(
    ("subscriber", "expected"),
    [
        ("2079460958", "******0958"),
        ("79460958", "****0958"),
        ("9460958", "*****58"),
        ("46095", "***95"),
        ("4609", "****"),
        ("", ""),
    ],
)
def test_mask_subscriber_keeps_last_digits(subscriber: str, expected: str) -> None:
    assert mask_subscriber(subscriber) == expected
