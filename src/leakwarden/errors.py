"""One exception hierarchy. Every error a user can cause has a machine-readable ``code``.

The HTTP layer maps ``status`` and ``code`` to a JSON body; the CLI prints ``message`` on one line
and exits non-zero. Nothing else may reach a user as a traceback.
"""

from __future__ import annotations

from typing import Any


class LeakwardenError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(LeakwardenError):
    code = "invalid_input"
    status = 422


class InvalidURL(InvalidInput):
    code = "invalid_url"


class PolicyError(InvalidInput):
    """A policy file that does not validate. ``file``, ``line`` and ``field`` say where."""

    code = "invalid_policy"

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        where = ":".join(str(p) for p in (file, line) if p is not None)
        full = f"{where}: {message}" if where else message
        if field:
            full = f"{full} (field: {field})"
        super().__init__(full, file=file, line=line, field=field)
        self.file, self.line, self.field = file, line, field


class NotFound(LeakwardenError):
    code = "not_found"
    status = 404


class Conflict(LeakwardenError):
    code = "conflict"
    status = 409


class Unauthorized(LeakwardenError):
    code = "unauthorized"
    status = 401


class Forbidden(LeakwardenError):
    code = "forbidden"
    status = 403


class FetchError(LeakwardenError):
    """A link could not be followed. Recorded per hop; never fails a whole check."""

    code = "fetch_failed"
    status = 502
