"""The Detector protocol: one detector, one job, one kind of Signal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from leakwarden.model import Signal, Subject, SubjectKind

TEXT_SUBJECTS = frozenset(
    {SubjectKind.POST_TEXT, SubjectKind.ATTACHMENT, SubjectKind.PAGE, SubjectKind.DOCUMENT}
)


@runtime_checkable
class Detector(Protocol):
    """Looks at one Subject and reports what it found.

    ``kind`` is the Signal kind it emits (``url_rule``, ``pii``, ``bank``...). ``subjects`` says
    which subject kinds it reads; the engine calls ``detect`` only for those. ``detect`` must not
    raise on odd input and must not write private values to logs. A detector of a new kind also
    declares a :class:`SignalSpec` as ``signal`` (the attributes it sets), so that policies can
    name it: see ``signals.catalog``.
    """

    kind: str
    subjects: frozenset[SubjectKind]

    def detect(self, subject: Subject) -> list[Signal]: ...


@dataclass(frozen=True)
class Attr:
    """One attribute a detector puts in ``Signal.attrs``, as a policy condition may test it.

    ``type`` is the Python type of the value (``bool``, ``int``, ``float`` or ``str``); ``values``,
    for a ``str``, the only values it takes (None: any); ``many`` says the attribute is a list of
    such values (a condition then tests membership)."""

    type: type
    values: tuple[str, ...] | None = None
    many: bool = False
    doc: str = ""

    def problem(self, expected: Any) -> str | None:
        """Why a condition's value can never equal this attribute; None if it can."""
        if isinstance(expected, list):  # "any of"
            if not expected:
                return "an empty list matches nothing"
            for each in expected:
                found = self.problem(each)
                if found:
                    return found
            return None
        if self.type is bool:
            ok = isinstance(expected, bool)
            wanted = "true or false"
        elif self.type is int:
            ok = isinstance(expected, int) and not isinstance(expected, bool)
            wanted = "an integer"
        elif self.type is float:
            ok = isinstance(expected, int | float) and not isinstance(expected, bool)
            wanted = "a number"
        else:
            ok = isinstance(expected, str)
            wanted = "text"
        if not ok:
            return f"is {wanted}, not {_shown(expected)}"
        if self.values is not None and expected not in self.values:
            return f"is one of {', '.join(self.values)}; not {_shown(expected)}"
        return None


@dataclass(frozen=True)
class SignalSpec:
    """What a detector emits: its Signal ``kind``, the subjects it reads and the attributes it sets.

    Policies are validated against it, so a clause that names an unknown kind, attribute or value
    (a clause that could never fire) fails on load."""

    kind: str
    subjects: frozenset[SubjectKind]
    attrs: Mapping[str, Attr] = field(default_factory=dict)
    doc: str = ""


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, bool) else str(value).lower()
    return text if len(text) <= 60 else text[:57] + "..."
