"""Trying a policy before it goes live, over HTTP: backtests (admin)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from leakwarden.engine import Engine
from leakwarden.policy import backtest as backtests
from leakwarden.policy.load import parse_policy
from leakwarden.policy.schema import Policy
from leakwarden.service.deps import AdminDep, EngineDep

router = APIRouter(prefix="/v1/policy", tags=["policy"])
MAX_POLICY_CHARS = 200_000


class PolicyText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    policy: str = Field(min_length=1, max_length=MAX_POLICY_CHARS, description="The policy file's text")
    format: Literal["toml", "yaml"] = "toml"

    def parsed(self) -> Policy:
        """The policy, or the same errors as ``policy validate`` (422 ``invalid_policy``, with the line)."""
        return parse_policy(self.policy, file="policy", fmt=self.format)


class BacktestIn(PolicyText):
    since: str = Field(default="30d", max_length=40, description="A duration before now (30d) or an ISO date")
    until: str | None = Field(default=None, max_length=40, description="The end (default now)")
    sample: int = Field(default=backtests.DEFAULT_SAMPLE, ge=0, le=1000, description="Changed posts to return")


def run_backtest(engine: Engine, body: BacktestIn, actor: str) -> backtests.Backtest:
    """Shared by the API and the console: the running engine's detectors serve a post stored without
    its signals."""
    candidate = body.parsed()
    start, end = backtests.period(body.since, body.until)
    return backtests.run(engine.db, candidate, start, end, redetect=backtests.engine_redetect(lambda: engine),
                         actor=actor, sample=body.sample)


@router.post("/backtests")
def backtest(body: BacktestIn, engine: EngineDep, who: AdminDep) -> dict[str, Any]:
    """Decide the stored posts of a period again under a candidate policy, on their stored signals.
    Nothing is fetched, enforced or changed; one ``policy.backtested`` audit event is recorded."""
    return run_backtest(engine, body, who.name).as_dict()
