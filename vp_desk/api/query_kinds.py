"""The readings of a search text; a module apart, so that naming one loads no phone metadata."""

from __future__ import annotations

from enum import StrEnum


class QueryKind(StrEnum):
    """The reading of a search text, which decides the endpoint that serves it."""

    CUSTOMER_ID = "id"
    PHONE = "phone"
    EMAIL = "email"
    TEXT = "text"
