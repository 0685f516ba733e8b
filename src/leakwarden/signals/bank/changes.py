"""A process-local change counter: writes made in this process reach this process's indexes at
once, without waiting for the next poll of the change feed (other processes poll)."""

from __future__ import annotations

import itertools

_counter = itertools.count(1)
generation = 0


def notify() -> None:
    global generation
    generation = next(_counter)
