"""How much of a phone number stays readable when it is masked, on screen and in logs."""

import phonenumbers

_COUNTRY_CODES = frozenset(str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
_MIN_DIGITS_FOR_FOUR_VISIBLE = 8
_MIN_DIGITS_FOR_TWO_VISIBLE = 5


def split_country_code(digits: str) -> tuple[str, str]:
    """Split the digits of an international number into its country code and the rest.

    Country codes are prefix-free, so at most one of the first 1, 2 or 3 digits is one. The
    country code is "" when none of them is.
    """
    country = next((digits[:size] for size in (1, 2, 3) if digits[:size] in _COUNTRY_CODES), "")
    return country, digits[len(country) :]


def mask_subscriber(subscriber: str) -> str:
    """Replace the digits after the country code with stars, except the last 4, 2 or none.

    Numbers of 8 or more digits keep 4, numbers of 5 to 7 keep 2, and shorter ones none,
    because their last digits would be most of the number.
    """
    if len(subscriber) >= _MIN_DIGITS_FOR_FOUR_VISIBLE:
        visible = 4
    elif len(subscriber) >= _MIN_DIGITS_FOR_TWO_VISIBLE:
        visible = 2
    else:
        visible = 0
    return "*" * (len(subscriber) - visible) + subscriber[len(subscriber) - visible :]
