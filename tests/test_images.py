"""Images are subjects: image attachments, images reached through a link chain (a page that shows a
screenshot, a link to an image) and scanned PDFs are read with OCR; every detector runs on the text,
and a private-information finding points to regions of the image."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from fixtures.links.hostserver import HostServer

from leakwarden.demo.screens import encoded, render
from leakwarden.engine import Engine
from leakwarden.links import ocr
from leakwarden.links.chain import ChainExpander
from leakwarden.links.fetch import FetchSettings
from leakwarden.model import Attachment, Post, Verdict
from leakwarden.signals.pii.detector import PiiDetector

pytestmark = pytest.mark.skipif(not ocr.ocr_available(), reason="tesseract is not installed (make tesseract)")

DOSSIER = ("Opposition file: Daniel Harper\n"
           "Home address: 1482 Maple Ridge Drive, Columbus, OH 43215\n"
           "Mobile: (614) 555-0192")
SCREENSHOT = encoded(render(DOSSIER))
PAGE = b"""<html><body><article><h1>The Harper Files</h1>
<p>We publish the campaign's opposition file on its own candidate, because voters deserve it.</p>
<img src="/img/dossier.png" alt="page 1"></article></body></html>"""


@pytest.fixture
def site() -> Iterator[HostServer]:
    srv = HostServer()
    srv.routes["/p/dossier"] = lambda h: h.send(200, PAGE)
    srv.routes["/img/dossier.png"] = lambda h: h.send(200, SCREENSHOT, "image/png")
    srv.routes["/img/broken.png"] = lambda h: h.send(200, SCREENSHOT[:200], "image/png")
    srv.routes["/scan.pdf"] = lambda h: h.send(200, encoded(render(DOSSIER), "PDF", resolution=96.0),
                                                 "application/pdf")
    yield srv
    srv.close()


def engine_for(site: HostServer, db_url: str, policy: str = "strict") -> Engine:
    expander = ChainExpander(FetchSettings(allow_hosts="127.0.0.1", ports=(site.port,), total_timeout=5.0))
    return Engine(db_url, policy=policy, detectors=[PiiDetector()], expander=expander, fetch_budget_s=60)


def _address_regions(decision: object) -> list[list[int]]:
    reasons = [r for r in decision.reasons if r.signal == "pii"]  # type: ignore[attr-defined]
    evidence = [e for r in reasons for e in r.evidence if e.summary.startswith("STREET_ADDRESS")]
    assert evidence, [e.summary for r in reasons for e in r.evidence]
    return evidence[0].data["regions"]


def test_a_post_linking_to_a_page_showing_a_screenshot_of_the_dossier_is_removed(site: HostServer,
                                                                                  db_url: str) -> None:
    decision = engine_for(site, db_url).check(Post(id="p", author="a", text=f"read {site.url('/p/dossier')}"))
    assert decision.verdict is Verdict.REMOVE
    reason = next(r for r in decision.reasons if r.signal == "pii")
    assert reason.subject.endswith("→ http://127.0.0.1/img/dossier.png")
    [[x, y, w, h]] = _address_regions(decision)
    width, height = render(DOSSIER).size
    assert 0 <= x < width and 0 <= y < height and 0 < w <= width and 0 < h < height / 2
    assert y > 20  # the address is on the second line, not the title's
    hop = next(h for h in decision.chains[0].hops if h.url.endswith(".png"))
    assert hop.image is not None and hop.image.width == width and len(hop.image.pdq[0]) == 64
    assert "1482" not in hop.text  # what OCR read is masked like any hop text


def test_a_direct_link_to_an_image_and_a_scanned_pdf_are_read(site: HostServer, db_url: str) -> None:
    engine = engine_for(site, db_url)
    for path in ("/img/dossier.png", "/scan.pdf"):
        decision = engine.check(Post(id="p", author="a", text=f"see {site.url(path)}"))
        assert decision.verdict is Verdict.REMOVE, path
        assert _address_regions(decision)


def test_an_image_that_cannot_be_read_is_a_hop_error(site: HostServer, db_url: str) -> None:
    decision = engine_for(site, db_url).check(Post(id="p", author="a", text=f"see {site.url('/img/broken.png')}"))
    assert decision.verdict is Verdict.ALLOW
    assert decision.chains[0].hops[0].error_code == "image_broken"


def test_an_image_attachment_gives_regions_and_a_caption_is_read_too(db_url: str) -> None:
    engine = Engine(db_url, policy="strict", detectors=[PiiDetector()])
    attachment = Attachment(name="shot.png", content_type="image/png", text="call 614-555-0100",
                            content_b64=base64.b64encode(SCREENSHOT).decode())
    decision = engine.check(Post(id="p", author="a", text="look", attachments=[attachment]))
    assert decision.verdict is Verdict.REMOVE
    assert _address_regions(decision)
    phones = [e for s in decision.signals for e in s.evidence if e.summary.startswith("PHONE")]
    assert len(phones) == 2 and sum("regions" in e.data for e in phones) == 1  # the caption has no region


def test_a_broken_image_attachment_still_gets_a_decision(db_url: str) -> None:
    engine = Engine(db_url, policy="strict", detectors=[PiiDetector()])
    junk = base64.b64encode(b"\x89PNG junk").decode()
    attachment = Attachment(name="x.png", content_type="image/png", content_b64=junk)
    decision = engine.check(Post(id="p", author="a", text="hello", attachments=[attachment]))
    assert decision.verdict is Verdict.ALLOW


def test_text_only_posts_never_reach_the_ocr_stage(site: HostServer, db_url: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(ocr._POOL, "call", lambda *args, **kwargs: calls.append(args))
    site.routes["/p/plain"] = lambda h: h.send(200, b"<html><body><p>Nothing to see, 1482 Maple.</p></body></html>")
    engine = engine_for(site, db_url)
    decision = engine.check(Post(id="p", author="a", text=f"hi {site.url('/p/plain')}"))
    assert decision.verdict is Verdict.ALLOW and decision.chains[0].hops[0].error_code is None
    engine.check(Post(id="q", author="a", text="no links, no attachments"))
    assert calls == []


def test_a_url_written_in_an_image_meets_the_url_rules(db_url: str) -> None:
    engine = Engine(db_url, policy="strict", detectors=[PiiDetector()])
    engine.rules.add("domain", "leakdrop.example", "block", "the leak's mirror", "mod")
    shot = encoded(render("Full archive, mirror 2:\nhttps://leakdrop.example/harper/all.zip"))
    attachment = Attachment(name="mirror.png", content_type="image/png", content_b64=base64.b64encode(shot).decode())
    decision = engine.check(Post(id="p", author="a", text="they moved it", attachments=[attachment]))
    [rule] = [s for s in decision.signals if s.kind == "url_rule"]
    assert rule.subject == "post → attachment:mirror.png → https://leakdrop.example/harper/all.zip"
    assert decision.verdict is not Verdict.ALLOW
    assert decision.chains == []  # judged, not followed


def _arabic_script_model() -> bool:
    from leakwarden.links import imagechild

    return imagechild._second_lang("eng+ara") == "Arabic"


@pytest.mark.skipif(not _arabic_script_model(), reason="Debian's Arabic script model is not installed (make tesseract)")
def test_a_phone_number_in_eastern_arabic_digits_is_read_from_a_screenshot() -> None:
    from leakwarden.signals.bank.normalize import fold_word
    from leakwarden.signals.pii import find_pii

    read = ocr.read_image(encoded(render("للتواصل مع صاحب الشقة: الجوال +٩٦٦ ٥٠ ٣٤٧ ٨٢١٩ بعد العصر")))
    phones = [f for f in find_pii(read.text) if f.label == "PHONE"]
    assert phones, read.text
    # its groups in reading order and "+" in front (Tesseract gives them as drawn, right to left)
    assert fold_word(phones[0].text.replace(" ", "")).startswith("+96650347"), read.text
