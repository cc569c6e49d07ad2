"""Typed errors of the Customers API client.

Every failure of a request is one of these, so callers branch on the type, never on text:

    ApiError
    ├── NetworkError              the server could not be reached (DNS, refused, reset, TLS)
    ├── RequestTimeoutError       a phase, an attempt or the whole call took longer than allowed
    ├── InvalidResponseError      the server responded, but not with the contract's JSON
    └── ApiStatusError            the server responded with an error status
        ├── BadRequestError       400: a parameter was rejected
        ├── UnauthorizedError     401: the API key is missing or unknown
        ├── ForbiddenError        403: the API key may not use this endpoint
        ├── NotFoundError         404: no such customer in this store
        ├── EndpointNotFoundError 404 without the API's error body: a wrong base URL
        ├── RateLimitedError      429: too many requests, ``retry_after`` seconds to wait
        └── ServerError           5xx and any other unexpected status

``NetworkError`` and ``RequestTimeoutError`` are outages. Every ``ApiStatusError`` is a
response of a reachable server. The client raises them only after its retries: a connection
failure, a read timeout, a 502, 503 or 504, or a 429 whose ``Retry-After`` fits in the call's
deadline is sent again first (see ``vp_desk.api.retry``).
"""

from __future__ import annotations


class ApiError(Exception):
    """Base of every error that a Customers API request raises."""


class NetworkError(ApiError):
    """The server could not be reached."""


class RequestTimeoutError(ApiError):
    """The request, or the whole call with its retries, took longer than the client allows."""


class InvalidResponseError(ApiError):
    """The response was not the JSON that the contract describes."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class ApiStatusError(ApiError):
    """The server responded with an error status."""

    def __init__(self, status: int, code: str | None, message: str) -> None:
        super().__init__(f"HTTP {status} {code or 'without code'}: {message}")
        self.status = status
        self.code = code
        self.server_message = message


class BadRequestError(ApiStatusError):
    """The server rejected a parameter of the request."""


class UnauthorizedError(ApiStatusError):
    """The API key is missing or unknown to the server."""


class ForbiddenError(ApiStatusError):
    """The API key is valid but may not use this endpoint."""


class NotFoundError(ApiStatusError):
    """No customer with that identifier exists in the key's store."""


class EndpointNotFoundError(ApiStatusError):
    """A 404 without the API's error body: the base URL points at something else."""


class RateLimitedError(ApiStatusError):
    """The server asked the client to slow down."""

    def __init__(
        self, status: int, code: str | None, message: str, *, retry_after: float | None
    ) -> None:
        super().__init__(status, code, message)
        self.retry_after = retry_after


class ServerError(ApiStatusError):
    """The server failed, or responded with a status that the contract does not define."""


_ERROR_BY_STATUS: dict[int, type[ApiStatusError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
}


def error_for_status(
    status: int, code: str | None, message: str, *, retry_after: float | None = None
) -> ApiStatusError:
    """Build the typed error for an error status and the envelope's code and message."""
    if status == 429:
        return RateLimitedError(status, code, message, retry_after=retry_after)
    # The API responds to every unknown customer with its envelope and code NOT_FOUND. Any
    # other 404 comes from a server or path that is not the Customers API.
    if status == 404 and code != "NOT_FOUND":
        return EndpointNotFoundError(status, code, message)

    error_type = _ERROR_BY_STATUS.get(status, ServerError)
    return error_type(status, code, message)
