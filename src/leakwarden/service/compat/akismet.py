"""The Akismet protocol (akismet.com/developers): ``/1.1/verify-key``, ``comment-check``,
``submit-spam`` and ``submit-ham``, form-encoded, answered as Akismet answers.

* ``api_key`` is a leakwarden API key (submitter role or above); ``blog`` is the site's URL and its
  host names the site (reports are learnt per site and globally).
* ``comment-check`` ingests the comment as a Post on the ``comment`` surface: spam, private
  information, URL rules (the author's URL is one of its links), known material; the Decision is
  recorded as for any post, under the id returned in ``X-akismet-guid`` and
  ``X-leakwarden-post-id`` (``GET /v1/posts/{id}``, the console). The answer is ``true`` when the
  comment is spam or the policy removes or restricts it, with ``X-akismet-pro-tip: discard`` when
  the spam is blatant and no other signal (private information, known material, a blocked link)
  needs a person to see it.
* ``submit-spam`` / ``submit-ham`` are reviewers' reports: the spam detector learns them at once
  (``is_test=1``: acknowledged, not learnt).

Akismet's error behaviour: a missing or bad ``api_key`` or ``blog`` answers ``invalid``, a missing
``user_ip`` or a body that is not a form answers ``invalid`` or ``false``, each with an
``X-akismet-debug-help`` header saying why; an oversized comment is refused with 413. Never a 500.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from leakwarden.engine import Engine
from leakwarden.errors import InvalidURL, LeakwardenError, Unauthorized
from leakwarden.intake.client import IntakeClient, complete_later
from leakwarden.links.url import canonicalize
from leakwarden.model import Decision, Post, Surface, Verdict, utcnow
from leakwarden.service.auth import Principal, authenticate, remembered
from leakwarden.service.errordocs import ERROR_RESPONSES, text_or_json
from leakwarden.signals.spam.detector import comment_context
from leakwarden.signals.spam.features import Comment
from leakwarden.signals.spam.feedback import spam_detector
from leakwarden.signals.spam.tables import SpamCommentRow
from leakwarden.store.db import insert_or_keep
from leakwarden.store.tables import PostRow

log = logging.getLogger("leakwarden.akismet")
# its errors in text/plain, Akismet's manner (a comment over the limit: 413 ``invalid``), or the app's JSON
router = APIRouter(prefix="/1.1", tags=["akismet"], responses=text_or_json(ERROR_RESPONSES))

#: Akismet's fields; others (``comment_context``, ``user_role``, ``honeypot_field_name``...) are read
#: when they matter and otherwise ignored, as Akismet does.
FIELDS = ("api_key", "blog", "user_ip", "user_agent", "referrer", "permalink", "comment_type", "comment_author",
          "comment_author_email", "comment_author_url", "comment_content", "comment_date_gmt", "blog_lang",
          "blog_charset", "is_test", "recheck_reason")
MAX_COMMENT_CHARS = 65_536
MAX_FIELD_CHARS = 2_000
THANKS = "Thanks for making the web a better place."
_BLOCKING = (Verdict.REMOVE, Verdict.RESTRICT)


class AkismetError(Exception):
    """An answer in Akismet's manner: a body (``invalid``/``false``) and the debug help."""

    def __init__(self, body: str, help: str, status: int = 200) -> None:
        super().__init__(help)
        self.body, self.help, self.status = body, help, status


def answer(body: str, headers: dict[str, str] | None = None, status: int = 200) -> Response:
    return PlainTextResponse(body, status_code=status, headers=headers or {})


def refused(exc: AkismetError) -> Response:
    return answer(exc.body, {"X-akismet-debug-help": exc.help}, exc.status)


async def read_form(request: Request) -> dict[str, str]:
    """The form fields (the query string's too), or ``AkismetError``: never an exception."""
    fields: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        fields.setdefault(key, value)
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    try:
        if ctype == "multipart/form-data":
            form = await request.form()
            for key, item in form.multi_items():
                if isinstance(item, str):
                    fields[key] = item
            return fields
        raw = await request.body()
        text = raw.decode("ascii") if raw.isascii() else raw.decode("utf-8")
        charset = _charset(text)
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text.strip()), encoding=charset,
                          errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise AkismetError("invalid", "The request body is not a form (application/x-www-form-urlencoded, in "
                                      f"UTF-8 or the blog_charset given): {type(exc).__name__}") from None
    except LeakwardenError as exc:
        raise AkismetError("invalid", exc.message) from None
    for key, value in pairs:
        fields[key] = value
    return fields


def _charset(form: str) -> str:
    """The form's ``blog_charset`` when Python knows it (percent-escapes are read in it), else UTF-8."""
    for key, value in parse_qsl(form, keep_blank_values=True, encoding="latin-1"):
        if key == "blog_charset" and value.strip():
            try:
                return codecs.lookup(value.strip()).name
            except LookupError:
                break
    return "utf-8"


def site_of(blog: str) -> str:
    """The host of ``blog`` (a full http(s) URL, as Akismet requires), or ``AkismetError``."""
    if not blog.strip():
        raise AkismetError("invalid", "Empty \"blog\" value")
    try:
        parts = urlsplit(blog.strip())
        scheme, host, port = parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:  # "http://[::1", a port that is not a number
        scheme, host, port = "", "", None
    if scheme not in ("http", "https") or not host or len(blog) > MAX_FIELD_CHARS:
        raise AkismetError("invalid", "The \"blog\" value must be the site's full URL, including http:// or "
                                      "https://")
    return f"{host}:{port}" if port else host


def principal_of(engine: Engine, fields: dict[str, str], *, key_field: str = "api_key") -> Principal:
    key = fields.get(key_field) or fields.get("key", "")
    if not key:
        raise AkismetError("invalid", "Empty \"api_key\" value")
    try:
        who = authenticate(engine.db, key)
    except Unauthorized:
        raise AkismetError("invalid", "Invalid API key: use a leakwarden API key "
                                      "(leakwarden keys create --role submitter)") from None
    if not who.can("submitter"):
        raise AkismetError("invalid", "This API key cannot submit comments")
    return who


async def principal_in(engine: Engine, fields: dict[str, str]) -> Principal:
    """:func:`principal_of` without a thread hop for a key this process checked a moment ago (the
    per-process memory of valid keys); otherwise in a thread, since it reads the database."""
    known = remembered(engine.db, fields.get("api_key") or fields.get("key", ""))
    if known is not None and known.can("submitter"):
        return known
    return await run_in_threadpool(principal_of, engine, fields)


@dataclass(frozen=True)
class Incoming:
    who: Principal
    site: str
    fields: dict[str, str]

    def get(self, name: str) -> str:
        return self.fields.get(name, "")

    @property
    def comment(self) -> Comment:
        return Comment(self.get("comment_content"), self.get("comment_author"), self.get("comment_author_email"),
                       self.get("comment_author_url"))

    @property
    def is_test(self) -> bool:
        return self.get("is_test").strip().lower() in ("1", "true", "yes")

    def post(self) -> Post:
        """The comment as a Post. Its id is a hash of what it says and where, so the same comment
        checked again finds its stored decision."""
        body = {k: self.get(k) for k in FIELDS if k not in ("api_key", "is_test", "recheck_reason")}
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        who = self.get("comment_author_email") or self.get("comment_author") or self.get("user_ip")
        author = f"akismet:{self.site}:{hashlib.sha256(who.encode()).hexdigest()[:16]}"
        links: list[str] = []
        url = self.get("comment_author_url").strip()
        if url:
            try:
                canonicalize(url if "://" in url else f"http://{url}")
                links.append(url if "://" in url else f"http://{url}")
            except InvalidURL:
                pass
        lang = self.get("blog_lang").split(",", 1)[0].strip()[:20] or None
        return Post(id=f"akismet:{digest[:32]}", author=author[:200], text=self.get("comment_content"),
                    surface=Surface.COMMENT, links=links, lang=lang, created_at=_gmt(self.get("comment_date_gmt")))


def _gmt(value: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00")) if value.strip() else None
    except ValueError:
        return None
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when


async def incoming(request: Request, *, need_ip: bool = True) -> Incoming:
    fields = await read_form(request)
    engine: Engine = request.app.state.engine
    who = await principal_in(engine, fields)
    site = site_of(fields.get("blog", ""))
    if need_ip and not fields.get("user_ip", "").strip():
        raise AkismetError("false", "Empty \"user_ip\" value")
    for name, value in fields.items():
        limit = MAX_COMMENT_CHARS if name == "comment_content" else MAX_FIELD_CHARS
        if len(value) > limit:
            what = "comment" if name == "comment_content" else f"\"{name}\" value"
            message = f"The {what} is too large: at most {limit} characters"
            raise AkismetError(message, message, status=413)
        if "\x00" in value:
            raise AkismetError("false", f"The \"{name}\" value contains a NUL character")
    return Incoming(who=who, site=site, fields=fields)


def verdict_headers(decision: Decision) -> dict[str, str]:
    spam = [s for s in decision.signals if s.kind == "spam" and not s.attrs.get("review")]
    headers = {"X-akismet-guid": decision.post_id, "X-leakwarden-post-id": decision.post_id,
               "X-leakwarden-verdict": decision.verdict.value}
    clauses = sorted({r.clause for r in decision.reasons})
    if clauses:
        headers["X-leakwarden-reasons"] = ",".join(clauses)
    if spam:
        headers["X-leakwarden-spam"] = f"{max(s.strength for s in spam):.3f}"
    # discard: blatant spam and nothing else; a comment that doxxes, leaks or links to a blocked
    # source is kept (held or removed by the policy) so that a person can see it
    if any(s.attrs.get("blatant") for s in spam) and all(r.signal == "spam" for r in decision.reasons):
        headers["X-akismet-pro-tip"] = "discard"
    return headers


def is_spam(decision: Decision) -> bool:
    """Spam (an uncertain spam signal is not: it is for a person to look at), or held back by the policy."""
    return (any(s.kind == "spam" and not s.attrs.get("review") for s in decision.signals)
            or decision.verdict in _BLOCKING)


def check_comment(engine: Engine, comment: Incoming, intake: IntakeClient | None = None) -> Decision:
    """Decide the comment and record it: a new comment's post, decision, audit and outbox events and
    its author fields (``spam_comment``) in one transaction; a recheck of a stored one decided again."""
    post = comment.post()
    c = comment.comment

    def keep_author(s: Session) -> None:
        # one statement, kept as first written when the comment comes again (or twice at once)
        insert_or_keep(s, SpamCommentRow, [{"post_id": post.id, "site": comment.site, "author": c.author[:300],
                                            "email": c.email[:300], "url": c.url[:2000], "created_at": utcnow()}],
                       key="post_id")

    stored = False
    if comment.get("recheck_reason"):
        with engine.db.session() as s:
            stored = s.get(PostRow, post.id) is not None
            keep_author(s)
    with comment_context(c, comment.site):
        if stored:  # Akismet's recheck (an edited or re-queued comment): decide it again
            decision = engine.redecide(post.id, actor=comment.who.name, kind="decision.recheck")
        else:
            decision = engine.ingest(post, actor=comment.who.name, also=keep_author)
    if decision.partial:
        complete_later(intake, engine, post.id)
    return decision


@router.post("/verify-key", response_class=PlainTextResponse)
async def verify_key(request: Request) -> Response:
    """``valid`` when ``api_key`` (or ``key``) is a leakwarden key and ``blog`` a site URL."""
    try:
        fields = await read_form(request)
        await principal_in(request.app.state.engine, fields)
        site_of(fields.get("blog", ""))
    except AkismetError as exc:
        return answer("invalid", {"X-akismet-debug-help": exc.help})
    return answer("valid")


@router.post("/comment-check", response_class=PlainTextResponse)
async def comment_check(request: Request) -> Response:
    """``true`` (spam, or the policy removes or restricts it) or ``false``."""
    try:
        comment = await incoming(request)
        decision = await run_in_threadpool(check_comment, request.app.state.engine, comment, request.app.state.intake)
    except AkismetError as exc:
        return refused(exc)
    except LeakwardenError as exc:
        return answer("false", {"X-akismet-debug-help": exc.message[:500]})
    return answer("true" if is_spam(decision) else "false", verdict_headers(decision))


async def _submit(request: Request, label: str) -> Response:
    try:
        comment = await incoming(request)
    except AkismetError as exc:
        return refused(exc)
    engine: Engine = request.app.state.engine
    detector = spam_detector(engine.detectors)
    if detector is None:
        return answer("false", {"X-akismet-debug-help": "This server runs no spam detector"})
    if not comment.get("comment_content").strip():
        return answer("false", {"X-akismet-debug-help": "Empty \"comment_content\" value"})
    if comment.is_test:
        return answer(THANKS, {"X-leakwarden-learnt": "0"})
    post_id = comment.post().id
    try:
        report = await run_in_threadpool(detector.report, comment.comment, label, site=comment.site,
                                         source="akismet", actor=comment.who.name, post_id=post_id)
    except LeakwardenError as exc:
        return answer("false", {"X-akismet-debug-help": exc.message[:500]})
    return answer(THANKS, {"X-leakwarden-report": str(report), "X-leakwarden-learnt": "1"})


@router.post("/submit-spam", response_class=PlainTextResponse)
async def submit_spam(request: Request) -> Response:
    """A missed spam: learnt at once, for this site and every site."""
    return await _submit(request, "spam")


@router.post("/submit-ham", response_class=PlainTextResponse)
async def submit_ham(request: Request) -> Response:
    """A false positive: learnt at once (it outweighs close spam reports on this site)."""
    return await _submit(request, "ham")
