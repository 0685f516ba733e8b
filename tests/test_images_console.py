"""The console shows an image's private regions blurred until a reviewer reveals it; the reveal is
audited. End to end: a post links to a page showing a screenshot of the dossier."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from fixtures.links.hostserver import HostServer
from PIL import Image
from sqlalchemy import select

from leakwarden.audit import log as audit_log
from leakwarden.demo.screens import encoded, render
from leakwarden.engine import Engine
from leakwarden.links import ocr
from leakwarden.links.chain import ChainExpander
from leakwarden.links.fetch import FetchSettings
from leakwarden.model import Post, Verdict
from leakwarden.service.app import create_app
from leakwarden.service.console import users
from leakwarden.signals.images.tables import ImageEvidenceRow
from leakwarden.signals.pii.detector import PiiDetector
from leakwarden.store.tables import CaseRow

pytestmark = [pytest.mark.usefixtures("cheap_argon2"),
              pytest.mark.skipif(not ocr.ocr_available(), reason="tesseract is not installed (make tesseract)")]
PASSWORD = "correct horse battery"
SCREEN = render("Opposition file: Daniel Harper\nHome address: 1482 Maple Ridge Drive, Columbus, OH 43215\n"
                "SSN: XXX-XX-4471")
PAGE = b"""<html><body><article><h1>Leaked</h1><p>The opposition file, page one, as the campaign holds it.</p>
<img src="/img/dossier.png"></article></body></html>"""


@pytest.fixture
def site() -> Iterator[HostServer]:
    srv = HostServer()
    srv.routes["/p/leak"] = lambda h: h.send(200, PAGE)
    srv.routes["/img/dossier.png"] = lambda h: h.send(200, encoded(SCREEN), "image/png")
    yield srv
    srv.close()


@pytest.fixture
def engine(site: HostServer, db_url: str) -> Engine:
    expander = ChainExpander(FetchSettings(allow_hosts="127.0.0.1", ports=(site.port,), total_timeout=5.0))
    e = Engine(db_url, policy="strict", detectors=[PiiDetector()], expander=expander, fetch_budget_s=60)
    for role in ("submitter", "moderator"):
        users.create_user(e.db, role, role, PASSWORD)
    return e


def _log_in(client: TestClient, name: str) -> str:
    page = client.get("/console/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    client.post("/console/login", data={"name": name, "password": PASSWORD, "csrf": csrf.group(1),
                                        "next": "/console/queue"}, follow_redirects=False)
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/console/queue").text)
    assert found
    return found.group(1)


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.int16)


def test_the_console_shows_the_screenshot_blurred_and_reveals_it_audited(engine: Engine, site: HostServer) -> None:
    decision = engine.ingest(Post(id="p-shot", author="leaker", text=f"everything here {site.url('/p/leak')}"))
    assert decision.verdict is Verdict.REMOVE
    with engine.db.session() as s:
        case = s.scalars(select(CaseRow.id).where(CaseRow.post_id == "p-shot")).one()
        kept = s.scalars(select(ImageEvidenceRow)).one()
        assert kept.subject.endswith("/img/dossier.png") and b"1482" not in kept.sealed.encode()
    with TestClient(create_app(engine), raise_server_exceptions=False, base_url="http://127.0.0.1") as client:
        csrf = _log_in(client, "moderator")
        page = client.get(f"/console/cases/{case}").text
        images = re.findall(r'<img src="(/console/cases/\d+/image/([0-9.]+))"', page)
        assert images and "reveal image" in page
        url, ref = images[0]
        blurred = client.get(url)
        assert blurred.status_code == 200 and blurred.headers["content-type"] == "image/png", blurred.text
        assert blurred.headers["cache-control"] == "no-store"
        evidence = next(e for r in decision.reasons for e in r.evidence if e.data.get("regions"))
        original, shown = _pixels(encoded(SCREEN)), _pixels(blurred.content)
        x, y, w, h = (next(e for r in decision.reasons for e in r.evidence
                           if e.data.get("regions") and e.summary.startswith("STREET_ADDRESS")).data["regions"][0])
        assert np.abs(original[y:y + h, x:x + w] - shown[y:y + h, x:x + w]).mean() > 20  # the address is blurred
        assert np.array_equal(original[:18, :], shown[:18, :])  # the rest is not
        assert "1482" not in ocr.read_image(blurred.content).text
        with engine.db.session() as s:
            assert list(audit_log.events(s, kind="pii.image_revealed")) == []
        revealed = client.post(f"/console/cases/{case}/image-reveal", data={"ref": ref, "csrf": csrf})
        assert revealed.status_code == 200 and np.array_equal(_pixels(revealed.content), original)
        assert revealed.headers["cache-control"] == "no-store"
        assert client.post(f"/console/cases/{case}/image-reveal", data={"ref": ref}).status_code == 403  # no CSRF
        assert client.post(f"/console/cases/{case}/image-reveal",
                           data={"ref": "9.9", "csrf": csrf}).status_code == 404
        assert client.get(f"/console/cases/{case}/image/x").status_code == 422
        assert evidence.data["image"]["width"] == SCREEN.width
    with engine.db.session() as s:
        [event] = audit_log.events(s, kind="pii.image_revealed")
        assert event.actor == "user:moderator" and "1482" not in str(event.payload)
    with TestClient(create_app(engine), raise_server_exceptions=False, base_url="http://127.0.0.1") as viewer:
        _log_in(viewer, "submitter")
        assert viewer.get(url).status_code == 403


def test_an_attached_screenshot_is_stored_sealed_and_still_shown_blurred(engine: Engine) -> None:
    """The attachment's bytes live only in the post's sealed body; the console's views open it."""
    import base64

    from leakwarden.model import Attachment
    from leakwarden.store.tables import PostRow

    shot = base64.b64encode(encoded(SCREEN)).decode()
    post = Post(id="p-att", author="leaker", text="the file",
                attachments=[Attachment(name="dossier.png", content_type="image/png", content_b64=shot)])
    assert engine.ingest(post).verdict is Verdict.REMOVE
    with engine.db.session() as s:
        body = s.get_one(PostRow, "p-att").body
        case = s.scalars(select(CaseRow.id).where(CaseRow.post_id == "p-att")).one()
    assert body["attachments"][0]["content_b64"] is None and shot[100:140] not in str(body)
    with TestClient(create_app(engine), raise_server_exceptions=False, base_url="http://127.0.0.1") as client:
        csrf = _log_in(client, "moderator")
        [(url, ref), *_] = re.findall(r'<img src="(/console/cases/\d+/image/([0-9.]+))"',
                                      client.get(f"/console/cases/{case}").text)
        blurred = client.get(url)
        assert blurred.status_code == 200 and "1482" not in ocr.read_image(blurred.content).text
        revealed = client.post(f"/console/cases/{case}/image-reveal", data={"ref": ref, "csrf": csrf})
        assert revealed.status_code == 200 and np.array_equal(_pixels(revealed.content), _pixels(encoded(SCREEN)))
