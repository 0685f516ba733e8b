"""Private values at rest (issue 10, item 1): a post linking to a doxxing page stores, returns and
prints the page's SSN, home address, birth date and phone only masked; the clear text is kept
encrypted with a key outside the database and shown only by the audited reveal."""

from __future__ import annotations

import json
import logging
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from fixtures.links.hostserver import HostServer
from sqlalchemy import MetaData, select

from leakwarden.audit import log as audit_log
from leakwarden.cli import main
from leakwarden.engine import Engine
from leakwarden.links.chain import ChainExpander
from leakwarden.links.fetch import FetchSettings
from leakwarden.model import Decision, Evidence, Hop, LinkChain, Post, Signal, Subject, SubjectKind, Verdict
from leakwarden.service.app import create_app
from leakwarden.service.auth import create_key
from leakwarden.service.console import users
from leakwarden.signals.base import TEXT_SUBJECTS
from leakwarden.signals.pii import atrest
from leakwarden.signals.pii.detector import PiiDetector
from leakwarden.store.tables import CaseRow, PostRow

ADDRESS = "1482 Maple Ridge Drive, Columbus, OH 43215"
SSN = "521-44-7719"
BIRTH = "March 3, 1979"
PHONE = "(614) 555-0192"
CLEAR = {"address": ADDRESS, "ssn": SSN, "birth date": BIRTH, "phone": PHONE}
LINES = (f"Opposition file on Daniel Harper. Home address: {ADDRESS}. SSN: {SSN}. "
         f"Date of birth: {BIRTH}. Personal phone: {PHONE}. He moved into the district in 2021.")
PAGE = f"<html><body><article><h1>The Harper Files</h1><p>{LINES}</p></article></body></html>".encode()
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.usefixtures("cheap_argon2")


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
    return found


@pytest.fixture
def site() -> Iterator[HostServer]:
    srv = HostServer()
    srv.routes["/p/harper"] = lambda h: h.send(200, PAGE)
    yield srv
    srv.close()


def make_engine(site: HostServer, db_url: str) -> Engine:
    expander = ChainExpander(FetchSettings(allow_hosts="127.0.0.1", ports=(site.port,), total_timeout=5.0))
    return Engine(db_url, policy="strict", detectors=[PiiDetector(reveal=True), QuotingBank()], expander=expander)


def post(site: HostServer, pid: str = "p-doxx") -> Post:
    return Post(id=pid, author="troll", text=f"look where he lives {site.url('/p/harper')}")


def dump_database(engine: Engine) -> str:
    """Every row of every table, as text."""
    meta = MetaData()
    out: list[str] = []
    with engine.db.session() as s:
        meta.reflect(bind=s.connection())
        for table in meta.sorted_tables:
            for row in s.execute(select(table)):
                out.append(f"{table.name}: {row!r}")
    return "\n".join(out)


def test_check_masks_hop_text_passages_and_evidence_keeping_offsets(site: HostServer, db_url: str) -> None:
    decision = make_engine(site, db_url).check(post(site))
    assert decision.verdict is Verdict.REMOVE and decision.masked
    assert leaks(decision.model_dump_json()) == []
    hop = next(h for c in decision.chains for h in c.hops if h.text)
    assert len(hop.text) == len("The Harper Files\n" + LINES) and hop.sealed is None  # check keeps nothing
    spans = [e.span for s in decision.signals if s.kind == "pii" for e in s.evidence if e.span]
    assert len(spans) == 4
    for start, end in spans:  # every span still points at its (masked) value
        assert set(hop.text[start:end]) <= set("• ,()-") and "•" in hop.text[start:end]
    assert "Harper" in hop.text and "moved into the district" in hop.text  # the rest stays readable
    passage = next(e.passages[0] for s in decision.signals if s.kind == "bank" for e in s.evidence)
    assert passage["query"]["text"] == hop.text
    assert all("value" not in e.data for s in decision.signals for e in s.evidence)


@pytest.mark.parametrize(("text", "expected"), [
    (f"SSN: {SSN}", "SSN: •••-••-••••"),
    (f"phone {PHONE} at home", "phone (•••) •••-•••• at home"),
    ("nothing private here", "nothing private here"),
    ("", ""),
])
def test_mask_text_keeps_the_length_and_the_shape(text: str, expected: str) -> None:
    assert atrest.mask_text(text) == expected
    assert len(atrest.mask_text(text)) == len(text)


def test_nothing_clear_in_database_responses_console_or_logs(site: HostServer, db_url: str,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    engine = make_engine(site, db_url)
    users.create_user(engine.db, "mod", "moderator", PASSWORD)
    moderator = {"Authorization": f"Bearer {create_key(engine.db, 'moderator')[1]}"}
    submitter = {"Authorization": f"Bearer {create_key(engine.db, 'submitter')[1]}"}
    seen: dict[str, str] = {}
    with TestClient(create_app(engine), raise_server_exceptions=False, base_url="http://127.0.0.1") as client:
        body = post(site).model_dump(mode="json")
        seen["POST /v1/check"] = client.post("/v1/check", json=body, headers=submitter).text
        created = client.post("/v1/posts", json=body, headers=submitter)
        assert created.status_code == 201 and created.json()["verdict"] == "remove"
        seen["POST /v1/posts"] = created.text
        seen["POST /v1/posts again"] = client.post("/v1/posts", json=body, headers=submitter).text
        seen["GET /v1/posts"] = client.get("/v1/posts/p-doxx", headers=moderator).text
        with engine.db.session() as s:
            case = s.scalars(select(CaseRow.id).where(CaseRow.post_id == "p-doxx")).one()
        seen["GET /v1/cases"] = client.get("/v1/cases", headers=moderator).text
        seen["GET /v1/cases/id"] = client.get(f"/v1/cases/{case}", headers=moderator).text
        csrf = log_in(client)
        page = client.get(f"/console/cases/{case}").text
        seen["console case"] = page
        assert "Matched passages" in page and "reveal STREET_ADDRESS" in page
        ref = re.search(r'name="ref" value="([0-9.]+)"><button type="submit" aria-label="Reveal US_SSN', page)
        assert ref
        revealed = client.post(f"/console/cases/{case}/reveal", data={"ref": ref.group(1), "csrf": csrf})
        assert revealed.status_code == 200 and SSN in revealed.text  # the reveal, and only it, shows it
        assert leaks(revealed.text.replace(SSN, "")) == []
        seen["console case after a reveal"] = client.get(f"/console/cases/{case}").text
    assert engine.redecide("p-doxx").verdict is Verdict.REMOVE
    seen["database"] = dump_database(engine)
    seen["logs"] = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert {where: leaks(text) for where, text in seen.items() if leaks(text)} == {}
    assert "sealed" not in seen["GET /v1/posts"] and "sealed" not in seen["GET /v1/cases/id"]
    with engine.db.session() as s:
        [event] = audit_log.events(s, kind="pii.revealed")
        assert event.actor == "user:mod" and audit_log.payload_of(event)["label"] == "US_SSN"


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


def test_the_clear_text_is_sealed_and_only_the_key_opens_it(site: HostServer, db_url: str,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    engine = make_engine(site, db_url)
    engine.ingest(post(site))
    with engine.db.session() as s:
        stored = s.get_one(PostRow, "p-doxx").decision
    sealed = [h["sealed"] for c in stored["chains"] for h in c["hops"] if h.get("sealed")]
    assert len(sealed) == 1 and leaks(sealed[0]) == []
    decision = Decision.model_validate(stored)
    assert any(LINES in h.text for c in atrest.clear_chains(decision) for h in c.hops)
    hits = site.hits["/p/harper"]
    assert engine.redecide("p-doxx").verdict is Verdict.REMOVE  # decided again on the clear text, no fetch
    assert site.hits["/p/harper"] == hits
    monkeypatch.setenv(atrest.KEY_ENV, Fernet.generate_key().decode())  # another deployment's key
    with pytest.raises(atrest.SealedUnreadable, match="cannot be decrypted"):
        atrest.clear_chains(decision)
    again = engine.redecide("p-doxx")  # without the key, the links are followed again
    assert again.verdict is Verdict.REMOVE and "following its links again" in caplog.text


def test_a_decision_stored_before_masking_is_masked_when_read(site: HostServer, db_url: str) -> None:
    engine = make_engine(site, db_url)
    clear = Decision(post_id="old", author="troll", verdict=Verdict.REMOVE, policy="strict", policy_version="1",
                     chains=[LinkChain(url="https://old.example/", hops=[
                         Hop(url="https://old.example/", canonical="https://old.example/", text=LINES)])])
    with engine.db.session() as s:
        s.add(PostRow(id="old", author="troll", surface="post", text="x", body={}, verdict="remove",
                      policy="strict", policy_version="1", decision=clear.model_dump(mode="json"), partial=False,
                      ingested_at=clear.decided_at, decided_at=clear.decided_at))
    key = {"Authorization": f"Bearer {create_key(engine.db, 'moderator')[1]}"}
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        got = client.get("/v1/posts/old", headers=key)
    assert got.status_code == 200 and got.json()["decision"]["masked"] is True
    assert leaks(got.text) == [] and "Harper" in got.text


@pytest.mark.parametrize("command", ["check", "scan"])
def test_cli_check_and_scan_print_masked_decisions(site: HostServer, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    monkeypatch.setenv("LEAKWARDEN_FOLLOW_LINKS", "1")
    monkeypatch.setenv("LEAKWARDEN_FETCH_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("LEAKWARDEN_FETCH_PORTS", str(site.port))
    monkeypatch.setenv("LEAKWARDEN_EMBEDDER", "none")
    db = str(tmp_path / "lw.db")
    source = tmp_path / "posts.jsonl"
    source.write_text(post(site).model_dump_json() + "\n")
    out = tmp_path / "out.ndjson"
    args = ["check", str(source)] if command == "check" else ["scan", str(source), "--ingest", "-o", str(out)]
    try:
        main([*args, "--db", db, "--create"])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    printed = capsys.readouterr()
    assert code == 0, printed.err
    text = printed.out + printed.err + (out.read_text() if command == "scan" else "")
    assert "remove" in text and leaks(text) == []


@pytest.mark.parametrize(("env", "message"), [
    ({atrest.KEY_ENV: "not-a-fernet-key"}, "is not a Fernet key"),
    ({atrest.KEY_FILE_ENV: "/proc/no-such-dir/reveal.key"}, "cannot create the reveal key"),
])
def test_a_missing_or_bad_key_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str], env: dict[str, str],
                                               message: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(atrest.RevealKeyUnavailable, match=message):
        atrest.check_key()
    (tmp_path / "post.json").write_text(json.dumps({"id": "p", "author": "a", "text": "hi"}))
    with pytest.raises(SystemExit) as exited:
        main(["check", str(tmp_path / "post.json"), "--db", str(tmp_path / "lw.db"), "--create"])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and len(err.strip().splitlines()) == 1 and message in err


def test_the_key_file_is_made_once_with_mode_0600(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "keys" / "reveal.key"
    monkeypatch.setenv(atrest.KEY_FILE_ENV, str(path))
    atrest.check_key()
    first = path.read_bytes()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and Fernet(first.strip())
    atrest.forget_cached_keys()
    atrest.check_key()
    assert path.read_bytes() == first


def _run(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.mark.parametrize("command", ["expand", "bank match"])
def test_expand_and_bank_match_show_pages_and_passages_masked(site: HostServer, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    """What is not a decision is masked too: a followed page's text, a bank match's passages."""
    monkeypatch.setenv("LEAKWARDEN_FETCH_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("LEAKWARDEN_FETCH_PORTS", str(site.port))
    monkeypatch.setenv("LEAKWARDEN_EMBEDDER", "none")
    db = str(tmp_path / "lw.db")
    if command == "expand":
        args = ["expand", site.url("/p/harper"), "--json"]
    else:
        item = tmp_path / "harper.txt"
        item.write_text(LINES)
        for setup in (["bank", "create", "leaks", "--label", "hack-and-leak"], ["bank", "add", "leaks", str(item)]):
            assert _run([*setup, "--db", db, "--create"]) == 0
        args = ["bank", "match", str(item), "--db", db]
    capsys.readouterr()
    code = _run(args)
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "Harper" in printed.out and leaks(printed.out) == [], printed.out


def test_the_bank_match_route_masks_its_passages(db_url: str) -> None:
    engine = Engine(db_url, detectors=[])
    from leakwarden.signals.bank.repository import Banks

    banks = Banks(engine.db, embed=False)
    banks.create("leaks", "hack-and-leak")
    banks.add_text("leaks", LINES, item_id="harper")
    key = {"Authorization": f"Bearer {create_key(engine.db, 'submitter')[1]}"}
    with TestClient(create_app(engine)) as client:
        body = client.post("/v1/banks/match", json={"text": LINES}, headers=key)
    assert body.status_code == 200 and body.json()["matches"][0]["method"] == "exact"
    assert leaks(body.text) == []
