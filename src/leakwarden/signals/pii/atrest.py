"""Private values at rest: what a stored or returned Decision may hold.

A Decision carries the text of every fetched hop and the passages a bank match aligned, and both
may quote a person's SSN, home address or birth date. Before a Decision is stored or returned:

- every private value the PII finder finds in a hop's text (and every span the pii evidence points
  at) is replaced by bullets of the same length, so spans and passage offsets stay valid;
- passage texts and every other evidence string are masked the same way;
- the post's own text (and its attachments' texts) is stored masked too, and its attachments' bytes
  not at all, its clear body sealed under ``posts.body["sealed"]`` (:func:`seal_post`,
  :func:`clear_body`, :func:`shown_body`);
- the clear text of a hop that had private values is kept only encrypted (Fernet, AES-128-CBC +
  HMAC-SHA-256) in ``Hop.sealed``, which is never serialized by ``model_dump`` and so never leaves in
  a response: :func:`stored_form` writes it to the database, :func:`clear_text` reads it back for the
  audited reveal and for deciding a stored post again.

The key is ``LEAKWARDEN_REVEAL_KEY`` (a Fernet key: 32 url-safe base64 bytes) or else the key file
``LEAKWARDEN_REVEAL_KEY_FILE`` (default ``~/.config/leakwarden/reveal.key``), created once with
mode 0600 like the hash key (:mod:`leakwarden.signals.pii.keys`): kept outside the database, so a
copy of the database reveals nothing. Processes sharing a database must share the key.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from leakwarden.errors import LeakwardenError
from leakwarden.model import MAX_TEXT_CHARS, Decision, Evidence, Hop, LinkChain, Post
from leakwarden.signals.pii import keys
from leakwarden.signals.pii.find import find_pii
from leakwarden.signals.pii.finding import Finding
from leakwarden.signals.pii.scan import DEFAULT_REGIONS

KEY_ENV = "LEAKWARDEN_REVEAL_KEY"
KEY_FILE_ENV = "LEAKWARDEN_REVEAL_KEY_FILE"
MASK = "•"
SEALED_BODY = "sealed"  # a stored post body's key for its clear form, encrypted
_OVERLAP = 2_000  # longer than any single finding
_MIN_VALUE = 4  # shorter clear values are not searched for elsewhere in the decision
_HINT = f"set {KEY_ENV} (a Fernet key), or {KEY_FILE_ENV} to a path this process can read and write"

log = logging.getLogger(__name__)
_lock = threading.Lock()
_cached: dict[str, Fernet] = {}


class RevealKeyUnavailable(LeakwardenError):
    """No key to keep private values encrypted at rest (or the one given is not a Fernet key)."""

    code = "reveal_key_unavailable"
    status = 500


class SealedUnreadable(LeakwardenError):
    """A sealed text cannot be decrypted with this deployment's key (another key, or damaged)."""

    code = "sealed_unreadable"
    status = 409


def key_file() -> Path:
    return keys.key_path(KEY_FILE_ENV, "reveal.key")


def _fernet() -> Fernet:
    from_env = os.environ.get(KEY_ENV, "").strip()
    name = "env:" + from_env if from_env else str(key_file())
    with _lock:
        cached = _cached.get(name)
        if cached is not None:
            return cached
        if from_env:
            raw = from_env.encode()
            where = KEY_ENV
        else:
            path = key_file()
            where = str(path)
            raw = _load_or_create(path)
        try:
            fernet = Fernet(raw)
        except (ValueError, TypeError):
            raise RevealKeyUnavailable(f"the reveal key in {where} is not a Fernet key (32 url-safe base64 "
                                       f"bytes, e.g. from Fernet.generate_key()); {_HINT}") from None
        _cached[name] = fernet
        return fernet


def forget_cached_keys() -> None:
    with _lock:
        _cached.clear()


def _load_or_create(path: Path) -> bytes:
    return keys.read_or_create(path, lambda: Fernet.generate_key() + b"\n", what="the reveal key",
                               error=RevealKeyUnavailable, hint=_HINT)


def seal_bytes(data: bytes) -> str:
    """Bytes (an image holding private values) encrypted with the reveal key, as a Fernet token."""
    return _fernet().encrypt(data).decode("ascii")


def open_bytes(token: str) -> bytes:
    """The bytes behind :func:`seal_bytes` (SealedUnreadable with another key)."""
    try:
        return _fernet().decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError, ValueError):
        raise SealedUnreadable("sealed image bytes cannot be decrypted with this deployment's reveal key") from None


def check_key() -> None:
    """Fail now (RevealKeyUnavailable) rather than at the first stored decision."""
    _fernet()


# -- finding and masking ------------------------------------------------------------------------
def find_all(text: str, regions: Sequence[str] = DEFAULT_REGIONS, min_confidence: float = 0.5) -> list[Finding]:
    """find_pii over the whole text: a long document (a fetched PDF) in overlapping chunks."""
    if len(text) <= MAX_TEXT_CHARS:
        return find_pii(text, regions=regions, min_confidence=min_confidence)
    step = MAX_TEXT_CHARS - _OVERLAP
    out: list[Finding] = []
    for base in range(0, len(text), step):
        chunk = text[base : base + step + _OVERLAP]
        for f in find_pii(chunk, regions=regions, min_confidence=min_confidence):
            if out and base + f.start < out[-1].end:
                continue  # already found in the previous chunk's overlap
            out.append(replace(f, start=base + f.start, end=base + f.end))
    return out


def mask_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with every letter and digit inside the spans replaced by a bullet: same length, so
    every offset into it stays valid; separators stay, so the shape stays readable."""
    chars = list(text)
    for start, end in spans:
        for i in range(max(0, start), min(end, len(chars))):
            if chars[i].isalnum():
                chars[i] = MASK
    return "".join(chars)


def mask_text(text: str, values: Sequence[str] = ()) -> str:
    """A free text (a passage, an excerpt) with every private value masked: those the finder finds
    and every occurrence of ``values`` (clear values found elsewhere in the same decision)."""
    if not text:
        return text
    try:
        spans = [(f.start, f.end) for f in find_all(text)]
    except LeakwardenError:
        spans = []
    spans += _occurrences(text, values)
    return mask_spans(text, spans) if spans else text


def _mask_tree(value: Any, values: Sequence[str], *, scan: bool) -> Any:
    if isinstance(value, str):
        if scan:
            return mask_text(value, values)
        return _mask_values(value, values)
    if isinstance(value, dict):
        return {k: _mask_tree(v, values, scan=scan) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_tree(v, values, scan=scan) for v in value]
    if isinstance(value, tuple):
        return tuple(_mask_tree(v, values, scan=scan) for v in value)
    return value


def _occurrences(text: str, values: Sequence[str]) -> list[tuple[int, int]]:
    """The spans of every occurrence of every value in ``text``."""
    spans: list[tuple[int, int]] = []
    for value in values:
        at = text.find(value)
        while at >= 0:
            spans.append((at, at + len(value)))
            at = text.find(value, at + 1)
    return spans


def _mask_values(text: str, values: Sequence[str]) -> str:
    spans = _occurrences(text, values)
    return mask_spans(text, spans) if spans else text


def masked_chain(chain: LinkChain) -> LinkChain:
    """A chain to show (``expand``): every hop's text with its private values masked."""
    hops = [h.model_copy(update={"text": mask_text(h.text)}) if h.text else h for h in chain.hops]
    return chain.model_copy(update={"hops": hops})


def masked_match(match: dict[str, Any]) -> dict[str, Any]:
    """A bank match to show (``bank match``): the texts of its passages, both sides, masked."""
    passages = []
    for p in match.get("passages", []):
        p = dict(p)
        for side in ("query", "item"):
            span = p.get(side)
            if isinstance(span, dict) and isinstance(span.get("text"), str):
                p[side] = {**span, "text": mask_text(span["text"])}
        passages.append(p)
    return {**match, "passages": passages}


def hop_ref(chain: LinkChain, index: int) -> str:
    """The subject ref of hop ``index``'s text, as the engine names it in evidence."""
    return " → ".join(["post", *chain.path(index)])


def _evidence_spans(decision: Decision) -> dict[str, list[tuple[int, int]]]:
    spans: dict[str, list[tuple[int, int]]] = {}
    for evidence in _all_evidence(decision, pii_only=True):
        if evidence.span is not None:
            spans.setdefault(evidence.subject, []).append((evidence.span[0], evidence.span[1]))
    return spans


def _all_evidence(decision: Decision, *, pii_only: bool = False) -> Iterable[Evidence]:
    for signal in decision.signals:
        if not pii_only or signal.kind == "pii":
            yield from signal.evidence
    for reason in decision.reasons:
        if not pii_only or reason.signal == "pii":
            yield from reason.evidence


# -- sealing ------------------------------------------------------------------------------------
def seal(decision: Decision, *, keep: bool, scan: bool = True) -> Decision:
    """A copy of ``decision`` with every private value masked (see the module's doc). ``keep``:
    the clear text of each masked hop goes encrypted into ``Hop.sealed`` (for storing; needs the
    key). ``scan``: run the PII finder over hop texts too, not only trust the pii evidence spans (an
    engine without a PiiDetector has none)."""
    if not any(h.text for c in decision.chains for h in c.hops) and not any(
            e.passages or "value" in e.data for e in _all_evidence(decision)):
        return decision.model_copy(update={"masked": True})  # nothing that could quote a value (the hot path)
    out = _writable_copy(decision)
    fernet = _fernet() if keep else None
    by_subject = _evidence_spans(out)
    values: set[str] = set()
    for chain in out.chains:
        for index, hop in enumerate(chain.hops):
            clear = clear_text(hop) if hop.sealed else hop.text
            if not clear:
                continue
            spans = list(by_subject.get(hop_ref(chain, index), []))
            if scan:
                with contextlib.suppress(LeakwardenError):
                    spans.extend((f.start, f.end) for f in find_all(clear))
            spans = [(s, e) for s, e in spans if 0 <= s < e <= len(clear)]
            if not spans:
                hop.text, hop.sealed = clear, None
                continue
            values.update(v for v in (clear[s:e].strip() for s, e in spans) if len(v) >= _MIN_VALUE)
            hop.text = mask_spans(clear, spans)
            hop.sealed = fernet.encrypt(clear.encode()).decode() if fernet is not None else None
    ordered = sorted(values, key=len, reverse=True)
    for evidence in _all_evidence(out):
        evidence.data.pop("value", None)  # LEAKWARDEN_PII_REVEAL's clear value: the reveal shows it now
        evidence.summary = _mask_values(evidence.summary, ordered)
        evidence.passages = _mask_tree(evidence.passages, ordered, scan=True)
        evidence.data = _mask_tree(evidence.data, ordered, scan=False)
    out.masked = True
    return out


def _writable_copy(decision: Decision) -> Decision:
    """A copy of ``decision`` deep where :func:`seal` writes (hops with a text, evidence) and shared
    elsewhere: a post with 5,000 URLs has 5,000 chains, nearly all of one bare hop, and copying
    them all took a third of a second after the link budget had ended."""
    return decision.model_copy(update={
        "chains": [c.model_copy(deep=True) if any(h.text or h.sealed for h in c.hops) else c
                   for c in decision.chains],
        "signals": [s.model_copy(deep=True) for s in decision.signals],
        "reasons": [r.model_copy(deep=True) for r in decision.reasons],
    })


def readable(decision: Decision) -> Decision:
    """The Decision as it may be shown: masked; one stored before masking existed is masked now."""
    if decision.masked:
        if not any(hop.sealed for chain in decision.chains for hop in chain.hops):
            return decision.model_copy()  # nothing sealed to drop: no deep copy (the hot path)
        out = decision.model_copy(deep=True)
        for chain in out.chains:
            for hop in chain.hops:
                hop.sealed = None
        return out
    return seal(decision, keep=False)


def readable_json(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored decision (JSON) as it may be returned."""
    if not stored:
        return stored
    return readable(Decision.model_validate(stored)).model_dump(mode="json")


def stored_form(decision: Decision) -> dict[str, Any]:
    """The JSON to store: the masked decision plus each hop's sealed clear text."""
    data = decision.model_dump(mode="json")
    for chain_json, chain in zip(data.get("chains", []), decision.chains, strict=True):
        for hop_json, hop in zip(chain_json.get("hops", []), chain.hops, strict=True):
            if hop.sealed:
                hop_json["sealed"] = hop.sealed
    return data


def clear_text(hop: Hop) -> str:
    """A hop's clear text: decrypted from ``sealed`` (SealedUnreadable if this key cannot), or
    ``text`` when nothing was sealed."""
    return open_text(hop.sealed) if hop.sealed else hop.text


def seal_text(text: str) -> str:
    """``text`` encrypted with the reveal key (a hop's clear text, a webhook's signing secret)."""
    return _fernet().encrypt(text.encode()).decode()


def open_text(sealed: str) -> str:
    """What :func:`seal_text` sealed (SealedUnreadable if this key cannot decrypt it)."""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, UnicodeDecodeError, ValueError):
        raise SealedUnreadable("a sealed text cannot be decrypted with this deployment's reveal key "
                               f"({KEY_ENV} or {KEY_FILE_ENV}); was the key changed?") from None


def clear_chains(decision: Decision) -> list[LinkChain]:
    """The decision's chains with every hop's clear text (for deciding the post again)."""
    chains = [c.model_copy(deep=True) for c in decision.chains]
    for chain in chains:
        for hop in chain.hops:
            if hop.sealed:
                hop.text, hop.sealed = clear_text(hop), None
    return chains


# -- the post's own text ------------------------------------------------------------------------
def seal_post(post: Post, decision: Decision | None = None, *, scan: bool = True) -> dict[str, Any]:
    """The post's body to store (``posts.body``; its ``text`` also goes to ``posts.text``): the text
    and every attachment's text with their private values masked (the spans the decision's pii
    evidence points at, and what the finder finds), same length so spans stay valid, and every
    attachment's bytes (``content_b64``: a PDF, an image, whatever it holds) left out. When anything
    was masked or left out, the clear body goes encrypted under ``"sealed"``, which :func:`shown_body`
    drops and only :func:`clear_body` (deciding again, the audited reveal) opens."""
    body = post.model_dump(mode="json")
    by_subject = _evidence_spans(decision) if decision is not None else {}

    def masked(text: str, ref: str) -> str:
        spans = list(by_subject.get(ref, []))
        if scan:
            with contextlib.suppress(LeakwardenError):
                spans.extend((f.start, f.end) for f in find_all(text))
        spans = [(s, e) for s, e in spans if 0 <= s < e <= len(text)]
        return mask_spans(text, spans) if spans else text

    def attachment(a: dict[str, Any]) -> dict[str, Any]:
        shown = {**a, "content_b64": None} if a.get("content_b64") else a  # the bytes: sealed only
        if a.get("text"):
            shown = {**shown, "text": masked(a["text"], f"post → attachment:{a['name']}")}
        return shown

    out = {**body, "text": masked(post.text, "post"),
           "attachments": [attachment(a) for a in body.get("attachments", [])]}
    if out != body:
        out[SEALED_BODY] = _fernet().encrypt(json.dumps(body).encode()).decode()
    return out


def clear_body(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored post body in clear (SealedUnreadable if this deployment's key cannot open it)."""
    sealed = stored.get(SEALED_BODY)
    if not sealed:
        return stored
    try:
        clear: dict[str, Any] = json.loads(_fernet().decrypt(str(sealed).encode()))
        return clear
    except (InvalidToken, UnicodeDecodeError, ValueError):
        raise SealedUnreadable("a sealed post cannot be decrypted with this deployment's reveal key "
                               f"({KEY_ENV} or {KEY_FILE_ENV}); was the key changed?") from None


def shown_body(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored post body as it may be shown: masked, without its sealed part; a body stored before
    masking existed is masked now."""
    if SEALED_BODY in stored:
        return {k: v for k, v in stored.items() if k != SEALED_BODY}
    if not stored:
        return stored
    return {k: v for k, v in seal_post(Post.model_validate(stored)).items() if k != SEALED_BODY}


def clear_subject_text(decision: Decision, subject: str) -> str | None:
    """The clear text of the hop that a piece of evidence's subject names, or None."""
    target = subject.split(" → ")[-1]
    for chain in decision.chains:
        for hop in chain.hops:
            if (hop.canonical or hop.url) == target and hop.text:
                return clear_text(hop)
    return None
