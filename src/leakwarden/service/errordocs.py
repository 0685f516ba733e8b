"""The error answers of the API, as its OpenAPI document declares them: one body model (the shape
``service.app.error`` writes) and one mapping of the statuses a route can answer with, which each
router is included under (``tests/test_api_schema.py`` checks every answer's status is declared)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable, e.g. ``not_found``, ``invalid_input``, ``conflict``")
    message: str = Field(description="one readable line")
    details: Any | None = Field(default=None, description="what the problem concerns, e.g. each invalid field")


class ErrorBody(BaseModel):
    """Every error answer of the API (JSON routes): ``{"error": {"code": …, "message": …}}``."""

    error: ErrorDetail


_WHY: dict[int, str] = {
    400: "a malformed request: a body that is not JSON, or nested too deeply",
    401: "no API key or session, or one that is not valid (``unauthorized``)",
    403: "the key's role may not do this (``forbidden``), or a console form without its CSRF token",
    404: "nothing by that id or name (``not_found`` and more precise codes)",
    409: "in conflict with what is stored: the same id with other content, a name taken, a state that "
         "does not allow it",
    413: "the request body is over the server's limit (``body_too_large``), counted as it streams in",
    422: "invalid input: a field, a parameter, a number or date out of range (``invalid_input``, "
         "``invalid_value``, more precise codes)",
    429: "too many attempts (console sign-in throttling); retry after the time the message names",
    503: "a service this needs is away or not configured (``no_broker``: ``async=true`` without a broker)",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": why} for status, why in _WHY.items()}
#: a route that follows a client's URL out to the network: the far side failing is a 502
FETCH_RESPONSES: dict[int | str, dict[str, Any]] = {
    502: {"model": ErrorBody, "description": "the URL could not be fetched (``fetch_failed`` and more precise "
                                            "codes)"}}


def text_or_json(responses: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """The same statuses for routes that answer in text/plain (the Akismet-compatible ones): an
    answer in their own manner, or the JSON error of the app's handlers (a body over the limit, a
    parameter that does not parse)."""
    either = {"text/plain": {"schema": {"type": "string"}},
              "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    return {status: {"description": spec["description"], "content": either} for status, spec in responses.items()}
