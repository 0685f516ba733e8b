"""PDQ and MD5: banked images and banked PDFs' pages, matched by Hamming distance through the
multi-index, exchanged in HMA's and ThreatExchange's formats; ``leakwarden images`` and ``redact``."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image
from test_cli import run

from leakwarden.demo.screens import degrade, encoded, render
from leakwarden.engine import Engine
from leakwarden.errors import InvalidInput
from leakwarden.links import ocr
from leakwarden.model import Attachment, Post, Verdict
from leakwarden.signals.bank.detector import BankDetector
from leakwarden.signals.bank.repository import Banks
from leakwarden.signals.images.bank import ImageBank
from leakwarden.signals.images.detector import ImageHashDetector
from leakwarden.signals.images.pdq import PdqIndex, distance
from leakwarden.signals.pii.detector import PiiDetector
from leakwarden.store.db import Database

needs_ocr = pytest.mark.skipif(not ocr.ocr_available(), reason="tesseract is not installed (make tesseract)")

PAGES = [
    "Ridgeline Strategies - opposition research\nSubject: Marisol Trent, County Board, District 14\n"
    "Residence: 2218 Willowmere Lane, Easton Falls\nPayroll: Social Security number ending in 4471",
    "Votes on Halden Paving contracts, January 2021 to August 2023\nEleven votes in favour; no recusal.\n"
    "Brother-in-law holds a 30 percent stake in the firm.",
    "Recommendations\nRelease the paving file in October.\nHold the family material for the runoff.",
]
OTHER = "Minutes of the parks committee\nThe committee approved the new playground at Elm Street.\n" \
        "Next meeting: 14 May, 6 pm, library hall."


def _flip(hex_hash: str, bits: list[int]) -> str:
    raw = bytearray(bytes.fromhex(hex_hash))
    for bit in bits:
        raw[bit // 8] ^= 0x80 >> (bit % 8)
    return raw.hex()


@pytest.mark.parametrize(("flipped", "found"), [(0, True), (1, True), (16, True), (30, True), (31, True),
                                                (32, False), (60, False)])
def test_the_multi_index_finds_exactly_what_a_scan_finds(flipped: int, found: bool) -> None:
    rng = np.random.default_rng(flipped)
    hashes = [rng.bytes(32).hex() for _ in range(3000)]
    index = PdqIndex(rebuild_at=1000)
    index.add(list(range(len(hashes))), hashes)
    query = _flip(hashes[42], [int(b) for b in rng.choice(256, flipped, replace=False)])
    assert distance(query, hashes[42]) == flipped
    assert index.query(query) == index.scan(query)
    assert ((42, flipped) in index.query(query)) is found
    index.add([99_999], [query])  # pending, not yet in the sorted arrays: matchable at once
    assert (99_999, 0) in index.query(query)


def _pdf(pages: list[str]) -> bytes:
    """A scanned PDF: each page an image, no text layer."""
    images = [render(text, width=900, size=22) for text in pages]
    return encoded(images[0], "PDF", resolution=100.0, save_all=True, append_images=images[1:])


def _screenshot(pdf: bytes, page: int, scale: float = 1.2) -> bytes:
    """A screenshot of one page of a PDF as a viewer shows it (rendered at another size, JPEG)."""
    image = pdfium.PdfDocument(pdf)[page].render(scale=scale).to_pil().convert("RGB")
    return encoded(degrade(image, "jpeg"), "JPEG", quality=80)


@pytest.fixture
def banked(db_url: str) -> tuple[Database, bytes]:
    db = Database(db_url)
    Banks(db, embed=False).create("leaks", "hack-and-leak, state-backed")
    pdf = _pdf(PAGES)
    result = ImageBank(db).add("leaks", pdf, name="ridgeline.pdf")
    assert (result.item.id, result.pages, result.hashes) == ("ridgeline", 3, 4)
    return db, pdf


@needs_ocr
def test_an_image_attachment_of_a_banked_pdf_page_matches_it(banked: tuple[Database, bytes]) -> None:
    db, pdf = banked
    engine = Engine(db, policy="strict", detectors=[PiiDetector(), BankDetector(db, use_embedder=False),
                                                   ImageHashDetector(db)])
    shot = base64.b64encode(_screenshot(pdf, 1)).decode()
    post = Post(id="p", author="a", text="look at page 2",
                attachments=[Attachment(name="p2.jpg", content_type="image/jpeg", content_b64=shot)])
    decision = engine.check(post)
    assert decision.verdict is Verdict.REMOVE
    banks = [s for s in decision.signals if s.kind == "bank"]
    pdq = next(s for s in banks if s.attrs["method"] == "pdq")
    assert pdq.attrs["item"] == "ridgeline" and pdq.evidence[0].data["page"] == 2
    assert pdq.evidence[0].data["distance"] <= 31
    assert any(s.attrs["method"] != "pdq" for s in banks)  # its OCR text matches the item's text too


@needs_ocr
def test_a_screenshot_of_another_document_matches_nothing(banked: tuple[Database, bytes]) -> None:
    db, _ = banked
    other = _screenshot(_pdf([OTHER]), 0)
    assert ImageHashDetector(db).index.match(ocr.read_image(other)) == []


def test_hashes_round_trip_through_hma_and_threatexchange_formats(banked: tuple[Database, bytes]) -> None:
    db, _ = banked
    images = ImageBank(db)
    hma = list(images.export("leaks", "hma"))
    assert [line.split()[0] for line in hma] == ["pdq", "pdq", "pdq", "video_md5"]
    te = [json.loads(line) for line in images.export("leaks", "te")]
    assert {t["type"] for t in te} == {"HASH_PDQ", "HASH_MD5"} and te[1]["description"] == "leaks/ridgeline page 2"
    assert te[0]["tags"] == ["hack-and-leak, state-backed"]
    Banks(db, embed=False).create("partner", "shared by a partner")
    assert images.import_lines("partner", hma, "hma") == {"bank": "partner", "added": 4, "skipped": 0}
    assert images.import_lines("partner", [json.dumps(t) for t in te], "te")["skipped"] == 4
    page_two = te[1]["indicator"]
    matches = ImageHashDetector(db).index.match(ocr.ImageRead(md5="0" * 32, sha256="", pages=(
        ocr.PageRead(width=1, height=1, text="", words=(), pdq=_flip(page_two, [3, 90, 200]), quality=100),)))
    assert {(m.bank, m.method, m.distance) for m in matches} == {("leaks", "pdq", 3), ("partner", "pdq", 3)}


@pytest.mark.parametrize(("fmt", "line", "code"), [
    ("hma", "pdq nothex", "invalid_signal"),
    ("hma", "tmk 0123", "invalid_signal"),
    ("te", "{not json", "invalid_signal"),
    ("te", '{"indicator": "abc", "type": "HASH_PDQ"}', "invalid_signal"),
    ("te", '{"indicator": "abc", "type": "URI"}', "invalid_signal"),
    ("csv", "pdq " + "0" * 64, "invalid_format"),
])
def test_bad_hash_lines_are_clear_errors(banked: tuple[Database, bytes], fmt: str, line: str, code: str) -> None:
    db, _ = banked
    with pytest.raises(InvalidInput) as raised:
        ImageBank(db).import_lines("leaks", [line], fmt)
    assert raised.value.code == code


@needs_ocr
def test_the_images_and_redact_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("LEAKWARDEN_DATABASE_URL", url)
    Banks(Database(url), embed=False).create("leaks", "hack-and-leak")
    page = tmp_path / "page.png"
    page.write_bytes(encoded(render(PAGES[0])))
    code, out, _ = run(capsys, "images", "add", "leaks", str(page), "--id", "p1")
    assert code == 0 and json.loads(out)["hashes"] == 2
    shot = tmp_path / "shot.jpg"
    shot.write_bytes(encoded(degrade(render(PAGES[0]), "scaled"), "JPEG", quality=70))
    code, out, _ = run(capsys, "images", "match", str(shot))
    assert code == 0 and [(m["item"], m["method"]) for m in json.loads(out)] == [("p1", "pdq")]
    exported = tmp_path / "leaks.txt"
    assert run(capsys, "images", "export", "leaks", str(exported), "--format", "hma")[0] == 0
    assert exported.read_text().split()[0] == "pdq"
    code, out, _ = run(capsys, "images", "import", str(exported), "--bank", "leaks")
    assert code == 0 and json.loads(out)["skipped"] == 2
    code, out, _ = run(capsys, "redact", str(page), "-o", str(tmp_path / "red.png"))
    assert code == 0 and "STREET_ADDRESS" in json.loads(out)["labels"]
    redacted = ocr.read_image((tmp_path / "red.png").read_bytes())
    assert "Willowmere" not in redacted.first.text and "Ridgeline" in redacted.first.text
    Image.open(io.BytesIO((tmp_path / "red.png").read_bytes())).verify()


@pytest.mark.parametrize(("args", "message"), [
    (["images", "add", "leaks", "{tmp}/notes.txt"], "not an image"),
    (["images", "hash", "{tmp}/broken.png"], "broken image"),
    (["images", "import", "{tmp}/notes.txt", "--bank", "leaks"], "unknown signal type"),
    (["images", "export", "leaks", "{tmp}/x", "--format", "csv"], "format must be"),
    (["redact", "{tmp}/broken.png", "-o", "{tmp}/x.png"], "broken image"),
    (["redact", "{tmp}/notes.txt", "-o", "{tmp}/x.png"], "-o is for images"),
])
def test_command_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch, args: list[str], message: str) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("LEAKWARDEN_DATABASE_URL", url)
    Banks(Database(url), embed=False).create("leaks", "hack-and-leak")
    (tmp_path / "notes.txt").write_text("just some notes", encoding="utf-8")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 50)
    code, _, err = run(capsys, *(a.format(tmp=tmp_path) for a in args))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err


@needs_ocr
def test_the_images_api(db_url: str) -> None:
    from fastapi.testclient import TestClient

    from leakwarden.service.app import create_app
    from leakwarden.service.auth import create_key

    engine = Engine(db_url, detectors=[ImageHashDetector(Database(db_url))])
    keys = {role: {"Authorization": f"Bearer {create_key(engine.db, role)[1]}"}
            for role in ("submitter", "moderator", "admin")}
    Banks(engine.db, embed=False).create("leaks", "hack-and-leak")
    client = TestClient(create_app(engine), raise_server_exceptions=False)
    page = encoded(render(PAGES[1]))
    r = client.post("/v1/images/banks/leaks/items", files={"file": ("page.png", page, "image/png")},
                    data={"id": "p2"}, headers=keys["moderator"])
    assert r.status_code == 201 and r.json()["hashes"] == 2, r.text
    assert client.post("/v1/images/banks/leaks/items", files={"file": ("page.png", page, "image/png")},
                       headers=keys["submitter"]).status_code == 403
    shot = encoded(degrade(render(PAGES[1]), "scaled"), "JPEG", quality=70)
    r = client.post("/v1/images/match", files={"file": ("shot.jpg", shot, "image/jpeg")}, headers=keys["submitter"])
    assert r.status_code == 200 and [(m["item"], m["method"]) for m in r.json()["matches"]] == [("p2", "pdq")]
    exported = client.get("/v1/images/banks/leaks/export?format=te", headers=keys["moderator"])
    assert exported.status_code == 200 and json.loads(exported.text.splitlines()[0])["type"] == "HASH_PDQ"
    Banks(engine.db, embed=False).create("partner", "shared")
    r = client.post("/v1/images/banks/partner/import", files={"file": ("x.json", exported.text.encode())},
                    data={"format": "te"}, headers=keys["admin"])
    assert r.status_code == 201 and r.json()["added"] == 2
    r = client.post("/v1/images/match", files={"file": ("x.png", b"\x89PNG\r\n\x1a\nxx")}, headers=keys["submitter"])
    assert r.status_code == 422 and r.json()["error"]["code"] == "image_broken"
    r = client.get("/v1/images/banks/leaks/export?format=csv", headers=keys["moderator"])
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_format"
    r = client.post("/v1/images/banks/nobank/import", files={"file": ("x", b"pdq " + b"0" * 64)},
                    headers=keys["admin"])
    assert r.status_code == 404


def test_image_hashes_on_every_database(any_db_url: str) -> None:
    db = Database(any_db_url)
    banks = Banks(db, embed=False)
    banks.create("leaks", "hack-and-leak")
    images = ImageBank(db)
    pdf = _pdf(PAGES[:2])
    banked = images.add("leaks", pdf, name="two.pdf", text="\n\n".join(PAGES[:2]))  # known text: no OCR
    assert (banked.item.id, banked.pages, banked.hashes) == ("two", 2, 3)
    blank = images.add("leaks", encoded(Image.new("RGB", (300, 200), "white")), name="blank.png",
                       text="")  # no words: an item without text, matched by its hashes
    assert blank.item.id == "blank" and not blank.item.has_text
    index = ImageHashDetector(db).index
    [page_two] = [line.split()[1] for line in images.export("leaks")][1:2]
    probe = ocr.ImageRead(md5="0" * 32, sha256="", pages=(
        ocr.PageRead(width=1, height=1, text="", words=(), pdq=_flip(page_two, [0, 1, 2]), quality=90),))
    assert [(m.item, m.page, m.distance) for m in index.match(probe)] == [("two", 2, 3)]
    banks.remove("leaks", "two")  # its hashes go with it
    index.refresh(force=True)
    assert index.match(probe) == []
    assert [line.split()[0] for line in images.export("leaks")] == ["pdq", "video_md5"]
