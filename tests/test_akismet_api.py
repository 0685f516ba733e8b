"""The Akismet protocol: the official ``akismet`` client against leakwarden (through an httpx
transport, since the client hard-codes Akismet's host), and Akismet's error behaviour on raw requests."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import akismet
import httpx
import pytest
from fastapi.testclient import TestClient

from leakwarden.engine import Engine
from leakwarden.service.app import create_app
from leakwarden.service.auth import create_key
from leakwarden.signals.pii.detector import PiiDetector
from leakwarden.signals.spam import SpamDetector
from leakwarden.signals.spam.tables import SpamFeedbackRow
from leakwarden.store.db import Database

BLOG = "https://news.example"
HAM = "The minister's answer in parliament today contradicts what he told this paper last month."
BLATANT = ("Buy Viagra and Cialis online without prescription, cheapest prices, fast delivery "
           "https://rx-pharma-deals.store")
DOXXING = "His address is 1234 Oak Street, Springfield, IL 62704 and his SSN is 536-22-8743. Go visit him."
ARABIC_SPAM = "الشيخ الروحاني أبو علي لجلب الحبيب ورد المطلقة وفك السحر، للتواصل واتساب 00966555123456"
CAMPAIGN = [
    "Honestly the Moringa Calm tea from my aunt's shop helped my sleep more than anything, my whole family drinks it",
    "Honestly, Moringa Calm tea from my aunt's shop helped my sleep more than anything else, the whole family drinks",
    "Moringa Calm tea from my aunt's shop honestly helped my sleep more than anything, my whole family drinks it now",
]

# a loan pitch hidden inside a long on-topic comment (signals/spam/passages.py), written for these tests
HIDDEN_PITCH = " ".join([
    "The council voted to close the library branch on Tuesday after a long debate that ran past midnight.",
    "Several residents spoke against the plan and asked for a delay until the spring budget is known.",
    "The budget gap is real, but the branch is the only one within walking distance for many families on the estate.",
    "Need a personal loan without a guarantor? WhatsApp Mr Karim on +44 7700 900123, approval in one hour.",
    "Nobody on the council explained why the reading room could not share the building with the clinic next door.",
    "My mother has used that library every week for thirty years and she is heartbroken.",
    "I hope the local paper keeps following this story when the contracts are signed and the land is sold.",
])
# hard ham, written for these tests: a report of another comment must leave each where it was
HARD_HAM = [
    HAM,
    "Honestly the council's new bin schedule helped nobody, my whole street still waits two weeks for a pickup",
    "My brother lost his savings to a forex scam last year. Please do not send money to strangers on WhatsApp.",
    "أنا أستخدم واتساب للتواصل مع أهلي في الخارج، وقطع الخدمة أثر علينا كثيراً",
    "شكراً على التقرير، لكن الأرقام التي ذكرتموها عن البطالة غير دقيقة",
]


@dataclass
class Site:
    engine: Engine
    http: TestClient
    keys: dict[str, str]

    def akismet(self, role: str = "submitter", blog: str = BLOG) -> akismet.SyncClient:
        return akismet.SyncClient(config=akismet.Config(key=self.keys[role], url=blog), http_client=self.http)


@pytest.fixture
def site(db_url: str, discarding_spam: Callable[[Database], SpamDetector]) -> Iterator[Site]:
    db = Database(db_url)
    engine = Engine(db, policy="strict", detectors=[PiiDetector(), discarding_spam(db)])
    keys = {role: create_key(db, role)[1] for role in ("submitter", "moderator")}
    # the client asks https://rest.akismet.com/1.1/...: the test client's transport takes it to the app
    with TestClient(create_app(engine), base_url="https://rest.akismet.com", raise_server_exceptions=False) as http:
        yield Site(engine, http, keys)


def test_verify_key(site: Site) -> None:
    assert site.akismet().verify_key() is True
    assert site.akismet().verify_key("lw_not_a_key", BLOG) is False
    assert site.akismet().verify_key(site.keys["submitter"], "not a url") is False
    validated = akismet.SyncClient.validated_client(
        config=akismet.Config(key=site.keys["submitter"], url=BLOG), http_client=site.http)
    assert validated.comment_check("192.0.2.1", comment_content=HAM) == akismet.CheckResponse.HAM


@pytest.mark.parametrize("content,expected", [
    (HAM, akismet.CheckResponse.HAM),
    ("Agreed.", akismet.CheckResponse.HAM),
    (BLATANT, akismet.CheckResponse.DISCARD),
    (ARABIC_SPAM, akismet.CheckResponse.DISCARD),
    (DOXXING, akismet.CheckResponse.SPAM),  # not spam, but the policy removes it: true, never discard
])
def test_comment_check(site: Site, content: str, expected: akismet.CheckResponse) -> None:
    client = site.akismet()
    got = client.comment_check("192.0.2.1", comment_content=content, comment_type="comment",
                               comment_author="Reader", user_agent="Mozilla/5.0", permalink=f"{BLOG}/story")
    assert got == expected


@pytest.mark.parametrize("content,author_url", [
    ("The ministry's own files, posted at https://leaks.example/dump, contradict what the minister said.", ""),
    (HAM, "https://leaks.example/me"),
])
def test_a_link_to_a_blocked_source_is_refused(site: Site, content: str, author_url: str) -> None:
    site.engine.rules.add("domain", "leaks.example", "block", "hosts the stolen files", "mod:test", source=True)
    got = site.akismet().comment_check("192.0.2.1", comment_content=content, comment_author_url=author_url)
    assert got == akismet.CheckResponse.SPAM
    response = site.http.post("/1.1/comment-check", data=_form(site, comment_content=content,
                                                               comment_author_url=author_url))
    assert response.text == "true" and "source-of-hacked-material" in response.headers["X-leakwarden-reasons"]


def test_the_decision_is_recorded_and_its_reason_retrievable(site: Site) -> None:
    response = site.http.post("/1.1/comment-check", data={
        "api_key": site.keys["submitter"], "blog": BLOG, "user_ip": "192.0.2.1", "comment_content": DOXXING})
    assert response.text == "true" and "X-akismet-pro-tip" not in response.headers
    guid = response.headers["X-akismet-guid"]
    assert response.headers["X-leakwarden-verdict"] == "remove"
    assert "dossier" in response.headers["X-leakwarden-reasons"].split(",")
    stored = site.http.get(f"/v1/posts/{guid}", headers={"X-API-Key": site.keys["moderator"]}).json()
    assert stored["post"]["surface"] == "comment" and stored["decision"]["verdict"] == "remove"
    assert {r["clause"] for r in stored["decision"]["reasons"]} >= {"dossier"}
    again = site.http.post("/1.1/comment-check", data={
        "api_key": site.keys["submitter"], "blog": BLOG, "user_ip": "192.0.2.1", "comment_content": DOXXING})
    assert again.headers["X-akismet-guid"] == guid  # the same comment: the stored decision


def test_submit_spam_teaches_a_campaign_at_once(site: Site) -> None:
    client = site.akismet()
    assert client.comment_check("192.0.2.9", comment_content=CAMPAIGN[2]) == akismet.CheckResponse.HAM
    for text in CAMPAIGN[:2]:
        assert client.submit_spam("192.0.2.9", comment_content=text, comment_author="Tea Lover") is True
    other_site = site.akismet(blog="https://forum.example")
    assert other_site.comment_check("192.0.2.10", comment_content=CAMPAIGN[2] + "!") != akismet.CheckResponse.HAM
    with site.engine.db.session() as s:
        rows = s.query(SpamFeedbackRow).all()
    assert [(r.label, r.site, r.source) for r in rows] == [("spam", "news.example", "akismet")] * 2


def test_submit_spam_leaves_other_comments_alone(site: Site) -> None:
    before = site.akismet(blog="https://before.example")
    assert [before.comment_check("192.0.2.20", comment_content=t) for t in HARD_HAM] == [akismet.CheckResponse.HAM] * 5
    for text in CAMPAIGN[:2]:
        assert site.akismet().submit_spam("192.0.2.9", comment_content=text) is True
    after = site.akismet(blog="https://after.example")
    assert [after.comment_check("192.0.2.21", comment_content=t) for t in HARD_HAM] == [akismet.CheckResponse.HAM] * 5


def test_a_pitch_hidden_in_a_long_comment_is_spam(site: Site) -> None:
    assert site.akismet().comment_check("192.0.2.30", comment_content=HIDDEN_PITCH) == akismet.CheckResponse.SPAM


def test_submit_ham_and_is_test(site: Site) -> None:
    client = site.akismet()
    assert client.submit_ham("192.0.2.1", comment_content="Forex signals, join us", is_test=True) is True
    assert client.submit_ham("192.0.2.1", comment_content="Forex signals, join us") is True
    with site.engine.db.session() as s:
        assert [r.label for r in s.query(SpamFeedbackRow).all()] == ["ham"]  # is_test is not learnt


def test_the_async_client_works_through_an_asgi_transport(site: Site) -> None:
    async def run() -> akismet.CheckResponse:
        transport = httpx.ASGITransport(app=site.http.app)
        async with httpx.AsyncClient(transport=transport) as http:
            client = akismet.AsyncClient(config=akismet.Config(key=site.keys["submitter"], url=BLOG),
                                         http_client=http)
            assert await client.verify_key() is True
            return await client.comment_check("192.0.2.1", comment_content=BLATANT)

    assert asyncio.run(run()) == akismet.CheckResponse.DISCARD


def test_a_bad_key_raises_the_clients_own_error(site: Site) -> None:
    client = akismet.SyncClient(config=akismet.Config(key="lw_wrong", url=BLOG), http_client=site.http)
    with pytest.raises(akismet.APIKeyError):
        client.comment_check("192.0.2.1", comment_content=HAM)


# -- Akismet's error behaviour, on raw requests --------------------------------------------------
def _form(site: Site, **fields: str) -> dict[str, str]:
    base = {"api_key": site.keys["submitter"], "blog": BLOG, "user_ip": "192.0.2.1", "comment_content": HAM}
    base.update(fields)
    return {k: v for k, v in base.items() if v != "<drop>"}


@pytest.mark.parametrize("route", ["comment-check", "submit-spam", "submit-ham"])
@pytest.mark.parametrize("change,body,help_has", [
    ({"api_key": "<drop>"}, "invalid", "api_key"),
    ({"api_key": "lw_nope"}, "invalid", "Invalid API key"),
    ({"blog": "<drop>"}, "invalid", "blog"),
    ({"blog": "news.example"}, "invalid", "http"),
    ({"blog": "http://[::1"}, "invalid", "http"),
    ({"user_ip": "<drop>"}, "false", "user_ip"),
    ({"user_ip": "  "}, "false", "user_ip"),
    ({"comment_author": "x\x00y"}, "false", "NUL"),
])
def test_missing_or_bad_fields(site: Site, route: str, change: dict[str, str], body: str, help_has: str) -> None:
    response = site.http.post(f"/1.1/{route}", data=_form(site, **change))
    assert response.status_code == 200
    assert response.text == body
    assert help_has in response.headers["X-akismet-debug-help"]


@pytest.mark.parametrize("content", [
    b"api_key=%ZZ&blog=x", b"\xff\xfe\x00garbage", b"a=1&&&b", b"api_key=%C3%28&blog=https://news.example",
])
@pytest.mark.parametrize("route", ["comment-check", "verify-key", "submit-spam"])
def test_malformed_bodies(site: Site, route: str, content: bytes) -> None:
    response = site.http.post(f"/1.1/{route}", content=content,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert response.text in ("invalid", "false")
    assert response.headers["X-akismet-debug-help"]


def test_oversized_comments_are_refused(site: Site) -> None:
    response = site.http.post("/1.1/comment-check", data=_form(site, comment_content="spam " * 20_000))
    assert response.status_code == 413
    help = response.headers["X-akismet-debug-help"]
    assert "too large" in help and "65536" in help and response.text == help
    with pytest.raises(akismet.RequestError):  # the official client reports the refusal
        site.akismet().comment_check("192.0.2.1", comment_content="x" * 70_000)


def test_a_multipart_form_is_read_too(site: Site) -> None:
    response = site.http.post("/1.1/comment-check", files={"x": ("x.txt", b"x")},
                              data=_form(site, comment_content=BLATANT))
    assert response.text == "true" and response.headers["X-akismet-pro-tip"] == "discard"


@pytest.mark.parametrize("seed", range(30))
def test_random_forms_never_give_a_500(site: Site, seed: int) -> None:
    rng = random.Random(seed)
    names = ["api_key", "blog", "user_ip", "comment_content", "comment_author_url", "comment_date_gmt", "blog_lang",
             "is_test", "recheck_reason", "junk"]
    values = ["", "\x00", "http://", "https://news.example", site.keys["submitter"], "٣", "x" * 3000, "2026-13-45",
              "1", "a&b=c", "https://" + "a" * 300 + ".example", "javascript:alert(1)"]
    data = {rng.choice(names): rng.choice(values) for _ in range(rng.randint(0, 8))}
    for route in ("verify-key", "comment-check", "submit-spam", "submit-ham"):
        response = site.http.post(f"/1.1/{route}", data=data)
        assert response.status_code in (200, 413), (route, data, response.text)


def test_a_recheck_decides_again_under_what_was_learnt(site: Site) -> None:
    client = site.akismet()
    assert client.comment_check("192.0.2.9", comment_content=CAMPAIGN[2]) == akismet.CheckResponse.HAM
    for text in CAMPAIGN[:2]:
        client.submit_spam("192.0.2.9", comment_content=text)
    # the same comment again: its stored decision; with recheck_reason: decided again
    assert client.comment_check("192.0.2.9", comment_content=CAMPAIGN[2]) == akismet.CheckResponse.HAM
    assert client.comment_check("192.0.2.9", comment_content=CAMPAIGN[2],
                                recheck_reason="edit") != akismet.CheckResponse.HAM


def test_every_akismet_field_is_taken(site: Site) -> None:
    fields = _form(site, user_agent="Mozilla/5.0", referrer="https://www.google.com/", permalink=f"{BLOG}/story",
                   comment_type="reply", comment_author="Reader", comment_author_email="reader@example.org",
                   comment_author_url="https://reader.example/blog", comment_date_gmt="2026-11-20T10:00:00Z",
                   blog_lang="ar, en", blog_charset="UTF-8", is_test="1", recheck_reason="",
                   comment_context="politics", user_role="subscriber", honeypot_field_name="hp")
    response = site.http.post("/1.1/comment-check", data=fields)
    assert response.text == "false"
    stored = site.http.get(f"/v1/posts/{response.headers['X-akismet-guid']}",
                           headers={"X-API-Key": site.keys["moderator"]}).json()["post"]
    assert stored["lang"] == "ar" and stored["created_at"].startswith("2026-11-20T10:00:00")
    assert stored["links"] == ["https://reader.example/blog"] and stored["author"].startswith("akismet:news.example:")
    assert "reader@example.org" not in str(stored)  # the account id is a hash, not the e-mail


@pytest.mark.parametrize("charset,encoded,expected", [
    ("ISO-8859-1", "Caf%E9 au lait, tr%E8s bien.", "Café au lait, très bien."),
    ("UTF-8", "Caf%C3%A9", "Café"),
    ("windows-1256", "%E3%D1%CD%C8%C7", "مرحبا"),
])
def test_blog_charset_reads_the_form(site: Site, charset: str, encoded: str, expected: str) -> None:
    body = (f"api_key={site.keys['submitter']}&blog=https%3A%2F%2Fnews.example&user_ip=192.0.2.1"
            f"&blog_charset={charset}&comment_content={encoded}")
    response = site.http.post("/1.1/comment-check", content=body.encode(),
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.text == "false", response.headers.get("X-akismet-debug-help")
    stored = site.http.get(f"/v1/posts/{response.headers['X-akismet-guid']}",
                           headers={"X-API-Key": site.keys["moderator"]}).json()
    assert stored["post"]["text"] == expected


def test_the_same_comment_at_once_and_again_is_recorded_once(any_db_url: str) -> None:
    """Its author fields are written in one insert-or-keep statement (SQLite's and PostgreSQL's):
    two identical comments at once both answer, with the same post, and one row holds the first."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func, select

    from leakwarden.service.auth import Principal
    from leakwarden.service.compat.akismet import Incoming, check_comment
    from leakwarden.signals.spam.tables import SpamCommentRow

    db = Database(any_db_url)
    engine = Engine(db, policy="strict", detectors=[PiiDetector(), SpamDetector(db)])
    fields = {"user_ip": "192.0.2.7", "comment_author": "Reader", "comment_author_email": "r@example.org",
              "comment_content": BLATANT}
    comment = Incoming(Principal("key:1:test", "submitter"), "news.example", fields)
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: check_comment(engine, comment), range(2))
    again = check_comment(engine, Incoming(comment.who, "news.example", {**fields}))
    assert first.post_id == second.post_id == again.post_id
    assert first.verdict == second.verdict == again.verdict
    with db.session() as s:
        rows = s.scalars(select(SpamCommentRow)).all()
        assert [(r.post_id, r.site, r.author, r.email) for r in rows] == [
            (first.post_id, "news.example", "Reader", "r@example.org")]
        assert s.scalar(select(func.count()).select_from(SpamCommentRow)) == 1


PLAIN_SPAM = "Earn $500 a day from home with my simple method, DM me on WhatsApp @cash_daily_99 and I will show you"


@pytest.mark.parametrize(("content", "verdict", "actions"), [
    (HAM, "allow", set()),
    (PLAIN_SPAM, None, None),  # spam without a link: whatever the policy does with it, recorded in full
    (BLATANT, "remove", {"remove"}),
    (DOXXING, "remove", None),  # a strike, a case for a person: more events, one decision
])
def test_one_comment_check_records_one_post_one_decision_and_its_events(
        any_db_url: str, content: str, verdict: str | None, actions: set[str] | None,
        discarding_spam: Callable[[Database], SpamDetector]) -> None:
    """One comment-check writes, in one transaction: one post, its author fields, its author's
    account, one ``decision`` audit event and one ``decision.made`` outbox event, and for each action
    its decision took one action row, one ``action.applied`` audit event and one outbox event (and
    one ``rows.recorded`` event covering them); every event sealed into a chain that verifies."""
    from sqlalchemy import func, select

    from leakwarden.audit import log as audit
    from leakwarden.outbox.tables import OutboxEvent
    from leakwarden.service.auth import Principal
    from leakwarden.service.compat.akismet import Incoming, check_comment
    from leakwarden.signals.spam.tables import SpamCommentRow
    from leakwarden.store.tables import Account, AuditEventRow, EnforcementAction, PostRow

    db = Database(any_db_url)
    engine = Engine(db, policy="strict", detectors=[PiiDetector(), discarding_spam(db)])
    with db.session() as s:
        events_before = s.scalar(select(func.count()).select_from(AuditEventRow)) or 0
    fields = {"user_ip": "192.0.2.9", "comment_author": "Sam", "comment_author_email": "sam@example.org",
              "comment_content": content}
    decision = check_comment(engine, Incoming(Principal("key:1:test", "submitter"), "news.example", fields))
    applied = {a.type.value for a in decision.actions}
    assert verdict is None or decision.verdict.value == verdict
    assert actions is None or applied == actions
    with db.session() as s:
        assert s.scalars(select(PostRow.id)).all() == [decision.post_id]
        assert s.scalars(select(SpamCommentRow.author)).all() == ["Sam"]
        assert s.scalars(select(Account.id)).all() == [decision.author]
        rows = s.scalars(select(EnforcementAction)).all()
        assert sorted(r.type for r in rows) == sorted(a.type.value for a in decision.actions)
        events = s.scalars(select(AuditEventRow).where(AuditEventRow.id > events_before)).all()
        kinds = Counter(e.kind for e in events)
        assert kinds["decision"] == 1 and kinds["action.applied"] == len(decision.actions)
        assert kinds["rows.recorded"] == (1 if decision.actions else 0)  # it covers the action rows
        if not decision.actions:
            assert set(kinds) == {"decision"}
        assert all(e.seq is not None for e in events)
        assert {e.subject_id for e in events if e.kind in ("decision", "action.applied")} == {decision.post_id}
        outbox = Counter(e.type for e in s.scalars(select(OutboxEvent)).all())
        assert outbox["decision.made"] == 1 and outbox["action.applied"] == len(decision.actions)
        stored = s.get_one(PostRow, decision.post_id)
        assert stored.verdict == decision.verdict.value
        assert {a["type"] for a in stored.decision["actions"]} == applied
        assert audit.verify(s).ok


def test_a_comment_that_cannot_be_recorded_leaves_nothing_behind(any_db_url: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Its author fields are written in the post's transaction: a failure on the way stores neither."""
    from sqlalchemy import func, select

    from leakwarden import ingest_batch
    from leakwarden.service.auth import Principal
    from leakwarden.service.compat.akismet import Incoming, check_comment
    from leakwarden.signals.spam.tables import SpamCommentRow
    from leakwarden.store.tables import PostRow

    db = Database(any_db_url)
    engine = Engine(db, policy="strict", detectors=[PiiDetector(), SpamDetector(db)])

    def broken(*_: object) -> None:
        raise RuntimeError("the outbox is broken")

    monkeypatch.setattr(ingest_batch.outbox, "emit_many", broken)
    comment = Incoming(Principal("key:1:test", "submitter"), "news.example",
                       {"user_ip": "192.0.2.9", "comment_author": "Sam", "comment_content": HAM})
    with pytest.raises(RuntimeError):
        check_comment(engine, comment)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(PostRow)) == 0
        assert s.scalar(select(func.count()).select_from(SpamCommentRow)) == 0
    monkeypatch.undo()
    assert check_comment(engine, comment).verdict.value == "allow"
    with db.session() as s:
        assert s.scalars(select(SpamCommentRow.author)).all() == ["Sam"]
