"""Normal forms of customer ids, phones, emails and names for offline look-ups and search."""

from __future__ import annotations

import re
import unicodedata
from uuid import UUID

from vp_desk.api.models import Customer

# The characters a phone number is typed with. A search text made only of these, with at least
# one digit, is also compared by its digits with the phone numbers.
_PHONE_LIKE_TEXT = re.compile(r"[0-9+\-(). ]*[0-9][0-9+\-(). ]*")
_WHITESPACE = re.compile(r"\s+")

# Letters that NFKD does not split into a base letter and a mark, folded to what people type
# on a keyboard without them. They are lower-case because folding casefolds first.
_LETTER_FOLDS = str.maketrans(
    {"ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "þ": "th", "\u0131": "i"}
)


def customer_id_key(customer_id: UUID) -> str:
    """Return the canonical form of a customer id: lower-case, hyphenated."""
    return str(customer_id)


def phone_key(phone_number: str) -> str:
    """Return the form in which phone numbers are compared: the E.164 text as given, trimmed."""
    return phone_number.strip()


def email_match_key(email: str) -> str:
    """Return the form in which emails match: the whole address casefolded, then NFC-composed.

    The Customers API matches emails case-insensitively, so the local part is folded too.
    """
    return unicodedata.normalize("NFC", email.strip().casefold())


def email_exact_key(email: str) -> str:
    """Return the address with only its domain casefolded.

    Two saved customers may have addresses that differ only in the case of the local part. A
    look-up then prefers the one whose address equals the query in this form.
    """
    local_part, at, domain = email.strip().rpartition("@")
    if not at:
        return unicodedata.normalize("NFC", domain)
    return unicodedata.normalize("NFC", f"{local_part}@{domain.casefold()}")


def fold_text(text: str) -> str:
    """Return the text casefolded, without accents and with whitespace runs as one space.

    Letters such as ł, ø and æ become l, o and ae, and casefolding turns ß into ss.
    """
    if text.isascii():
        return _WHITESPACE.sub(" ", text.lower()).strip()

    # Casefolding again after NFKD catches compatibility letters such as U+210C, black-letter
    # capital H, which NFKD turns into an upper-case ASCII H.
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    without_marks = "".join(char for char in decomposed if not unicodedata.combining(char))
    folded = without_marks.casefold().translate(_LETTER_FOLDS)
    return _WHITESPACE.sub(" ", folded).strip()


class TextMatcher:
    """A free-text search, compared with a customer's names, email and phone digits.

    A customer matches when the folded text occurs in the first, last or full name (in either
    order) or the email, or, for a text that looks like a phone number, when its digits occur
    in the phone number's digits. An empty text matches every customer.
    """

    def __init__(self, text: str) -> None:
        self._folded = fold_text(text)
        self._digits: str | None = None
        if _PHONE_LIKE_TEXT.fullmatch(text.strip()):
            self._digits = "".join(char for char in text if char.isdigit())

    def matches(self, customer: Customer) -> bool:
        """Tell whether ``customer`` matches the search text."""
        if not self._folded:
            return True

        if self._digits and customer.phone_number:
            phone_digits = "".join(char for char in customer.phone_number if char.isdigit())
            if self._digits in phone_digits:
                return True

        first = fold_text(customer.first_name or "")
        last = fold_text(customer.last_name or "")
        fields = [first, last, f"{first} {last}", f"{last} {first}"]
        if customer.email:
            fields.append(fold_text(customer.email))
        return any(self._folded in field for field in fields)
