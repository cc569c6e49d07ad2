"""The sandbox's error type and the JSON responses that carry the contract's envelope."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from vp_desk.api.models import ErrorCode, ErrorDetail, ErrorEnvelope


class ApiError(Exception):
    """A failure that the API reports with a status code and the error envelope."""

    def __init__(
        self,
        status_code: int,
        code: ErrorCode,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def invalid_parameter(message: str) -> ApiError:
    """Return the 400 error for a missing or invalid parameter."""
    return ApiError(400, ErrorCode.INVALID_PARAMETER, message)


def json_response(
    body: str, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """Return a response with a JSON body that no cache may store."""
    all_headers = {"Cache-Control": "no-store", **(headers or {})}
    return Response(body, status_code, all_headers, media_type="application/json")


def error_response(
    status_code: int, code: ErrorCode, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """Return the error envelope response with this status code, error code and message."""
    envelope = ErrorEnvelope(error=ErrorDetail(code=code, message=message))
    return json_response(envelope.model_dump_json(), status_code, headers)
