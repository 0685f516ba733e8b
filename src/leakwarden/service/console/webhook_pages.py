"""The console's webhooks page (``/console/webhooks``, admin, as the API's ``/v1/webhooks``): the
endpoints (add one, its secret shown once on the result page; remove one after a confirmation),
recent deliveries with a replay button, and the latest events of the feed, paged by cursor. Every
change goes through ``outbox.webhooks``, which audits it as the CLI and the API do."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response

from leakwarden.errors import InvalidInput, NotFound
from leakwarden.model import MAX_ID
from leakwarden.outbox import events as feed
from leakwarden.outbox import webhooks
from leakwarden.service.console import users
from leakwarden.service.console.web import Admin, back, checked_form, engine_of, field, render
from leakwarden.service.deps import IdPath

DELIVERIES = 50  # the newest deliveries shown
EVENTS_PAGE = 50  # events of the feed a page
STATES = ("", *webhooks.STATES)


def delivery_state(delivery: dict[str, Any]) -> str:
    """What a reviewer reads: a pending delivery that already failed is "failing"."""
    return "failing" if delivery["state"] == "pending" and delivery["attempts"] else delivery["state"]


def events_page(db: Any, after: int | None) -> dict[str, Any]:
    """One page of the feed, newest first. Without a cursor, the latest page. Sequence numbers are
    contiguous (``outbox.events.sequence``), so the page before ``after`` starts at ``after - PAGE``."""
    head = feed.latest(db)
    start = max(0, head - EVENTS_PAGE) if after is None else min(after, head)
    page = feed.read(db, start, EVENTS_PAGE)
    return {"events": list(reversed(page.events)), "older": max(0, start - EVENTS_PAGE) if start > 0 else None,
            "newer": page.next if page.next < head else None, "head": head}


def add(app: FastAPI) -> None:
    """Add the page to the console app (``web.build`` calls this)."""

    def page(request: Request, info: users.SessionInfo, status: int = 200, *, state: str = "",
             after: int | None = None, error: str = "", code: str = "",
             form: dict[str, Any] | None = None) -> Response:
        db = engine_of(request).db
        found = webhooks.deliveries(db, state=state or None, limit=DELIVERIES)
        return render(request, "webhooks.html", info, status, endpoints=webhooks.list_endpoints(db),
                      deliveries=[{**d, "shown_state": delivery_state(d)} for d in found], state=state,
                      states=STATES, feed=events_page(db, after), event_types=feed.EVENT_TYPES, error=error,
                      code=code, form=form or {"url": "", "events": [], "description": ""})

    @app.get("/webhooks", response_class=HTMLResponse)
    def webhooks_page(request: Request, info: Admin,
                      state: Annotated[str, Query(max_length=20)] = "",
                      after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None) -> Response:
        if state not in STATES:
            raise InvalidInput(f"a delivery state is one of {', '.join(webhooks.STATES)}", code="invalid_state")
        return page(request, info, state=state, after=after)

    @app.post("/webhooks", response_class=HTMLResponse)
    async def add_webhook(request: Request, info: Admin) -> Response:
        form = await checked_form(request, info)
        chosen = [e for e in form.getlist("events") if isinstance(e, str)][:len(feed.EVENT_TYPES)]
        url, description = field(form, "url", limit=webhooks.MAX_URL), field(form, "description", limit=500)
        try:
            made = webhooks.add(engine_of(request).db, url, events=chosen, description=description,
                                actor=info.principal.name)
        except InvalidInput as exc:  # a private or malformed URL: the form again, with why
            return page(request, info, 422, error=exc.message, code=exc.code,
                        form={"url": url, "events": chosen, "description": description})
        response = render(request, "webhook_added.html", info, 201, hook=made)
        response.headers["Cache-Control"] = "no-store"  # the secret is on this page, and only here
        return response

    @app.post("/webhooks/{webhook_id}/remove", response_class=HTMLResponse)
    async def remove_webhook(request: Request, webhook_id: IdPath, info: Admin) -> Response:
        """Without ``confirm=yes``, the question: what stops, and a button to confirm."""
        form = await checked_form(request, info)
        db = engine_of(request).db
        if field(form, "confirm", limit=10) != "yes":
            hook = next((h for h in webhooks.list_endpoints(db) if h["id"] == webhook_id), None)
            if hook is None:
                raise NotFound(f"no webhook {webhook_id}")
            pending = webhooks.deliveries(db, endpoint_id=webhook_id, state="pending", limit=1000)
            return render(request, "webhook_remove.html", info, hook=hook, pending=len(pending))
        webhooks.remove(db, webhook_id, actor=info.principal.name)
        return back("/webhooks")

    @app.post("/webhooks/deliveries/{delivery_id}/replay")
    async def replay_delivery(request: Request, delivery_id: IdPath, info: Admin) -> Response:
        await checked_form(request, info)
        webhooks.replay(engine_of(request).db, delivery_id, actor=info.principal.name)
        return back("/webhooks")
