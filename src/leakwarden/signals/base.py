"""The Detector protocol: one detector, one job, one kind of Signal."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from leakwarden.model import Signal, Subject, SubjectKind

TEXT_SUBJECTS = frozenset(
    {SubjectKind.POST_TEXT, SubjectKind.ATTACHMENT, SubjectKind.PAGE, SubjectKind.DOCUMENT}
)


@runtime_checkable
class Detector(Protocol):
    """Looks at one Subject and reports what it found.

    ``kind`` is the Signal kind it emits (``url_rule``, ``pii``, ``bank``...). ``subjects`` says
    which subject kinds it reads; the engine calls ``detect`` only for those. ``detect`` must not
    raise on odd input and must not write private values to logs.
    """

    kind: str
    subjects: frozenset[SubjectKind]

    def detect(self, subject: Subject) -> list[Signal]: ...
