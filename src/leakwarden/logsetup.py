"""Logging for the CLI and the server: plain lines (default) or one JSON object per line.

``LEAKWARDEN_LOG_FORMAT=json`` (or ``serve --log-format json``) switches to JSON; the access log
(``leakwarden.access``, off by default) is turned on by ``serve --access-log`` or
``LEAKWARDEN_ACCESS_LOG=1``. Neither adds private values: a record carries the logger's message and
only the whitelisted fields below, and an exception is reduced to its type, since its message or a
traceback may quote a post.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import TextIO

FORMATS = ("text", "json")
ACCESS_LOGGER = "leakwarden.access"
#: Fields a record may carry beyond its message (``extra=``); anything else is dropped.
FIELDS = ("method", "route", "status", "duration_ms", "worker")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in FIELDS:
            if field in record.__dict__:
                entry[field] = record.__dict__[field]
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``LEVEL name: message``, and for an exception only its type (never its message or traceback)."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def formatException(self, ei: object) -> str:
        kind = ei[0] if isinstance(ei, tuple) and ei else None
        return f"({getattr(kind, '__name__', 'exception')})"


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to ``sys.stderr`` as it is when a record is emitted, not as it was when the handler was
    made: a caller that swaps stderr (a test capturing output, a daemon redirecting it) and closes the
    old one leaves no handler writing into a closed file."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def log_format(value: str | None = None) -> str:
    """``value``, else ``LEAKWARDEN_LOG_FORMAT``, else text; anything else is a ValueError."""
    chosen = (value or os.environ.get("LEAKWARDEN_LOG_FORMAT") or "text").strip().lower()
    if chosen not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {chosen!r}")
    return chosen


def configure(fmt: str | None = None, *, access_log: bool | None = None, level: int = logging.WARNING) -> None:
    """(Re)configure the root logger's one handler on stderr."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_leakwarden", False):
            root.removeHandler(handler)
    handler = StderrHandler()
    handler._leakwarden = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if log_format(fmt) == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    on = env_flag("LEAKWARDEN_ACCESS_LOG") if access_log is None else access_log
    logging.getLogger(ACCESS_LOGGER).setLevel(logging.INFO if on else logging.WARNING)
