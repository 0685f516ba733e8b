"""The even-handedness report over HTTP: ``GET /v1/reports/consistency`` (JSON, or the HTML page)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from leakwarden.audit import consistency
from leakwarden.audit import consistency_render as render
from leakwarden.audit.report import period
from leakwarden.service.deps import EngineDep, ModeratorDep

router = APIRouter(prefix="/v1", tags=["audit"])


@router.get("/reports/consistency", response_model=None)
def consistency_report(
    engine: EngineDep, _: ModeratorDep,
    start: Annotated[str | None, Query(alias="from", description="First day (ISO date); default 30 days ago")] = None,
    end: Annotated[str | None, Query(alias="to", description="Last day (ISO date), inclusive; default today")] = None,
    within_days: Annotated[int, Query(ge=1, le=consistency.MAX_WITHIN_DAYS,
                                      description="Follow outside requests this many days either side")] = 14,
    format: Annotated[Literal["json", "html"], Query(description="json, or html for the page")] = "json",
) -> dict[str, Any] | HTMLResponse:
    """Was the policy applied evenly? Like cases decided differently, manual departures from the
    policy, outside requests and what followed, and a timeline per account (needs a moderator key)."""
    built = consistency.build(engine.db, *period(start, end), within_days=within_days)
    if format == "html":
        return HTMLResponse(render.to_html(built))
    return {**built.as_dict(), "summary": render.summary(built)}
