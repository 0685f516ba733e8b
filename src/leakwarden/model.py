"""Domain types: the words of leakwarden (see docs/design.md).

Every type that crosses a boundary (CLI, HTTP, store, audit) is a pydantic model, so it validates
on the way in and serializes the same way everywhere. Detectors produce :class:`Signal` s about a
:class:`Subject`; the policy turns them into a :class:`Decision`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_TEXT_CHARS = 200_000
MAX_LINKS = 100
MAX_ATTACHMENTS = 20
MAX_ID = 2**31 - 1  # the largest row id (rules, cases, actions...) every supported database holds

#: A row id given by a client: out of range is a clear 422, never a database overflow.
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Strict(BaseModel):
    """Base for inputs: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Surface(StrEnum):
    POST = "post"
    COMMENT = "comment"
    MESSAGE = "message"


class Attachment(Strict):
    """A file attached to a post. ``text`` is what a client already extracted; ``content_b64`` is
    the raw bytes (base64) for detectors that read files themselves."""

    name: str = Field(default="attachment", max_length=500)
    content_type: str = Field(default="application/octet-stream", max_length=200)
    text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)
    content_b64: str | None = Field(default=None, max_length=4 * MAX_TEXT_CHARS)
    url: str | None = Field(default=None, max_length=8192)


class Post(Strict):
    """A unit of user content: a post, a comment or a message."""

    id: str = Field(min_length=1, max_length=200)
    author: str = Field(min_length=1, max_length=200)
    text: str = Field(max_length=MAX_TEXT_CHARS)
    surface: Surface = Surface.POST
    links: list[str] = Field(default_factory=list, max_length=MAX_LINKS)
    attachments: list[Attachment] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)
    lang: str | None = Field(default=None, max_length=20)
    created_at: datetime | None = None

    @field_validator("id", "author")
    @classmethod
    def _no_control_characters(cls, value: str) -> str:
        # ids end up in URLs, logs, CSV and database keys (PostgreSQL cannot store a NUL at all)
        if any(ch < " " or ch == "\x7f" for ch in value):
            raise ValueError("must not contain control characters (NUL, newlines, tabs...)")
        return value

    @field_validator("text")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        # newlines and tabs belong in text; a NUL never does, and PostgreSQL cannot store one
        if "\x00" in value:
            raise ValueError("must not contain a NUL character")
        return value

    @field_validator("links")
    @classmethod
    def _links_are_short(cls, links: list[str]) -> list[str]:
        for link in links:
            if len(link) > 8192:
                raise ValueError("a link is longer than 8192 characters")
        return links


class SubjectKind(StrEnum):
    POST_TEXT = "post_text"
    ATTACHMENT = "attachment"
    LINK = "link"  # a URL as such, before or without fetching it
    PAGE = "page"
    DOCUMENT = "document"  # PDF or other fetched file


class ImageFacts(BaseModel):
    """What was read from an image (an attachment, a fetched image, a scanned PDF's pages): its size,
    hashes and OCR outcome; never its words (those are the subject's text, masked at rest)."""

    format: str = ""
    width: int = 0
    height: int = 0
    frames: int = 1
    pages: int = 1
    md5: str = ""
    sha256: str = ""
    pdq: list[str] = Field(default_factory=list)  # one ThreatExchange PDQ hex per page read
    ocr_error: str | None = None


class Subject(BaseModel):
    """Anything inspected: the post text, an attachment, a URL, a fetched page or PDF.

    ``path`` is how the subject was reached from the post: ``["post"]`` for the post itself, and
    for a fetched document the URLs of every hop, e.g. ``["post", "https://a/p", "https://b/x.pdf"]``.
    """

    kind: SubjectKind
    text: str = ""
    url: str | None = None  # canonical URL for LINK/PAGE/DOCUMENT subjects
    path: list[str] = Field(default_factory=lambda: ["post"])
    lang: str | None = None
    surface: Surface = Surface.POST
    content: bytes | None = Field(default=None, exclude=True, repr=False)
    #: an image subject's reading (``links.ocr.ImageRead``: word boxes, PDQ hashes); ``text`` is its OCR text
    image: Any = Field(default=None, exclude=True, repr=False)

    @property
    def ref(self) -> str:
        """A short human-readable name: used in reasons and evidence."""
        return " → ".join(self.path)


class Evidence(BaseModel):
    """Why a signal fired. Private values never go here in clear: see ``signals.pii``."""

    summary: str
    subject: str = "post"  # Subject.ref
    span: tuple[int, int] | None = None
    item: str | None = None  # a matched known item, rule id, ...
    passages: list[dict[str, Any]] = Field(default_factory=list)
    path: list[str] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)


class Signal(BaseModel):
    """One detector's finding on one subject.

    ``kind`` names the detector family (``url_rule``, ``pii``, ``bank``, ``spam``); ``attrs``
    carries the facts a policy clause can test (e.g. ``{"action": "block"}`` or
    ``{"unredacted": true, "dossier": true}``)."""

    kind: str
    strength: float = Field(ge=0.0, le=1.0)
    subject_kind: SubjectKind
    subject: str = "post"
    attrs: dict[str, Any] = Field(default_factory=dict)
    evidence: list[Evidence] = Field(default_factory=list)


class Verdict(StrEnum):
    ALLOW = "allow"
    LABEL = "label"
    RESTRICT = "restrict"
    REMOVE = "remove"

    @property
    def rank(self) -> int:
        return _VERDICT_RANK[self]


_VERDICT_RANK = {Verdict.ALLOW: 0, Verdict.LABEL: 1, Verdict.RESTRICT: 2, Verdict.REMOVE: 3}


class ActionType(StrEnum):
    LABEL = "label"
    INTERSTITIAL = "interstitial"
    BLOCK_LINK = "block_link"
    REMOVE = "remove"
    STRIKE = "strike"
    SUSPEND = "suspend"
    BAN = "ban"
    LIMIT = "limit"  # the account's reach is limited (standing "limited") until a moderator reinstates
    QUEUE_REVIEW = "queue_review"


class Action(BaseModel):
    type: ActionType
    clause: str | None = None
    label: str | None = None  # for LABEL / INTERSTITIAL
    url: str | None = None  # for BLOCK_LINK: the canonical URL whose sharing is blocked
    duration_s: int | None = None  # for SUSPEND
    note: str | None = None

    def key(self) -> tuple[str, str | None, str | None]:
        return (self.type.value, self.url, self.label)


class Reason(BaseModel):
    signal: str  # the signal kind
    clause: str
    policy_version: str
    strength: float
    subject: str
    evidence: list[Evidence] = Field(default_factory=list)
    description: str = ""


class Hop(BaseModel):
    """One step of a LinkChain."""

    url: str
    canonical: str
    via: Literal["post", "redirect", "refresh_header", "meta_refresh", "js_location", "outlink"] = "post"
    status: int | None = None
    content_type: str | None = None
    size: int | None = None
    fetch_ms: float | None = None
    text: str = ""
    error: str | None = None
    error_code: str | None = None
    depth: int = 0
    parent: int | None = None  # index of the hop this one was reached from
    image: ImageFacts | None = None  # an image or a scanned PDF, read with OCR (``text`` is what it read)
    #: the reading itself (``links.ocr.ImageRead``) and the image's bytes: in memory only, never serialized
    read: Any = Field(default=None, exclude=True, repr=False)
    content: bytes | None = Field(default=None, exclude=True, repr=False)
    #: the clear ``text``, encrypted (``signals.pii.atrest``) when ``text`` had private values masked;
    #: stored, never serialized into a response
    sealed: str | None = Field(default=None, exclude=True, repr=False)


class LinkChain(BaseModel):
    """Where one URL from a post leads, hop by hop."""

    url: str
    hops: list[Hop] = Field(default_factory=list)
    complete: bool = True

    def path(self, index: int) -> list[str]:
        """The canonical URLs from the post's URL down to hop ``index`` (parents followed)."""
        path: list[str] = []
        seen: set[int] = set()
        current: int | None = index
        while current is not None and current not in seen and 0 <= current < len(self.hops):
            seen.add(current)
            path.append(self.hops[current].canonical)
            current = self.hops[current].parent
        return path[::-1]


class Decision(BaseModel):
    post_id: str
    author: str
    verdict: Verdict
    actions: list[Action] = Field(default_factory=list)
    reasons: list[Reason] = Field(default_factory=list)
    policy: str
    policy_version: str
    signals: list[Signal] = Field(default_factory=list)
    chains: list[LinkChain] = Field(default_factory=list)
    partial: bool = False
    #: the post's URLs not followed to the end (the budget ran out, or past the first 100): judged by
    #: URL rules only, so far
    unfetched: list[str] = Field(default_factory=list)
    masked: bool = False  # private values in hop texts and evidence are masked (``signals.pii.atrest``)
    decided_at: datetime = Field(default_factory=utcnow)
    elapsed_ms: float = 0.0


class StandingState(StrEnum):
    GOOD = "good"
    LIMITED = "limited"
    SUSPENDED = "suspended"
    BANNED = "banned"


class Standing(BaseModel):
    account: str
    state: StandingState
    until: datetime | None = None
    active_strikes: int = 0
    reinstated: bool = False
