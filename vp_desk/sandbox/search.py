"""The searchTerm match: folded search texts, and plans that use the trigram index when it helps."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from vp_desk.api.models import Customer
from vp_desk.sandbox.data import strip_accents

TRIGRAM_LENGTH = 3
"""Characters per token of SQLite's trigram tokenizer."""

MAX_TRIGRAMS_PER_PATTERN = 3
"""Rarest trigrams of a pattern that the index query requires; instr() checks the rest."""

MAX_TRIGRAMS_OF_SHORT_PATTERN = 32
"""Trigrams containing a one- or two-character pattern above which a scan is used instead."""

SCAN_ABOVE_SHARE = 0.1
"""Share of all customers above which the index's candidates make a plain scan cheaper.

Measured at 100 000 customers on a 2-core machine: the scan of a 60 000-customer store took
about 10 ms, and index queries with 24 000 candidates took about twice that.
"""

# Joins the searchable parts of a customer, so that a search term never matches across two
# parts unless it contains this character itself.
SEARCH_PART_SEPARATOR = "\x1f"

_PHONE_LIKE_TERM = re.compile(r"[0-9+\-(). ]*[0-9][0-9+\-(). ]*")


def fold_for_search(text: str) -> str:
    """Return the text casefolded and without accents, the form in which searchTerm matches."""
    return strip_accents(text.casefold()).casefold()


def email_key(email: str) -> str:
    """Return the form in which e-mail addresses are compared: casefolded, then NFC-composed."""
    return unicodedata.normalize("NFC", email.casefold())


# Folding works character by character, so a full name folds to its folded parts joined.  The
# cache pays off because seeded names repeat.
fold_name = cache(fold_for_search)


def search_text(customer: Customer) -> str:
    """Return the folded text that a search term must be part of for the customer to match."""
    first = fold_name(customer.first_name or "")
    last = fold_name(customer.last_name or "")
    parts = [f"{first} {last}", f"{last} {first}"]
    if customer.email is not None:
        parts.append(fold_for_search(customer.email))
    if customer.phone_number is not None:
        parts.append(customer.phone_number.removeprefix("+"))
    return SEARCH_PART_SEPARATOR.join(parts)


def search_patterns(search_term: str) -> tuple[str, ...]:
    """Return the texts of which a matching customer's search text contains at least one.

    The first is the folded term.  A term that looks like a phone number adds its digits, so
    "+44 20 7946" finds +442079460958.
    """
    folded = fold_for_search(search_term)
    if _PHONE_LIKE_TERM.fullmatch(search_term) is None:
        return (folded,)
    digits = "".join(char for char in search_term if char.isdigit())
    return (folded,) if digits == folded else (folded, digits)


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """How to find the customers whose search text contains one of ``patterns``.

    ``index_query`` is an FTS5 query whose results include every match, or None when every
    customer of the store must be checked.  ``matches_nothing`` is true when some trigram of
    every pattern occurs in no customer at all.
    """

    patterns: tuple[str, ...]
    index_query: str | None
    matches_nothing: bool = False


class SearchPlanner:
    """Plans searches from the number of customers in whose search text each trigram occurs.

    Every search text has at least three characters, so each occurrence of a pattern lies
    within one of its trigrams.  A pattern of three or more characters needs all of its
    trigrams, of which the rarest few narrow the candidates.  A shorter pattern needs any
    trigram that contains it, and those trigrams together find exactly its matches.
    """

    def __init__(self, trigram_counts: Mapping[str, int], customer_count: int) -> None:
        self._trigram_counts = trigram_counts
        self._scan_above = customer_count * SCAN_ABOVE_SHARE

    def plan(self, search_term: str) -> SearchPlan:
        """Return the plan for a search term that is not blank."""
        patterns = search_patterns(search_term)
        if any(not pattern or "\x00" in pattern for pattern in patterns):
            # An empty pattern matches everyone.  A NUL would end the FTS5 query text early.
            return SearchPlan(patterns, None)

        clauses: list[str] = []
        candidates = 0
        for pattern in patterns:
            match = self._index_clause(pattern)
            if match is None:
                return SearchPlan(patterns, None)
            clause, pattern_candidates = match
            if pattern_candidates > 0:
                clauses.append(clause)
                candidates += pattern_candidates

        if not clauses:
            return SearchPlan(patterns, None, matches_nothing=True)
        if candidates > self._scan_above:
            return SearchPlan(patterns, None)
        return SearchPlan(patterns, " OR ".join(f"({clause})" for clause in clauses))

    def _index_clause(self, pattern: str) -> tuple[str, int] | None:
        """Return an FTS5 query that finds the pattern's candidates and how many there are.

        Returns None when the index would not narrow the search, and 0 candidates when a
        trigram of the pattern occurs nowhere.
        """
        counts = self._trigram_counts
        if len(pattern) < TRIGRAM_LENGTH:
            # NOTE: goes through every trigram of the index, a few thousand, per search.
            containing = sorted(trigram for trigram in counts if pattern in trigram)
            if len(containing) > MAX_TRIGRAMS_OF_SHORT_PATTERN:
                return None
            clause = " OR ".join(_fts_string(trigram) for trigram in containing)
            return clause, sum(counts[trigram] for trigram in containing)

        trigrams = {
            pattern[start : start + TRIGRAM_LENGTH]
            for start in range(len(pattern) - TRIGRAM_LENGTH + 1)
        }
        rarest = sorted(trigrams, key=lambda trigram: (counts.get(trigram, 0), trigram))
        rarest = rarest[:MAX_TRIGRAMS_PER_PATTERN]
        clause = " AND ".join(_fts_string(trigram) for trigram in rarest)
        return clause, counts.get(rarest[0], 0)


def _fts_string(text: str) -> str:
    # Inside an FTS5 string only the double quote is special, and doubling it escapes it.
    return '"' + text.replace('"', '""') + '"'
