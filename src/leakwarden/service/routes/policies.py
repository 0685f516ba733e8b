"""Trying a policy before it goes live, over HTTP: backtests and the shadow policy."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from leakwarden.audit import log as audit_log
from leakwarden.engine import Engine
from leakwarden.policy import backtest as backtests
from leakwarden.policy import shadow as shadows
from leakwarden.policy.load import parse_policy
from leakwarden.policy.schema import Policy
from leakwarden.service.deps import AdminDep, EngineDep, ModeratorDep

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


@router.get("/backtests")
def past_backtests(engine: EngineDep, _: AdminDep, limit: int = 50) -> list[dict[str, Any]]:
    """Past backtests, newest first, as their audit events record them (candidate, sha256, period, counts)."""
    with engine.db.session() as s:
        return [{"seq": e.seq, "at": e.at.isoformat(), "by": e.actor, "candidate": e.subject_id,
                 **audit_log.payload_of(e)}
                for e in audit_log.events(s, kind="policy.backtested", limit=max(1, min(limit, 1000)),
                                          newest_first=True)]


@router.get("/shadow")
def shadow_status(engine: EngineDep, _: ModeratorDep) -> dict[str, Any]:
    """The policy promoted to live (if any) and the shadow policy (if any)."""
    return shadows.status(engine.db)


@router.put("/shadow")
def deploy_shadow(body: PolicyText, engine: EngineDep, who: AdminDep) -> dict[str, Any]:
    """Deploy a policy in shadow: every post ingested from now on is decided under it too, never enforced."""
    deployed = shadows.deploy(engine.db, body.parsed(), body.policy, body.format, who.name)
    engine.deployments.refresh(force=True)
    return deployed


@router.delete("/shadow")
def clear_shadow(engine: EngineDep, who: AdminDep) -> dict[str, Any]:
    cleared = shadows.clear(engine.db, who.name)
    engine.deployments.refresh(force=True)
    return cleared


@router.post("/promote")
def promote_shadow(engine: EngineDep, who: AdminDep) -> dict[str, Any]:
    """Make the shadow policy live (audited); every engine on the database decides under it."""
    promoted = shadows.promote(engine.db, who.name, live_now=engine.policy.label)
    engine.deployments.refresh(force=True)
    return promoted


@router.get("/shadow/report")
def shadow_report(engine: EngineDep, _: ModeratorDep, since: str = "30d", until: str | None = None,
                  sample: int = 20) -> dict[str, Any]:
    """Where the shadow policy decided differently from the live one."""
    start, end = backtests.period(since[:40], until[:40] if until else None)
    return shadows.report(engine.db, start, end, sample=max(0, min(sample, 1000))).as_dict()
