"""Images as evidence for reviewers: kept when a post is stored, shown blurred where the private
information is, and in clear only after an audited reveal (as a masked text span is:
``enforcement.review.reveal``)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leakwarden.audit import log as audit
from leakwarden.enforcement.review import DECIDE_ROLE, get_case
from leakwarden.errors import NotFound
from leakwarden.links.ocr import ImageError, paint_regions
from leakwarden.model import Decision, Evidence, Post
from leakwarden.signals.images.tables import ImageEvidenceRow
from leakwarden.signals.pii import atrest
from leakwarden.store.tables import PostRow


def _located(decision: Decision) -> set[str]:
    """The subjects whose private-information evidence points to image regions."""
    return {e.subject for s in decision.signals if s.kind == "pii" for e in s.evidence if e.data.get("regions")}


def keep(s: Session, post_id: str, decision: Decision) -> None:
    """Store (encrypted) each fetched image of the decision's chains that private information was
    found in. Called in the transaction that stores the post."""
    wanted = _located(decision)
    if not wanted:
        return
    for chain in decision.chains:
        for index, hop in enumerate(chain.hops):
            ref = atrest.hop_ref(chain, index)
            if hop.content and ref in wanted:
                wanted.discard(ref)
                s.add(ImageEvidenceRow(post_id=post_id, subject=ref, sha256=hashlib.sha256(hop.content).hexdigest(),
                                       sealed=atrest.seal_bytes(hop.content)))


def _image_of(s: Session, post: Post, post_id: str, subject: str) -> bytes | None:
    path = subject.split(" → ")
    if len(path) == 2 and path[1].startswith("attachment:"):
        name = path[1][len("attachment:"):]
        attachment = next((a for a in post.attachments if a.name == name and a.content_b64), None)
        if attachment is None or attachment.content_b64 is None:
            return None
        try:
            return base64.b64decode(attachment.content_b64, validate=True)
        except (binascii.Error, ValueError):
            return None
    row = s.scalar(select(ImageEvidenceRow).where(ImageEvidenceRow.post_id == post_id,
                                                  ImageEvidenceRow.subject == subject))
    return atrest.open_bytes(row.sealed) if row is not None else None


def _evidence(s: Session, case_id: int, ref: str) -> tuple[str, Evidence, bytes]:
    """The case's post id, the evidence ``ref`` ("reason.evidence") names, and its image's bytes."""
    try:
        r, e = (int(x) for x in ref.split("."))
    except ValueError:
        raise NotFound(f"no evidence {ref!r}") from None
    case = get_case(s, case_id)
    row = s.get(PostRow, case.post_id) if case.post_id is not None else None
    if row is None or not row.decision:
        raise NotFound(f"case {case_id} has no decided post")
    decision = Decision.model_validate(row.decision)
    try:
        found = decision.reasons[r].evidence[e]
    except IndexError:
        raise NotFound(f"case {case_id} has no evidence {ref}") from None
    image = None
    if found.data.get("regions"):  # an attachment's bytes are in the sealed body only
        image = _image_of(s, Post.model_validate(atrest.clear_body(row.body)), row.id, found.subject)
    if image is None:
        raise NotFound(f"evidence {ref} of case {case_id} points to no image")
    return row.id, found, image


def _boxes(evidence: Evidence) -> list[tuple[int, int, int, int]]:
    boxes: list[Any] = evidence.data.get("regions") or []
    return [(int(b[-4]), int(b[-3]), int(b[-2]), int(b[-1])) for b in boxes if len(b) == 4]


def blurred(s: Session, case_id: int, ref: str) -> bytes:
    """The evidence's image as PNG, its private regions blurred (what the console shows first)."""
    _, evidence, image = _evidence(s, case_id, ref)
    try:
        return paint_regions(image, _boxes(evidence), style="blur")
    except ImageError as exc:
        raise NotFound(f"the image of evidence {ref} cannot be shown: {exc.message}") from None


def reveal(s: Session, case_id: int, ref: str, who: Any) -> bytes:
    """The evidence's image as it was posted (PNG of its first frame). The reveal is audited."""
    who.require(DECIDE_ROLE)
    post_id, evidence, image = _evidence(s, case_id, ref)
    try:
        clear = paint_regions(image, [], style="blur")
    except ImageError as exc:
        raise NotFound(f"the image of evidence {ref} cannot be shown: {exc.message}") from None
    audit.append(s, actor=who.name, kind="pii.image_revealed", subject_type="case", subject_id=str(case_id),
                 payload={"post_id": post_id, "evidence": ref, "label": evidence.summary.split(" ")[0],
                          "regions": len(_boxes(evidence))})
    return clear
