"""Issue 10 (hardening), before and after: each attack the issue describes, run again on this code.

    .venv/bin/python bench/bench_hardening.py [--only AREA]

Every row prints the figure the issue reported ("issue (before)") beside the figure measured now, in
this run. It reuses the tests' fixtures (tests/e2e, tests/fixtures): the doxxing post and page, the
casework engine, the public-versus-private rows, a tiny OIDC provider. It runs in a few minutes on
2 cores; timings (the budget, the upload's memory) are printed with their reference from the same
run (the budget; the server's memory before the upload).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "src")]
WORK = Path(tempfile.mkdtemp(prefix="bench-hardening-"))
os.environ.setdefault("LEAKWARDEN_PII_HASH_KEY_FILE", str(WORK / "pii-hash.key"))
os.environ.setdefault("LEAKWARDEN_REVEAL_KEY_FILE", str(WORK / "reveal.key"))
os.environ.setdefault("LEAKWARDEN_EMBEDDER", "none")
os.environ["LEAKWARDEN_FOLLOW_LINKS"] = "0"

from argon2 import PasswordHasher  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from leakwarden.service.console import users  # noqa: E402

users.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))  # as the tests do

Row = tuple[str, str, str]  # what, issue (before), now
AREAS: dict[str, Callable[[], list[Row]]] = {}


def area(name: str) -> Callable[[Callable[[], list[Row]]], Callable[[], list[Row]]]:
    def register(fn: Callable[[], list[Row]]) -> Callable[[], list[Row]]:
        AREAS[name] = fn
        return fn

    return register


def cli(*args: str) -> tuple[int, str]:
    from e2e.doxxing import cli as run

    return run(list(args))


def first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return f"{len(lines)} line(s): {lines[0][:70]!r}" if lines else "no output"


def fresh_db(name: str) -> str:
    from leakwarden.engine import Engine

    path = str(WORK / f"{name}.db")
    Engine(path, detectors=[], create=True).db.dispose()
    return path


def keyed_client(engine: Any, role: str = "admin") -> tuple[TestClient, dict[str, str]]:
    from leakwarden.service.app import create_app
    from leakwarden.service.auth import create_key

    client = TestClient(create_app(engine), raise_server_exceptions=False, base_url="http://127.0.0.1")
    return client, {"Authorization": f"Bearer {create_key(engine.db, role)[1]}"}


# -- private information leaks past the masking ----------------------------------------------------
@area("private")
def private_values() -> list[Row]:
    from e2e.doxxing import CLEAR, doxx_site, everything_shown, leaks

    site = doxx_site()
    try:
        seen = everything_shown(site, WORK)
    finally:
        site.close()
    engine = seen.pop("engine")
    revealed = seen.pop("reveal", "")
    seen.pop("redecided verdict")
    leaky = {where: leaks(text) for where, text in seen.items() if leaks(text)}
    count = sum(text.count(value) for text in seen.values() for value in CLEAR.values())
    rows = [("places showing a clear value of the doxxing fixture (DB, API, CLI, logs, console)",
             "6 of 6 tried (posts.decision, check, scan -o, GET posts, GET cases, console)",
             f"{len(leaky)} of {len(seen)}; {count} occurrences"),
            ("the audited reveal shows the value", "n/a (everything was clear)",
             "yes" if CLEAR["ssn"] in revealed else "no")]

    # an attacker with the database tries the unkeyed SHA-256 of SSN candidates, the true ones included
    stored = {v for v in _values_under(seen["database"], "sha256")}
    candidates = [f"{random.randrange(1, 899):03d}-{random.randrange(1, 99):02d}-{random.randrange(1, 9999):04d}"
                  for _ in range(200_000)] + [CLEAR["ssn"]]
    control = {hashlib.sha256(CLEAR["ssn"].replace("-", "").encode()).hexdigest()}  # what an unkeyed store held

    def reverse(hashes: set[str]) -> set[str]:
        return {c for c in candidates for form in (c, c.replace("-", ""))
                if hashlib.sha256(form.encode()).hexdigest() in hashes}

    started = time.perf_counter()
    reversed_ = reverse(stored)
    took = time.perf_counter() - started
    rows.append(("stored SSN/phone/birth hashes reversed by unkeyed SHA-256 over 200,001 candidates (the true SSN "
                 "among them)", "6 of 6 in 0.6 s", f"{len(reversed_)} of {len(stored)} in {took:.1f} s; the same "
                                                    f"attack on an unkeyed hash: {len(reverse(control))} of 1"))
    engine.db.dispose()

    from leakwarden.signals.pii.find import find_pii

    year = [f for f in find_pii("SSN on file, from a 2019 loan application") if f.label.startswith("US_SSN")]
    rows.append(("'2019' in 'SSN on file, from a 2019 loan application' masked as an SSN", "1 (US_SSN_PARTIAL)",
                 str(len(year))))
    return rows


def _values_under(text: str, key: str) -> Iterator[str]:
    """Every 64-hex value stored under ``key`` in the dumped database."""
    import re

    yield from re.findall(rf"'{key}': '([0-9a-f]{{64}})'", text)
    yield from re.findall(rf'"{key}": "([0-9a-f]{{64}})"', text)


# -- public is not private -----------------------------------------------------------------------------
@area("public")
def public_not_private() -> list[Row]:
    from test_pii_public import ROWS, SPANS

    from leakwarden.signals.pii.find import find_pii

    def flagged(text: str, label: str) -> bool:
        return any(f.label == label and not f.public and not f.sample for f in find_pii(text))

    places = [(t, label) for t, label, _, public in ROWS if public and label == "STREET_ADDRESS"]
    contacts = [(t, label) for t, label, _, public in ROWS if public and label != "STREET_ADDRESS"]
    private = [(t, label) for t, label, _, public in ROWS if not public]
    card = [f for f in find_pii("Card on file: **** **** **** 4821") if f.label == "CREDIT_CARD" and not f.masked]
    broken = [text for text, expected in SPANS if [(f.label, f.text) for f in find_pii(text)] != expected]
    return [
        ("public places flagged as private addresses", "all tried (White House, city hall, embassies, a clinic)",
         f"{sum(flagged(t, lab) for t, lab in places)} of {len(places)}"),
        ("public contact points flagged as private", "all tried (campaign phone, toll-free, press, media)",
         f"{sum(flagged(t, lab) for t, lab in contacts)} of {len(contacts)}"),
        ("private values of the same kinds still found", "n/a", f"{sum(flagged(t, lab) for t, lab in private)} of "
                                                               f"{len(private)}"),
        ("'**** **** **** 4821' flagged as a card number", "1", str(len(card))),
        ("address spans broken (Egyptian, Emirati, line break into an ID, Saudi in English)",
         "every one tried", f"{len(broken)} of {len(SPANS)}"),
    ]


# -- data is never lost, failures are never silent ---------------------------------------------------
@area("data")
def data_never_lost() -> list[Row]:
    rows = [_concurrent_scans()]
    db = fresh_db("data")
    lines = [json.dumps({"id": f"b{i}", "author": "a", "text": "hello"}).encode() for i in range(6)]
    bad = WORK / "bad-line.jsonl"
    bad.write_bytes(b"\n".join([*lines[:3], b"\xff\xfe not utf-8", *lines[3:]]) + b"\n")
    out = WORK / "bad-line.out"
    code, _ = cli("scan", str(bad), "-o", str(out), "--db", db)
    decided = sum(1 for line in out.read_text().splitlines() if '"verdict"' in line)
    rows.append(("scan with one non-UTF-8 line among 6 posts: posts decided, exit code",
                 "3 of 6, rc 2 (stopped at the line)", f"{decided} of 6, rc {code}"))

    post = WORK / "post.json"
    post.write_text(json.dumps({"id": "p", "author": "a", "text": "hi"}))
    typo = WORK / "dmeo.db"
    code, said = cli("check", str(post), "--db", str(typo))
    rows.append(("check --db var/dmeo.db (mistyped)", "rc 0, 'allow', an empty database made",
                 f"rc {code}, database made: {typo.exists()}, {first_line(said)}"))
    code, said = cli("check", str(post), "--db", "/nonexistent/dir/x.db")
    rows.append(("check --db /nonexistent/dir/x.db", "directories and database made",
                 f"rc {code}, made: {Path('/nonexistent/dir').exists()}"))

    policy = WORK / "typo.toml"
    strict = (ROOT / "src" / "leakwarden" / "policy" / "presets" / "strict.toml").read_text()
    policy.write_text(strict.replace("dossier = true", "dosier = true", 1))  # the preset, one typo
    code, said = cli("policy", "validate", str(policy))
    rows.append(("policy validate with attrs = { dosier = true }", "'ok', rc 0", f"rc {code}, {first_line(said)}"))
    for args, before in ((["expand", "not a url"], "rc 0"), (["expand", "ftp://files.example/x"], "rc 0"),
                         (["rules", "add", "--url", "not a url", "--action", "block", "--reason", "x", "--db", db],
                          "rc 0, stored http://not%20a%20url/")):
        code, said = cli(*args)
        rows.append((" ".join(args[:5]) if args[0] == "rules" else " ".join(args), before,
                     f"rc {code}, {first_line(said)}"))
    rows.append(_postgres_without_the_extra(post))
    deep_json = WORK / "deep.json"
    deep_json.write_text("[" * 100_000 + "]" * 100_000)
    deep_yaml = WORK / "deep.yaml"
    deep_yaml.write_text("a: " + "[" * 20_000 + "]" * 20_000 + "\n")
    for label, args in (("check on 100k-deep JSON", ["check", str(deep_json), "--db", db]),
                        ("bank import of 100k-deep JSON", ["bank", "import", str(deep_json), "--db", db]),
                        ("policy validate on 20k-deep YAML", ["policy", "validate", str(deep_yaml)])):
        code, said = cli(*args)
        rows.append((label, "rc 1, RecursionError", f"rc {code}, {first_line(said)}"))
    return rows


def _concurrent_scans() -> Row:
    """Two ``scan --ingest`` processes on files sharing half their post ids, at once."""
    db = fresh_db("concurrent")
    a, b = WORK / "scan-a.jsonl", WORK / "scan-b.jsonl"
    ids_a, ids_b = range(0, 200), range(100, 300)
    for path, ids in ((a, ids_a), (b, ids_b)):
        path.write_text("".join(json.dumps({"id": f"s{i}", "author": f"u{i % 7}", "text": f"post {i}"}) + "\n"
                                for i in ids))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    procs = [subprocess.Popen([sys.executable, "-m", "leakwarden", "scan", str(p), "--ingest", "--db", db],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=WORK)
             for p in (a, b)]
    codes = [p.wait(timeout=600) for p in procs]
    from leakwarden.engine import Engine

    engine = Engine(db, detectors=[], create=False)
    stored = len(engine.stored_posts())
    engine.db.dispose()
    return ("two scan --ingest processes sharing 100 of 300 post ids: posts stored, exit codes",
            "both stopped ('ingested concurrently'), the rest lost", f"{stored} of 300, rc {codes}")


def _postgres_without_the_extra(post: Path) -> Row:
    code = ("import sys; sys.modules['psycopg'] = None; sys.modules['psycopg2'] = None\n"
            "from leakwarden.cli import main\n"
            f"main(['check', {str(post)!r}, '--db', 'postgresql://127.0.0.1:1/none'])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    return ("--db postgresql://… without the postgres extra", "'unexpected ModuleNotFoundError (see the logs)'",
            f"rc {done.returncode}, {first_line(done.stderr)}")


# -- server errors on bad input, uploads, budgets -------------------------------------------------------
@area("api")
def api_errors() -> list[Row]:
    from e2e.casework import casework_engine, seed

    engine = casework_engine(f"sqlite:///{WORK / 'api.db'}")
    seed(engine)
    client, key = keyed_client(engine)
    huge = "99999999999999999999"
    with client:
        statuses = [client.get(f"/v1/cases/{huge}", headers=key).status_code,
                    client.delete(f"/v1/rules/{huge}", headers=key).status_code,
                    client.post(f"/v1/cases/{huge}/confirm", json={}, headers=key).status_code]
        report = client.get("/v1/report?start=0001-01-01&end=9999-12-31", headers=key).status_code
        client.post("/v1/banks", json={"name": "leaks", "label": "hack-and-leak"}, headers=key)
        items = [client.post("/v1/banks/leaks/items", json={"url": url}, headers=key).status_code
                 for url in ("0", "http://10.0.0.1/x")]
        expand = client.post("/v1/expand", json={"url": "not a url"}, headers=key).status_code
        nul = [client.post("/v1/posts", json={"id": "a\u0000b", "author": "x", "text": "t"}, headers=key).status_code,
               client.post("/v1/posts", json={"id": "ab", "author": "x\u0000", "text": "t"}, headers=key).status_code]
    return [
        ("huge ids: GET /v1/cases, DELETE /v1/rules, POST /v1/cases/…/confirm", "500, 500, 500",
         ", ".join(map(str, statuses))),
        ("GET /v1/report?start=0001-01-01&end=9999-12-31", "500 (OverflowError), connection dropped", str(report)),
        ("POST /v1/banks/{bank}/items with url '0', a private address", "502, 502", ", ".join(map(str, items))),
        ("POST /v1/expand with 'not a url'", "200 with the error inside", str(expand)),
        ("NUL byte in a post id, an author", "accepted, accepted", ", ".join(map(str, nul))),
        _schemathesis(),
        _chunked_upload(),
    ]


@area("budget")
def budget() -> list[Row]:
    return [_budget()]


def _schemathesis() -> Row:
    """tests/test_api_schema.py: every operation of /openapi.json, 10 derandomized examples each."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                           str(ROOT / "tests" / "test_api_schema.py")], capture_output=True, text=True, timeout=900,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    failed = [line for line in done.stdout.splitlines() if " -> 5" in line or line.startswith("E  ")]
    return ("schemathesis against /openapi.json (tests/test_api_schema.py): server errors, errors without a code, "
            "undocumented statuses",
            "107 unique failures (89 undocumented codes)",
            f"{len(failed)} problem lines; pytest rc {done.returncode} ({done.stdout.strip().splitlines()[-1]})")


def _budget() -> Row:
    from fixtures.links.hostserver import HostServer

    from leakwarden.engine import Engine
    from leakwarden.links.chain import ChainExpander
    from leakwarden.links.fetch import FetchSettings
    from leakwarden.signals.pii.detector import PiiDetector

    site = HostServer()

    def slow(h: Any) -> None:
        time.sleep(2.0)
        h.send(200, b"<html><body><p>a slow page</p></body></html>")

    site.prefixes["/p/"] = slow
    expander = ChainExpander(FetchSettings(allow_hosts="127.0.0.1", ports=(site.port,), total_timeout=10.0))
    engine = Engine(str(WORK / "budget.db"), policy="strict", detectors=[PiiDetector()], expander=expander)
    text = " ".join([site.url(f"/p/{i}") for i in range(100)] + [f"https://site{i}.example/a/{i}" for i in range(4900)])
    client, key = keyed_client(engine, "submitter")
    with client:
        started, cpu = time.perf_counter(), time.process_time()
        got = client.post("/v1/check?budget=3", json={"id": "p", "author": "a", "text": text}, headers=key)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
    site.close()
    body = got.json()
    return ("POST /v1/check?budget=3, a post with 5,000 URLs: wall time (budget 3 s), answer",
            "12.2 s", f"{took:.1f} s = {took / 3:.2f}x the budget (CPU {cpu:.1f} s, load {os.getloadavg()[0]:.0f}); "
                      f"{got.status_code}, partial={body.get('partial')}, {len(body.get('unfetched', []))} "
                      "unfetched listed")


def _rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _chunked_upload() -> Row:
    """300 MB chunked, no Content-Length, to a real ``serve`` process: its peak RSS before and after."""
    import socket

    db = fresh_db("upload")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen([sys.executable, "-m", "leakwarden", "serve", "--db", db, "--port", "0", "--no-follow"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split("http://127.0.0.1:")[1].split()[0].rstrip(")"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.2)
        time.sleep(1.0)
        before = _rss_kb(server.pid, "VmHWM")
        chunk = b"x" * 65536
        frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
        status, sent = b"", 0
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer none\r\n"
                         b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            with contextlib.suppress(OSError):
                while sent < 300 * 1024 * 1024:
                    sock.sendall(frame)
                    sent += len(chunk)
            with contextlib.suppress(OSError):
                status = sock.recv(200).split(b"\r\n", 1)[0]
        after = _rss_kb(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return ("chunked 300 MB upload without Content-Length: server peak RSS before → after",
            "228 → 684 MB, then 413", f"{before / 1024:.0f} → {after / 1024:.0f} MB "
                                      f"({sent / 2**20:.0f} MB sent), {status.decode(errors='replace')}")


# -- reviewer safety and the console ----------------------------------------------------------------------
@area("console")
def console() -> list[Row]:
    import re

    from e2e.casework import casework_engine, seed
    from sqlalchemy import select

    from leakwarden.audit import log as audit_log
    from leakwarden.store.tables import CaseRow, Strike

    engine = casework_engine(f"sqlite:///{WORK / 'console.db'}")
    seed(engine)
    for role in ("submitter", "moderator"):
        users.create_user(engine.db, role, role, "correct horse battery")
    client, key = keyed_client(engine)
    rows: list[Row] = []
    with client:
        codes = [_login(client, "moderator", f"wrong password {i}") for i in range(30)]
        with engine.db.session() as s:
            audited = sum(1 for kind in ("console.login_failed", "console.login_throttled")
                          for _ in audit_log.events(s, kind=kind))
        rows.append(("30 wrong passwords for one account: refused with 429, audited",
                     "0 throttled, 0 audited", f"{codes.count(429)} throttled, {audited} audited"))
        users.throttle.succeeded("moderator")
        users.throttle._failures.clear()
        page = client.get("/console/login")
        wanted = ("content-security-policy", "x-frame-options", "referrer-policy")
        rows.append(("console security headers (CSP, X-Frame-Options, Referrer-Policy)", "0 of 3",
                     f"{sum(h in page.headers for h in wanted)} of 3"))
        _login(client, "submitter", "correct horse battery")
        rows.append(("a submitter-role user opens the queue", "200", str(client.get("/console/queue").status_code)))
        client.cookies.clear()
        assert _login(client, "moderator", "correct horse battery") == 303
        with engine.db.session() as s:
            case = s.scalars(select(CaseRow.id).where(CaseRow.post_id == "p-doxx")).one()
        html = client.get(f"/console/cases/{case}").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', html)
        with engine.db.session() as s:
            linked = s.scalars(select(CaseRow.id).where(CaseRow.post_id == "p-dossier")).one()
        chain_page = client.get(f"/console/cases/{linked}").text  # the post that links to the newsletter
        live = re.findall(r'<a [^>]*href="https?://(?!127\.0\.0\.1/console)[^"]*"', chain_page)
        rows.append(("live links to the leak on the case page (its URLs shown)", "every link in the chain",
                     f"{len(live)} ({chain_page.count('newsletter.example/p/dossier')} times shown, inert)"))
        one_click = client.post(f"/console/cases/{case}/decide", data={"act": "overturn", "csrf": csrf.group(1)
                                                                      if csrf else ""})
        with engine.db.session() as s:
            state = s.get_one(CaseRow, case).state
        rows.append(("one click on Overturn", "removal and strike reversed",
                     f"{one_click.status_code}, asks for a reason and a confirmation; case still {state}"))
        appeals = client.get("/console/appeals?account=troll").text
        rows.append(("the appeal form asks for an internal action number", "yes",
                     "no (a list of the account's actions)" if "<select" in appeals else "yes"))
        for i in range(150):
            with engine.db.session() as s:
                audit_log.append(s, actor="bench", kind="bench.event", subject_type="bench", subject_id=str(i))
        audit = client.get("/console/audit").text
        rows.append(("audit page rows (one 10,000-pixel page before)", "every event on one page",
                     f"{audit.count('<tr') - 1} rows a page, pages linked: {'page=2' in audit}"))
        reinstated = client.post("/v1/accounts/troll/reinstate", json={"note": "bench"}, headers=key).json()["standing"]
        with engine.db.session() as s:
            active = len(list(s.scalars(select(Strike).where(Strike.account == "troll", Strike.removed_at.is_(None)))))
        rows.append(("after a reinstatement", "'good (1 strikes)', the strike active",
                     f"{reinstated.get('state')} ({reinstated.get('active_strikes')} strikes), {active} active"))
        docs = client.get("/docs").text
        spec = client.get("/openapi.json").json()
        operations = [op for path in spec["paths"].values() for op in path.values() if isinstance(op, dict)]
        secured = sum(1 for op in operations if op.get("security"))
        rows.append(("/docs references outside this server", "3 (a CDN)", str(docs.count("https://"))))
        rows.append(("operations with securitySchemes (Authorize works)", "0 of 48", f"{secured} of {len(operations)}"))
        rows.append(("GET /metrics", "404", str(client.get("/metrics").status_code)))
    rows.append(_sso())
    return rows


def _login(client: TestClient, name: str, password: str) -> int:
    import re

    page = client.get("/console/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    form = {"name": name, "password": password, "csrf": csrf.group(1) if csrf else "", "next": "/console/queue"}
    return client.post("/console/login", data=form, follow_redirects=False).status_code


def _sso() -> Row:
    """The console's OIDC sign-on against a tiny provider: one good sign-on, six bad ones."""
    import re

    import httpx
    from e2e.casework import casework_engine
    from e2e.oidc import CLIENT_ID, CLIENT_SECRET, running_provider

    from leakwarden.service.app import create_app
    from leakwarden.service.console.sso import SsoSettings

    secret = WORK / "oidc-secret"
    secret.write_text(CLIENT_SECRET)
    bad = {"wrong audience": {"aud": "other"}, "expired": {"exp": 1_000_000_000, "iat": 999_999_000},
           "bad nonce": {"nonce": "x"}, "bad signature": {}, "unmapped user": {"email": "eve@elsewhere.example"},
           "bad state": {}}
    outcomes: dict[str, int] = {}
    with running_provider() as provider:
        settings = SsoSettings.configure(issuer=provider.issuer, client_id=CLIENT_ID, secret_file=str(secret),
                                         roles=["@example.org=moderator"])
        engine = casework_engine(f"sqlite:///{WORK / 'sso.db'}")
        for case in ["good", *bad]:
            provider.tamper, provider.rogue = bad.get(case, {}), case == "bad signature"
            with TestClient(create_app(engine, sso=settings), base_url="http://127.0.0.1") as client:
                start = client.get("/console/sso/login", follow_redirects=False).headers["location"]
                back = httpx.get(start, follow_redirects=False).headers["location"]
                if case == "bad state":
                    back = re.sub(r"state=[^&]*", "state=forged", back)
                outcomes[case] = client.get(back, follow_redirects=False).status_code
    refused = sum(1 for case in bad if outcomes[case] in (401, 403))
    return ("OIDC single sign-on: a good sign-on; bad ones refused (audience, expiry, nonce, signature, "
            "unmapped, state)", "no single sign-on", f"good: {outcomes['good']}; {refused} of {len(bad)} refused")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=sorted(AREAS), action="append", help="run only these areas (repeatable)")
    args = ap.parse_args()
    print(f"{'what':90} | {'issue (before)':52} | now")
    for name in args.only or list(AREAS):
        print(f"-- {name}")
        started = time.perf_counter()
        for what, before, now in AREAS[name]():
            print(f"{what[:90]:90} | {before[:52]:52} | {now}", flush=True)
        print(f"   ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    threading.excepthook = lambda _: None  # background link fetches outliving the run
    sys.exit(main())
