"""Check and ingest posts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from leakwarden.engine import Engine
from leakwarden.errors import NotFound
from leakwarden.intake.broker import BrokerUnavailable
from leakwarden.intake.client import IntakeClient, complete_later
from leakwarden.model import Decision, Post
from leakwarden.service.deps import EngineDep, ModeratorDep, SubmitterDep
from leakwarden.signals.pii import atrest
from leakwarden.signals.pii.atrest import readable_json
from leakwarden.store.tables import PostRow

router = APIRouter(prefix="/v1", tags=["posts"])
PolicyParam = Annotated[str | None, Query(description="a preset name; default: the server's policy")]
AsyncParam = Annotated[bool, Query(alias="async", description="publish to the intake stream; answer 202")]
BudgetParam = Annotated[float | None, Query(ge=0, le=30, description=(
    "seconds to spend following links (0: none now; the decision is partial and an ingested post is completed "
    "later)"))]


def engine_for(request: Request, engine: Engine, policy: str | None) -> Engine:
    if not policy or policy == engine.policy.name:
        return engine
    engines: dict[str, Engine] = request.app.state.engines
    if policy not in engines:
        from leakwarden.policy.load import preset_names

        if policy not in preset_names():
            raise NotFound(f"no policy preset {policy!r}", code="unknown_policy")
        engines[policy] = engine.with_policy(policy)
    return engines[policy]


def decision_json(decision: Decision, status_code: int = 200) -> Response:
    """The decision as its JSON, serialized once by pydantic (FastAPI's ``response_model`` path would
    validate the returned model again, in another thread hop, before serializing it)."""
    return Response(decision.model_dump_json(), status_code=status_code, media_type="application/json")


@router.post("/check", response_model=Decision)
async def check(post: Post, request: Request, engine: EngineDep, _: SubmitterDep, policy: PolicyParam = None,
                budget: BudgetParam = None) -> Response:
    """Decide only: nothing is stored or enforced."""
    if not policy or policy == engine.policy.name or policy in request.app.state.engines:  # made already
        decided = engine_for(request, engine, policy).check_on_loop(post, budget_s=budget)
        if decided is not None:  # most posts: no thread hop at all
            return decision_json(decided)

    def decide() -> Response:  # one thread hop for the work that may block (links, embeddings, the database)
        return decision_json(engine_for(request, engine, policy).check(post, budget_s=budget))

    return await run_in_threadpool(decide)


@router.post("/posts", response_model=Decision, status_code=201, responses={
    200: {"model": Decision, "description": "the post was stored before (the same id and content, or a concurrent "
                                            "writer's): the stored decision; nothing is applied twice"},
    202: {"description": "``async=true``: the post is stored in the intake stream; a worker decides it",
          "content": {"application/json": {"example": {"id": "p1", "status": "queued"}}}},
    503: {"description": "``async=true`` without a broker configured (``no_broker``), or the broker is away"}})
async def ingest(post: Post, request: Request, engine: EngineDep, who: SubmitterDep, policy: PolicyParam = None,
                 budget: BudgetParam = None, queue: AsyncParam = False) -> Response:
    """Decide, enforce and record. Idempotent on the post id. With ``async=true``, publish the post
    to the intake stream instead and answer 202 once the broker stored it."""

    def record() -> Response:  # one thread hop for the work that blocks (the database, the broker)
        if queue:
            intake_of(request).publish_posts([post])
            return JSONResponse({"id": post.id, "status": "queued"}, status_code=202)
        chosen = engine_for(request, engine, policy)
        decision, created = chosen.ingest_once(post, actor=who.name, budget_s=budget)
        if decision.partial:
            complete_later(request.app.state.intake, chosen, post.id)
        # 200: stored before, or by a concurrent writer that won the race
        return decision_json(decision, 201 if created else 200)

    return await run_in_threadpool(record)


def intake_of(request: Request) -> IntakeClient:
    intake: IntakeClient | None = request.app.state.intake
    if intake is None:
        raise BrokerUnavailable("no broker is configured: set LEAKWARDEN_BROKER_URL, or post without async=true",
                                code="no_broker")
    return intake


@router.get("/posts/{post_id}")
def get_post(post_id: str, engine: EngineDep, _: ModeratorDep) -> dict[str, Any]:
    with engine.db.session() as s:
        row = s.get(PostRow, post_id)
        if row is None:
            raise NotFound(f"no post {post_id!r}")
        return {"id": row.id, "author": row.author, "status": row.status, "post": atrest.shown_body(row.body),
                "decision": readable_json(row.decision)}
