"""Deciding on the event loop, and leaving it for work that would block.

The API decides a post in a worker thread, because following links, reading attachments and
embedding text can take from tens of milliseconds to seconds. Most posts need none of that, and
the hop to a thread and back costs more CPU than deciding them. So a route may first try deciding
inline, inside :func:`on_event_loop`: code about to do slow work calls :func:`may_block`, which
then raises :class:`WouldBlock`, and the route decides the post again in a thread. Deciding has no
effects (``Engine.check`` stores nothing), so the abandoned attempt leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_inline: ContextVar[bool] = ContextVar("leakwarden_inline", default=False)


class WouldBlock(BaseException):
    """Raised by :func:`may_block` inside :func:`on_event_loop`: this work belongs in a thread.
    A ``BaseException``, like ``GeneratorExit``: it is a signal to move the work, not an error,
    and the ``except Exception`` that keeps a failing detector from sinking a check must not
    swallow it (the decision would then lack that detector's signals)."""


@contextmanager
def on_event_loop() -> Iterator[None]:
    """Within this block, slow work raises :class:`WouldBlock` instead of running."""
    token = _inline.set(True)
    try:
        yield
    finally:
        _inline.reset(token)


def may_block(what: str) -> None:
    """Called before slow work (``what``: "embedding", ...): raises :class:`WouldBlock` on the
    event loop, does nothing elsewhere."""
    if _inline.get():
        raise WouldBlock(what)
