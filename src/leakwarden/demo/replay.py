"""Play the story on two platforms (strict and share-block) and print what each decided."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from rich.console import Console
from rich.table import Table

from leakwarden.audit import log as audit_log
from leakwarden.audit import requests as outside
from leakwarden.demo.pdf import text_pdf
from leakwarden.demo.story import DOSSIER, DOSSIER_LINES, PAGES, Step, steps
from leakwarden.enforcement.actions import reinstate
from leakwarden.enforcement.standing import standing_of
from leakwarden.engine import Engine
from leakwarden.links.addresses import static_resolver
from leakwarden.links.chain import ChainExpander
from leakwarden.links.fetch import FetchSettings
from leakwarden.model import Post
from leakwarden.store.db import Database
from leakwarden.store.tables import Account

HOSTS = ("newsletter.example", "files.example", "sho.rt")
PLATFORMS = {"A": "strict", "B": "share-block"}


def _handler(port: int) -> type[BaseHTTPRequestHandler]:
    pdf = text_pdf(*DOSSIER_LINES)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            host = (self.headers.get("Host") or "").split(":")[0]
            if host == "sho.rt":
                self.send_response(301)
                self.send_header("Location", f"http://newsletter.example:{port}/p/harper-files")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif host == "files.example" and self.path == "/harper-dossier.pdf":
                self._send(200, "application/pdf", pdf)
            elif host == "newsletter.example" and self.path.split("?")[0] in PAGES:
                page = PAGES[self.path.split("?")[0]].replace("{port}", str(port))
                self._send(200, "text/html; charset=utf-8", page.encode())
            else:
                self._send(404, "text/plain", b"not found")

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def local_web() -> Iterator[int]:
    """The newsletter, the file host and a link shortener on 127.0.0.1; yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = int(server.server_address[1])
    server.RequestHandlerClass = _handler(port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()


def demo_expander(port: int) -> ChainExpander:
    """Follows links to the demo's own server only: its names pinned to 127.0.0.1, fetching from
    127.0.0.1 opted into explicitly here (never in default configuration)."""
    settings = FetchSettings(ports=(80, 443, port), allow_hosts="127.0.0.1",
                             resolver=static_resolver({h: ["127.0.0.1"] for h in HOSTS}))
    return ChainExpander(settings)


@dataclass
class Row:
    step: Step
    verdicts: dict[str, str]
    clauses: dict[str, str]


def _bank(engine: Engine) -> str:
    from leakwarden.signals.bank.repository import Banks

    banks = Banks(engine.db)
    banks.create("harper-leak", "hack-and-leak, state-backed", "Files stolen from the Harper campaign")
    banks.add_text("harper-leak", DOSSIER, item_id="harper-dossier", title="Harper opposition research file")
    return "bank 'harper-leak' holds the dossier (added by a moderator)"


def replay(out: Path, console: Console | None = None) -> list[Row]:
    console = console or Console()
    out.parent.mkdir(parents=True, exist_ok=True)
    paths = {"A": out, "B": out.with_name(out.stem + "-share-block" + out.suffix)}
    for path in paths.values():
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    rows: list[Row] = []
    with local_web() as port:
        engines = {p: Engine(Database(str(paths[p])), policy=PLATFORMS[p], expander=demo_expander(port))
                   for p in PLATFORMS}
        for engine in engines.values():
            note = _bank(engine)
        console.print(f"[dim]{note}; the newsletter is served on 127.0.0.1:{port}[/dim]")
        for step in steps(port):
            row = Row(step, {}, {})
            for platform, engine in engines.items():
                verdict, clauses = _play(engine, step)
                row.verdicts[platform], row.clauses[platform] = verdict, clauses
            rows.append(row)
    _print(console, rows, engines, paths)
    return rows


def _play(engine: Engine, step: Step) -> tuple[str, str]:
    if step.kind == "post":
        decision = engine.ingest(Post.model_validate(step.post), actor="demo")
        clauses = sorted({r.clause for r in decision.reasons})
        return decision.verdict.value, ", ".join(clauses)
    if step.kind == "rule":
        a = step.args
        rule = engine.rules.add(str(a["kind"]), str(a["value"]), str(a["action"]), str(a["reason"]),
                                "moderator:alice", source=bool(a["source"]))
        return f"rule {rule['id']}", f"{rule['kind']} {rule['pattern']}"
    if step.kind == "retro":
        redecided = list(engine.retro_rules())
        return f"{len(redecided)} re-decided", ", ".join(d.post_id for d in redecided)
    if step.kind == "request":
        a = step.args
        request = outside.OutsideRequest(kind=str(a["kind"]), requester=str(a["requester"]), asked=str(a["asked"]),
                                         outcome=str(a["outcome"]), done=str(a["done"]),
                                         concerns=outside.Concerns.model_validate(a.get("concerns", {})))
        made = outside.record(engine.db, request, "moderator:alice")
        return f"request {made['id']}", str(a["outcome"])
    if step.kind == "reinstate":
        with engine.db.session() as s:
            lifted = reinstate(s, str(step.args["account"]), "moderator:bob", str(step.args["note"]))
        return "reinstated", f"{lifted} sanction(s) lifted"
    raise ValueError(step.kind)


def command_name(argv0: str | None = None) -> str:
    """The command as the user ran it: ``.venv/bin/leakwarden`` after ``make demo``, ``leakwarden``
    when that is what is on the PATH (so the hints printed can be pasted as they are)."""
    import shutil
    import sys

    ran = Path(argv0 if argv0 is not None else sys.argv[0])
    if ran.name != "leakwarden":
        return "leakwarden"
    on_path = shutil.which("leakwarden")
    if on_path and Path(on_path).resolve() == ran.resolve():
        return "leakwarden"
    try:
        return str(ran.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(ran)


def decisions_table(rows: list[Row]) -> Table:
    """Cells wrap (``fold``) rather than end in "…", whatever the width (80 columns when piped)."""
    table = Table(title="What each platform decided", show_lines=False)
    table.add_column("step", overflow="fold")
    table.add_column("post", overflow="fold")
    for platform, policy in PLATFORMS.items():
        table.add_column(f"{platform}: {policy}", overflow="fold")
        table.add_column("why", overflow="fold")
    for row in rows:
        table.add_row(row.step.note, str(row.step.post.get("id", "")),
                      *[x for p in PLATFORMS for x in (row.verdicts[p], row.clauses[p])])
    return table


def _print(console: Console, rows: list[Row], engines: dict[str, Engine], paths: dict[str, Path]) -> None:
    console.print(decisions_table(rows))
    standing = Table(title="Account standing at the end")
    standing.add_column("account", overflow="fold")
    for platform, policy in PLATFORMS.items():
        standing.add_column(f"{platform}: {policy}", overflow="fold")
    with engines["A"].db.session() as a, engines["B"].db.session() as b:
        accounts = sorted({x for x in a.scalars(Account.__table__.select().with_only_columns(Account.id))})
        for account in accounts:
            cells = []
            for s in (a, b):
                st = standing_of(s, account)
                until = f" until {st.until:%Y-%m-%d %H:%M}" if st.until else ""
                cells.append(f"{st.state.value}{until} ({st.active_strikes} strikes)")
            standing.add_row(account, *cells)
        checks = [audit_log.verify(s) for s in (a, b)]
    console.print(standing)
    for platform, result in zip(PLATFORMS, checks, strict=True):
        console.print(f"platform {platform}: audit log {'intact' if result.ok else 'BROKEN'}, "
                      f"{result.checked} events; database {paths[platform]}")
    lw = command_name()
    console.print(f"Next: {lw} keys create --role admin --db {paths['A']}; {lw} serve --db {paths['A']}",
                  soft_wrap=True)
