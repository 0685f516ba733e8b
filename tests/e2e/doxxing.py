"""A doxxing fixture for private-values-at-rest tests and bench/bench_hardening.py: a post whose
own text and whose linked page both hold an SSN, a home address, a birth date and a phone number, and
:func:`everything_shown`, which gathers every place a clear value could appear (the database, the
API's answers, the CLI's output, the logs, the console's HTML)."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from fixtures.links.hostserver import HostServer
from sqlalchemy import MetaData, select

from leakwarden.cli import main
from leakwarden.demo.pdf import text_pdf
from leakwarden.engine import Engine
from leakwarden.links.chain import ChainExpander
from leakwarden.links.fetch import FetchSettings
from leakwarden.model import Attachment, Evidence, Post, Signal, Subject, SubjectKind
from leakwarden.service.app import create_app
from leakwarden.service.auth import create_key
from leakwarden.service.console import users
from leakwarden.signals.base import TEXT_SUBJECTS
from leakwarden.signals.pii.detector import PiiDetector
from leakwarden.store.tables import CaseRow

ADDRESS = "1482 Maple Ridge Drive, Columbus, OH 43215"
SSN = "521-44-7719"
BIRTH = "March 3, 1979"
PHONE = "(614) 555-0192"
CLEAR = {"address": ADDRESS, "ssn": SSN, "birth date": BIRTH, "phone": PHONE}
LINES = (f"Opposition file on Daniel Harper. Home address: {ADDRESS}. SSN: {SSN}. "
         f"Date of birth: {BIRTH}. Personal phone: {PHONE}. He moved into the district in 2021.")
PAGE = f"<html><body><article><h1>The Harper Files</h1><p>{LINES}</p></article></body></html>".encode()
PASSWORD = "correct horse battery"
# files the doxxing post attaches, holding the same values: their bytes, base64 as posted
ATTACHED = {"dossier.pdf": ("application/pdf", text_pdf("Opposition file on Daniel Harper", *LINES.split(". "))),
            "notes.txt": ("text/plain", LINES.encode())}
ATTACHED_B64 = {name: base64.b64encode(data).decode() for name, (_, data) in ATTACHED.items()}

class QuotingBank:
    """A bank match that quotes the whole page, as the exact and near-duplicate stages do."""

    kind = "bank"
    subjects: frozenset[SubjectKind] = TEXT_SUBJECTS

    def detect(self, subject: Subject) -> list[Signal]:
        if "Harper" not in subject.text or subject.kind is SubjectKind.POST_TEXT:
            return []
        whole = {"start": 0, "end": len(subject.text), "text": subject.text}
        passages = [{"query": whole, "item": dict(whole), "score": 1.0}]
        return [Signal(kind="bank", strength=1.0, subject_kind=subject.kind, subject=subject.ref,
                       attrs={"bank": "leaks", "item": "harper", "method": "exact", "label": "hack-and-leak",
                              "review": False},
                       evidence=[Evidence(summary="exact match with leaks/harper", subject=subject.ref,
                                          item="leaks/harper", passages=passages,
                                          data={"anchors": {"figures": [SSN]}})])]


def leaks(text: str) -> list[str]:
    """The clear values found in ``text`` (also with HTML or JSON escaping)."""
    found = []
    for name, value in CLEAR.items():
        forms = {value, json.dumps(value)[1:-1], value.replace("(", "&#40;"), value.replace(",", "&#44;")}
        if any(form in text for form in forms):
            found.append(name)
    for name, b64 in ATTACHED_B64.items():  # an attached file's bytes: whole, or a stretch of them
        if b64[len(b64) // 2 - 20 : len(b64) // 2 + 20] in text:
            found.append(f"attachment {name}")
    return found


def doxx_site() -> HostServer:
    srv = HostServer()
    srv.routes["/p/harper"] = lambda h: h.send(200, PAGE)
    return srv


def make_engine(site: HostServer, db_url: str) -> Engine:
    expander = ChainExpander(FetchSettings(allow_hosts="127.0.0.1", ports=(site.port,), total_timeout=5.0))
    return Engine(db_url, policy="strict", detectors=[PiiDetector(reveal=True), QuotingBank()], expander=expander)


def dump_database(engine: Engine) -> str:
    """Every row of every table, as text."""
    meta = MetaData()
    out: list[str] = []
    with engine.db.session() as s:
        meta.reflect(bind=s.connection())
        for table in meta.sorted_tables:
            for row in s.execute(select(table)):
                out.append(f"{table.name}: " + " | ".join(str(v) for v in row))  # in full (a repr truncates)
    return "\n".join(out)


def log_in(client: TestClient) -> str:
    def csrf(html: str) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', html)
        assert found
        return found.group(1)

    page = client.get("/console/login")
    done = client.post("/console/login", data={"name": "mod", "password": PASSWORD, "csrf": csrf(page.text),
                                               "next": "/console/queue"}, follow_redirects=False)
    assert done.status_code == 303
    return csrf(client.get("/console/queue").text)


OWN = ("She lives at {address}, SSN {ssn}, born {birth}, call her on {phone}. Full file: ")


def doxx(site: HostServer, pid: str = "p-own") -> Post:
    own = OWN.format(address=CLEAR["address"], ssn=CLEAR["ssn"], birth=CLEAR["birth date"], phone=CLEAR["phone"])
    files = [Attachment(name=name, content_type=kind, content_b64=ATTACHED_B64[name])
             for name, (kind, _) in ATTACHED.items()]
    return Post(id=pid, author="troll", text=own + site.url("/p/harper"), attachments=files)


def cli(args: list[str]) -> tuple[int, str]:
    """Run the CLI in this process: its exit code, and what it printed (stdout and stderr)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return code, out.getvalue()


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {record.args!r} {record.exc_text or ''}")


def everything_shown(site: HostServer, workdir: Path) -> dict[str, Any]:
    """Ingest the doxxing post through the API, open every page and answer that shows it, run the
    CLI on it, decide it again; return each place's text (``"reveal"``: the audited reveal's page)."""
    records = _Records()
    root = logging.getLogger()
    level = root.level
    root.addHandler(records)
    root.setLevel(logging.DEBUG)
    try:
        return _gather(site, workdir, records)
    finally:
        root.removeHandler(records)
        root.setLevel(level)


def _gather(site: HostServer, workdir: Path, records: _Records) -> dict[str, Any]:
    db = str(workdir / "lw.db")
    engine = make_engine(site, f"sqlite:///{db}")
    users.create_user(engine.db, "mod", "moderator", PASSWORD)
    moderator = {"Authorization": f"Bearer {create_key(engine.db, 'moderator')[1]}"}
    submitter = {"Authorization": f"Bearer {create_key(engine.db, 'submitter')[1]}"}
    seen: dict[str, Any] = {}
    with TestClient(create_app(engine), raise_server_exceptions=False, base_url="http://127.0.0.1") as client:
        body = doxx(site).model_dump(mode="json")
        seen["POST /v1/check"] = client.post("/v1/check", json=body, headers=submitter).text
        seen["POST /v1/posts"] = client.post("/v1/posts", json=body, headers=submitter).text
        seen["GET /v1/posts/id"] = client.get("/v1/posts/p-own", headers=moderator).text
        with engine.db.session() as s:
            case = s.scalars(select(CaseRow.id).where(CaseRow.post_id == "p-own")).one()
        seen["GET /v1/cases"] = client.get("/v1/cases", headers=moderator).text
        seen["GET /v1/cases/id"] = client.get(f"/v1/cases/{case}", headers=moderator).text
        seen["GET /v1/audit"] = client.get("/v1/audit", headers=moderator).text
        csrf = log_in(client)
        for page in ("/console/queue", f"/console/cases/{case}", "/console/accounts/troll", "/console/audit"):
            seen[f"console {page}"] = client.get(page).text
        ref = re.search(r'name="ref" value="([0-9.]+)"><button type="submit" aria-label="Reveal US_SSN',
                        seen[f"console /console/cases/{case}"])
        if ref:
            seen["reveal"] = client.post(f"/console/cases/{case}/reveal", data={"ref": ref.group(1), "csrf": csrf}).text
        seen["console case after a reveal"] = client.get(f"/console/cases/{case}").text
    source = workdir / "posts.jsonl"
    source.write_text(doxx(site, "p-cli").model_dump_json() + "\n")
    out = workdir / "out.ndjson"
    with _environment({"LEAKWARDEN_FOLLOW_LINKS": "1", "LEAKWARDEN_FETCH_ALLOW_HOSTS": "127.0.0.1",
                       "LEAKWARDEN_FETCH_PORTS": str(site.port), "LEAKWARDEN_EMBEDDER": "none"}):
        seen["CLI check"] = cli(["check", str(source), "--db", db])[1]
        seen["CLI scan -o"] = cli(["scan", str(source), "--ingest", "-o", str(out), "--db", db])[1] + out.read_text()
        seen["CLI audit list"] = cli(["audit", "list", "--db", db])[1]
        seen["CLI accounts show"] = cli(["accounts", "show", "troll", "--db", db])[1]
    seen["redecided verdict"] = engine.redecide("p-own").verdict.value
    seen["database"] = dump_database(engine)
    seen["logs"] = "\n".join(records.lines)
    seen["engine"] = engine
    return seen
