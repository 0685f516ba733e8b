"""The console's even-handedness page (``/console/consistency``): the report's sections, under the
console's roles (a moderator, as for the transparency report) and its Content-Security-Policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from leakwarden.audit import consistency, consistency_render
from leakwarden.audit.report import period
from leakwarden.service.console.web import Moderator, engine_of, render


def add(app: FastAPI) -> None:
    """Add the page to the console app (``web.build`` calls this)."""

    @app.get("/consistency", response_class=HTMLResponse)
    def consistency_page(
        request: Request, info: Moderator,
        start: Annotated[str, Query(alias="from", max_length=40)] = "",
        end: Annotated[str, Query(alias="to", max_length=40)] = "",
        within_days: Annotated[int, Query(ge=1, le=consistency.MAX_WITHIN_DAYS)] = 14,
    ) -> Response:
        built = consistency.build(engine_of(request).db, *period(start or None, end or None),
                                  within_days=within_days)
        return render(request, "consistency.html", info, report=built, start=start, end=end,
                      within_days=within_days, body=Markup(consistency_render.sections_html(built)))
