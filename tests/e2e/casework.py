"""The defining case as review material: a journalist links a newsletter page that links a leaked
dossier PDF (a home address and a partial SSN, known to a bank in Arabic). Deterministic stand-ins
for the link expander and the PII and bank detectors, so review and console tests do not depend on
models or the network. Imported as ``e2e.casework`` by tests/test_review.py, tests/test_console*.py
and tests/e2e/."""

from __future__ import annotations

import hashlib

from leakwarden.engine import Engine
from leakwarden.model import Evidence, Hop, LinkChain, Post, Signal, Subject, SubjectKind
from leakwarden.signals.base import TEXT_SUBJECTS

ADDRESS = "12 Cedar Lane, Springfield"
SSN = "SSN ending 6789"
NEWSLETTER = "https://newsletter.example/p/dossier"
PDF = "https://files.example/leaks/dossier.pdf"
ENGLISH = "The campaign dossier lists the candidate's donors and private meetings"
ARABIC = "يسرد ملف الحملة المانحين للمرشح واجتماعاته الخاصة"
PDF_TEXT = f"{ENGLISH}. Home: {ADDRESS}. {SSN}."


class FixtureExpander:
    """post → newsletter page → dossier PDF."""

    def expand(self, urls: list[str], *, budget_s: float | None = None, refetch: bool = False) -> list[LinkChain]:
        chains = []
        for url in urls:
            hops = [Hop(url=url, canonical=url, via="post", status=200, content_type="text/html",
                        text="Our newsletter: read the leaked file.")]
            if url == NEWSLETTER:
                hops.append(Hop(url=PDF, canonical=PDF, via="outlink", status=200, content_type="application/pdf",
                                text=PDF_TEXT, depth=1, parent=0))
            chains.append(LinkChain(url=url, hops=hops))
        return chains


class FixturePii:
    kind = "pii"
    subjects: frozenset[SubjectKind] = TEXT_SUBJECTS

    def detect(self, subject: Subject) -> list[Signal]:
        evidence = []
        for label, value in (("STREET_ADDRESS", ADDRESS), ("US_SSN_PARTIAL", SSN)):
            at = subject.text.find(value)
            if at >= 0:
                evidence.append(Evidence(summary=label, subject=subject.ref, span=(at, at + len(value)), data={
                    "label": label, "masked_value": "•" * 6, "masked": False,
                    "sha256": hashlib.sha256(value.encode()).hexdigest()}))
        if len(evidence) < 2:
            return []
        return [Signal(kind="pii", strength=0.95, subject_kind=subject.kind, subject=subject.ref,
                       attrs={"labels": ["STREET_ADDRESS", "US_SSN_PARTIAL"], "unredacted": True,
                              "redacted": False, "dossier": True, "count": 2}, evidence=evidence)]


class FixtureBank:
    kind = "bank"
    subjects: frozenset[SubjectKind] = TEXT_SUBJECTS

    def detect(self, subject: Subject) -> list[Signal]:
        at = subject.text.find(ENGLISH)
        if at < 0:
            return []
        passages = [{"query": {"start": at, "end": at + len(ENGLISH), "text": ENGLISH, "lang": "en"},
                     "item": {"start": 0, "end": len(ARABIC), "text": ARABIC, "lang": "ar"}, "score": 0.91}]
        return [Signal(kind="bank", strength=0.91, subject_kind=subject.kind, subject=subject.ref,
                       attrs={"bank": "leaks", "item": "dossier-ar", "method": "crosslingual",
                              "label": "hack-and-leak, state-backed", "review": False},
                       evidence=[Evidence(summary="crosslingual match with leaks/dossier-ar", subject=subject.ref,
                                          item="leaks/dossier-ar", passages=passages)])]


def casework_engine(db_url: str) -> Engine:
    return Engine(db_url, policy="strict", detectors=[FixturePii(), FixtureBank()], expander=FixtureExpander())


def journalist_post(pid: str = "p-dossier", author: str = "journo") -> Post:
    return Post(id=pid, author=author, text=f"Must read: {NEWSLETTER}")


def doxx_post(pid: str = "p-doxx", author: str = "troll") -> Post:
    return Post(id=pid, author=author, text=f"Here is where she lives: {ADDRESS}, {SSN}. مرحبا بكم")


def seed(engine: Engine) -> None:
    """Two decided posts (each opens a policy case and suspends its author) and one harmless one."""
    engine.ingest(journalist_post())
    engine.ingest(doxx_post())
    engine.ingest(Post(id="p-ok", author="reader", text="مساء الخير، good evening"))
