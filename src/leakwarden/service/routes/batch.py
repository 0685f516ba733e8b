"""Many posts in one request: published to the intake stream when a broker is configured, else
ingested here. Each post gets its own result; an invalid one never sinks the rest."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from leakwarden.errors import InvalidInput, LeakwardenError
from leakwarden.intake.client import complete_later
from leakwarden.model import Decision, Post
from leakwarden.service.deps import EngineDep, SubmitterDep
from leakwarden.service.routes.posts import PolicyParam, engine_for

router = APIRouter(prefix="/v1", tags=["posts"])
MAX_BATCH = 1000
INGEST_CHUNK = 100  # posts ingested in one transaction (``Engine.ingest_many``) without a broker


class Batch(BaseModel):
    posts: list[Any]


def _invalid(index: int, value: Any, exc: ValidationError) -> dict[str, Any]:
    first = exc.errors()[0]
    field = ".".join(str(x) for x in first["loc"]) or "post"
    post_id = value.get("id") if isinstance(value, dict) and isinstance(value.get("id"), str) else None
    return {"index": index, "id": post_id, "status": "invalid",
            "error": {"code": "invalid_post", "message": f"{field}: {first['msg']}"}}


@router.post("/posts:batch", status_code=200, responses={
    202: {"description": "a broker is configured: every valid post is stored in the intake stream"},
    413: {"description": f"more than {MAX_BATCH} posts (``batch_too_large``)"}})
def ingest_batch(body: Batch, request: Request, engine: EngineDep, who: SubmitterDep,
                 policy: PolicyParam = None) -> JSONResponse:
    """Up to 1,000 posts. Each result has the post's ``index``, ``id`` and ``status``: ``queued``
    (published; a worker decides it), ``created`` or ``exists`` (ingested here, with its
    ``verdict``), ``invalid`` or ``error`` (with the ``error``)."""
    if len(body.posts) > MAX_BATCH:
        return JSONResponse({"error": {"code": "batch_too_large", "message":
                                       f"{len(body.posts)} posts: at most {MAX_BATCH} in one batch"}}, status_code=413)
    if not body.posts:
        raise InvalidInput("posts: give at least one post", code="empty_batch")
    results: list[dict[str, Any]] = []
    valid: list[tuple[int, Post]] = []
    for index, value in enumerate(body.posts):
        try:
            valid.append((index, Post.model_validate(value)))
        except ValidationError as exc:
            results.append(_invalid(index, value, exc))
    intake = request.app.state.intake
    if intake is not None:
        intake.publish_posts([post for _, post in valid])  # all or, with a 503, none confirmed
        results.extend({"index": i, "id": p.id, "status": "queued"} for i, p in valid)
        return _answer(results, 202)
    chosen = engine_for(request, engine, policy)
    outcomes: list[tuple[tuple[int, Post], tuple[Decision, bool] | Exception]] = []
    for start in range(0, len(valid), INGEST_CHUNK):  # one transaction a chunk
        chunk = valid[start:start + INGEST_CHUNK]
        outcomes.extend(zip(chunk, chosen.ingest_many([post for _, post in chunk], actor=who.name), strict=True))
    for (index, post), outcome in outcomes:
        if isinstance(outcome, LeakwardenError):
            results.append({"index": index, "id": post.id, "status": "error", "error": outcome.to_dict()})
            continue
        if isinstance(outcome, Exception):
            raise outcome  # a bug, the database away: a 500, as it was one post at a time
        decision, created = outcome
        if decision.partial:
            complete_later(intake, chosen, post.id)
        results.append({"index": index, "id": post.id, "status": "created" if created else "exists",
                        "verdict": decision.verdict.value})
    return _answer(results, 200)


def _answer(results: list[dict[str, Any]], status: int) -> JSONResponse:
    results.sort(key=lambda r: int(r["index"]))
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return JSONResponse({"results": results, "counts": counts}, status_code=status)
