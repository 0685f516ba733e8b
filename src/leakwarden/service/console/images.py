"""The console's image evidence: an image with private information shown blurred where it is, and
in clear after a reveal that is audited (``signals.images.evidence``).

(No ``from __future__ import annotations``: FastAPI reads the route's annotations, and the console's
role dependencies are imported inside :func:`register` to avoid an import cycle with ``web``.)"""

import re

from fastapi import FastAPI, Request
from fastapi.responses import Response

from leakwarden.errors import InvalidInput
from leakwarden.service.deps import IdPath
from leakwarden.signals.images import evidence

_REF = re.compile(r"^\d{1,4}\.\d{1,4}$")


def _png(data: bytes) -> Response:
    return Response(data, media_type="image/png", headers={"Cache-Control": "no-store",
                                                           "Content-Security-Policy": "default-src 'none'"})


def _ref(value: str) -> str:
    if not _REF.match(value):
        raise InvalidInput("ref must look like 0.1", code="invalid_form")
    return value


def register(app: FastAPI) -> None:
    from leakwarden.service.console.web import Moderator, checked_form, engine_of, field

    @app.get("/cases/{case_id}/image/{ref}")
    def blurred_image(request: Request, case_id: IdPath, ref: str, info: Moderator) -> Response:
        with engine_of(request).db.session() as s:
            return _png(evidence.blurred(s, case_id, _ref(ref)))

    @app.post("/cases/{case_id}/image-reveal")
    async def reveal_image(request: Request, case_id: IdPath, info: Moderator) -> Response:
        form = await checked_form(request, info)
        with engine_of(request).db.session() as s:
            return _png(evidence.reveal(s, case_id, _ref(field(form, "ref", limit=20)), info.principal))
