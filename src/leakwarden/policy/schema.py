"""What a policy file may say. Validated whole before it is used.

A policy is a list of clauses, each *when these signals, then this verdict and these actions*, plus a
strike ladder that says what the Nth active strike does to an account.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from leakwarden.model import ActionType, SubjectKind, Surface, Verdict

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str | int) -> int:
    """``"12h"`` → 43200 seconds. Integers are seconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value <= 0:
            raise ValueError("a duration must be positive")
        return value
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration like 12h, 7d or 90d")
    seconds = int(match.group(1)) * _UNIT_S[match.group(2)]
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


Duration = Annotated[int, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """One signal that must be present. ``attrs`` values are compared for equality; when the
    signal's attribute is a list, the condition holds if it contains the value; a list in the
    condition means any of those values."""

    signal: str = Field(min_length=1)
    min_strength: float = Field(default=0.0, ge=0.0, le=1.0)
    below_strength: float | None = Field(default=None, gt=0.0, le=1.0)
    subjects: list[SubjectKind] | None = None
    surfaces: list[Surface] | None = None
    attrs: dict[str, Any] = Field(default_factory=dict)


class ActionSpec(_Strict):
    type: ActionType
    label: str | None = None
    duration: Duration | None = None  # seconds, for suspend

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"type": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _needs(self) -> ActionSpec:
        if self.type is ActionType.SUSPEND and self.duration is None:
            raise ValueError("a suspend action needs a duration, e.g. {type = 'suspend', duration = '12h'}")
        if self.type in (ActionType.LABEL, ActionType.INTERSTITIAL) and not self.label:
            raise ValueError(f"a {self.type.value} action needs a label")
        return self


class Clause(_Strict):
    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    description: str = ""
    when: list[Condition] = Field(min_length=1)
    verdict: Verdict
    actions: list[ActionSpec] = Field(default_factory=list)

    @field_validator("when", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value


class Rung(_Strict):
    """What the ``count``-th active strike does."""

    count: int = Field(ge=1)
    action: Literal["suspend", "ban", "limit"]
    duration: Duration | None = None

    @model_validator(mode="after")
    def _needs(self) -> Rung:
        if self.action == "suspend" and self.duration is None:
            raise ValueError("a suspend rung needs a duration")
        return self


class StrikePolicy(_Strict):
    expire_after: Duration = 90 * 86400
    ladder: list[Rung] = Field(default_factory=list)

    def rung_for(self, active: int) -> Rung | None:
        """The harshest rung reached with ``active`` strikes."""
        reached = [r for r in self.ladder if r.count <= active]
        return max(reached, key=lambda r: r.count) if reached else None


class Policy(_Strict):
    name: str = Field(min_length=1, max_length=100)
    version: str = Field(min_length=1, max_length=100)
    description: str = ""
    strikes: StrikePolicy = Field(default_factory=StrikePolicy)
    clauses: list[Clause] = Field(min_length=1)
    # clause ids whose decisions one moderator alone cannot overturn: a second moderator must agree
    second_review: list[str] = Field(default_factory=list)
    sha256: str = ""  # of the source file, filled by the loader

    @model_validator(mode="after")
    def _unique_ids(self) -> Policy:
        seen: set[str] = set()
        for clause in self.clauses:
            if clause.id in seen:
                raise ValueError(f"two clauses have the id {clause.id!r}")
            seen.add(clause.id)
        unknown = [c for c in self.second_review if c not in seen]
        if unknown:
            raise ValueError(f"second_review names clauses the policy does not have: {', '.join(unknown)}")
        return self

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"
