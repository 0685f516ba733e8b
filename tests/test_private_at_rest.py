"""Private values at rest (issue 10, item 1): a post linking to a doxxing page stores, returns and
prints the page's SSN, home address, birth date and phone only masked; the clear text is kept
encrypted with a key outside the database and shown only by the audited reveal."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from e2e.doxxing import (
    LINES,
    PHONE,
    SSN,
    doxx,
    doxx_site,
    everything_shown,
    leaks,
    make_engine,
)
from fastapi.testclient import TestClient
from fixtures.links.hostserver import HostServer

from leakwarden.audit import log as audit_log
from leakwarden.cli import main
from leakwarden.engine import Engine
from leakwarden.model import Decision, Hop, LinkChain, Post, Verdict
from leakwarden.service.app import create_app
from leakwarden.service.auth import create_key
from leakwarden.signals.pii import atrest
from leakwarden.store.tables import PostRow

pytestmark = pytest.mark.usefixtures("cheap_argon2")
# the fixture (tests/e2e/doxxing.py): CLEAR's four values, in a linked page (LINES) and in doxx()'s own text


@pytest.fixture
def site() -> Iterator[HostServer]:
    srv = doxx_site()
    yield srv
    srv.close()


def post(site: HostServer, pid: str = "p-doxx") -> Post:
    return Post(id=pid, author="troll", text=f"look where he lives {site.url('/p/harper')}")


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


def test_sealing_leaves_the_clear_decision_as_it_was(site: HostServer, db_url: str) -> None:
    """seal copies only what it masks (hops with a text, evidence); what it shares stays unchanged."""
    many = Post(id="p-many", author="troll", text=post(site).text + " " + " ".join(
        f"https://site{i}.example/a" for i in range(50)))
    clear = make_engine(site, db_url)._check(many)
    before = clear.model_dump_json()
    sealed = atrest.seal(clear, keep=True)
    assert clear.model_dump_json() == before and leaks(before)
    assert leaks(sealed.model_dump_json()) == [] and len(sealed.chains) == 51
    assert any(h.sealed for c in sealed.chains for h in c.hops)
    assert not any(h.sealed for c in clear.chains for h in c.hops)


@pytest.mark.parametrize(("text", "expected"), [
    (f"SSN: {SSN}", "SSN: •••-••-••••"),
    (f"phone {PHONE} at home", "phone (•••) •••-•••• at home"),
    ("nothing private here", "nothing private here"),
    ("", ""),
])
def test_mask_text_keeps_the_length_and_the_shape(text: str, expected: str) -> None:
    assert atrest.mask_text(text) == expected
    assert len(atrest.mask_text(text)) == len(text)


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


# Issue 10, item 1, all together: a doxxing post whose own text and whose linked page both hold an
# SSN, a home address, a birth date and a phone number. No clear value appears anywhere: the
# database, the API, the CLI's output, the logs, the console's HTML; the audited reveal is the only
# way to see one.
def test_no_clear_value_anywhere(site: HostServer, tmp_path: Path) -> None:
    seen = everything_shown(site, tmp_path)
    engine = seen.pop("engine")
    revealed = seen.pop("reveal")
    assert SSN in revealed  # the reveal, and only it, shows it
    assert seen.pop("redecided verdict") == "remove"  # the clear texts are still there for deciding again
    assert len(seen) == 17 and "She lives at" in seen["database"] and "Harper" in seen["database"]
    assert {where: leaks(text) for where, text in seen.items() if leaks(text)} == {}
    assert "sealed" not in seen["GET /v1/posts/id"] and "sealed" not in seen["GET /v1/cases/id"]
    case_page = next(text for where, text in seen.items() if where.startswith("console /console/cases/"))
    assert "Matched passages" in case_page and "reveal STREET_ADDRESS" in case_page
    with engine.db.session() as s:
        [event] = audit_log.events(s, kind="pii.revealed")
        assert event.actor == "user:mod" and SSN not in json.dumps(audit_log.payload_of(event))


def test_the_posts_own_text_is_stored_masked_and_sealed(site: HostServer, db_url: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(site, db_url)
    first = engine.ingest(doxx(site))
    with engine.db.session() as s:
        row = s.get_one(PostRow, "p-own")
        text, body = row.text, dict(row.body)
    assert leaks(text) == [] and text == body["text"] and len(text) == len(doxx(site).text)
    assert "She lives at" in text and body["sealed"] and leaks(body["sealed"]) == []
    assert atrest.clear_body(body) == doxx(site).model_dump(mode="json")  # the attached files' bytes too
    assert [a["content_b64"] for a in body["attachments"]] == [None, None]  # sealed only
    assert "sealed" not in atrest.shown_body(body)
    assert engine.ingest(doxx(site)) == first  # the same post again: recognized through the sealed body
    with pytest.raises(Exception, match="different content"):
        engine.ingest(doxx(site).model_copy(update={"text": doxx(site).text + " more"}))
    monkeypatch.setenv(atrest.KEY_ENV, Fernet.generate_key().decode())  # another deployment's key
    assert engine.redecide("p-own").verdict is Verdict.REMOVE  # decided on the masked text and the page
