"""Where the spam detector stops: doxxing is private information, not spam; an uncertain comment is
held for a person, not called spam; a post that is not a comment is checked only when it has a way
out (a link, contact details)."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from leakwarden import Engine, Post
from leakwarden.model import Subject, SubjectKind, Surface, Verdict
from leakwarden.service.app import create_app
from leakwarden.service.auth import create_key
from leakwarden.signals.pii.detector import PiiDetector
from leakwarden.signals.spam import Comment, SpamDetector
from leakwarden.signals.spam.features import has_bait
from leakwarden.signals.spam.model import SpamModel
from leakwarden.signals.spam.private import exposed_person
from leakwarden.store.db import Database

# Written for these tests: a person's private information, posted in anger (not spam).
DOXXING = [
    ("The admin who left the database open is Jason Pike, 2231 Birchwood Ave, Columbus OH 43215. "
     "Make his life hell.", "STREET_ADDRESS"),
    ("Found him: Daniel Ortiz, SSN 512-44-8391, lives at 77 Grant St, Apt 4, Boston MA 02118", "US_SSN"),
    ("That's the clerk who leaked it. His number is (614) 555-0188, go ask him yourselves why he did it.",
     "PHONE"),
    ("الموظف المسؤول عن التسريب اسمه فهد العنزي، ساكن في حي الياسمين شارع ٢٣ بيت رقم ١٤، وهذا رقم جواله 0509876543",
     "STREET_ADDRESS"),
    ("هذا هو اللي فضحنا، رقم جواله 0557771234 خلوه يندم", "PHONE"),
]
# Contact bait that names a third person is spam still: it asks to be contacted.
BAIT = [
    "I want to thank Dr Oduya for bringing back my husband. His WhatsApp is +234 813 555 0147, contact him now!!",
    "أنا كنت محتاج مبلغ للزواج ونصحوني بالأستاذ خالد، عطاني تمويل خلال 24 ساعة بدون فوائد. رقمه على الواتساب "
    "+966 53 019 7741 الله يجزاه خير",
]


@pytest.fixture(scope="module")
def detector() -> SpamDetector:
    return SpamDetector()


@pytest.mark.parametrize("text,label", DOXXING)
def test_doxxing_is_private_not_spam(detector: SpamDetector, text: str, label: str) -> None:
    """Never spam, however spam-like the model finds it. A lone phone number said to be someone's
    is left to a person (``review``) when the model finds it spam-like: no policy acts on a phone
    number alone, and a testimonial's contact bait says the same words."""
    assert exposed_person(text) == label
    result = detector.score(Comment(text))
    assert not result.spam and not result.review and not result.blatant
    subject = Subject(kind=SubjectKind.POST_TEXT, text=text, surface=Surface.COMMENT)
    assert detector.detect(subject) == []
    # the same comment, had the model found it spam (thresholds under its probability)
    doubtful = SpamDetector(model=SpamModel(detector.model.file))
    p = result.probability
    doubtful.model.thresholds = dataclasses.replace(doubtful.model.thresholds, review=p / 3, spam=p / 2,
                                                    blatant=p * 0.9)
    again = doubtful.score(Comment(text))
    assert not again.spam and not again.blatant
    assert again.review is (label == "PHONE")
    assert [s.attrs["review"] for s in doubtful.detect(subject)] == ([True] if label == "PHONE" else [])


@pytest.mark.parametrize("text", BAIT)
def test_contact_bait_naming_someone_is_still_spam(detector: SpamDetector, text: str) -> None:
    assert exposed_person(text) is None
    assert detector.score(Comment(text)).spam


def test_doxxing_comment_is_held_as_private_information(db_url: str) -> None:
    """Through the engine: the pii signal holds it for a person; no spam signal, so no discard."""
    db = Database(db_url)
    engine = Engine(db, policy="strict", detectors=[PiiDetector(), SpamDetector(db)])
    for i, (text, _) in enumerate(DOXXING):
        decision = engine.check(Post(id=f"d{i}", author="a", text=text, surface=Surface.COMMENT))
        kinds = {s.kind for s in decision.signals}
        assert "pii" in kinds and "spam" not in kinds, text


def test_a_testimonial_offering_a_third_partys_number_is_not_cleared(db_url: str) -> None:
    """Contact bait in doxxing's words ("whoever wants his number, here it is"): not called spam
    (it might be doxxing), and not shown as clean either (no policy acts on a lone phone number):
    a person sees it. Written for this test."""
    db = Database(db_url)
    engine = Engine(db, policy="strict", detectors=[PiiDetector(), SpamDetector(db)])
    text = ("زوجي كان بعيد عني سنة كاملة، ودلتني جارتي على الشيخ أبو سالم وعمل لي عمل محبة، والحين زوجي ما يطلع "
            "من البيت. اللي يبي رقمه هذا 0097455123377 الله يجزاه خير")
    assert exposed_person(text) == "PHONE"
    decision = engine.check(Post(id="t1", author="a", text=text, surface=Surface.COMMENT))
    assert decision.verdict is Verdict.ALLOW
    assert [r.clause for r in decision.reasons] == ["uncertain-comment-spam"]
    assert any(a.type.value == "queue_review" for a in decision.actions)



def test_uncertain_band_is_held_for_review_not_spam(db_url: str) -> None:
    """A comment between the review and spam thresholds: shown (Akismet answers false), queued for
    a moderator, its signal marked ``review``."""
    db = Database(db_url)
    spam = SpamDetector(db)
    text = "Honestly the Moringa Calm tea from my aunt's shop helped my sleep, my whole family drinks it now"
    p = spam.score(Comment(text)).probability
    spam.model.thresholds = dataclasses.replace(spam.model.thresholds, review=p / 2, spam=min(0.999, p + 0.01))
    engine = Engine(db, policy="strict", detectors=[PiiDetector(), spam])
    decision = engine.check(Post(id="u1", author="a", text=text, surface=Surface.COMMENT))
    [signal] = [s for s in decision.signals if s.kind == "spam"]
    assert signal.attrs["review"] is True and signal.attrs["blatant"] is False
    assert decision.verdict is Verdict.ALLOW
    assert [r.clause for r in decision.reasons] == ["uncertain-comment-spam"]
    assert any(a.type.value == "queue_review" for a in decision.actions)
    key = create_key(db, "submitter")[1]
    with TestClient(create_app(engine)) as http:
        answer = http.post("/1.1/comment-check", data={"api_key": key, "blog": "https://news.example",
                                                         "user_ip": "198.51.100.1", "comment_content": text})
    assert answer.text == "false" and "X-leakwarden-spam" not in answer.headers
    assert answer.headers["X-leakwarden-reasons"] == "uncertain-comment-spam"


@pytest.mark.parametrize("text,bait", [
    ("Cheap pills, best prices, order today", False),
    ("Cheap pills, best prices, order today https://pills.top", True),
    ("Cheap pills, best prices, WhatsApp me", True),
    ("Cheap pills, best prices: +1 415 555 0102", True),
    ("حبوب تنحيف بأفضل الأسعار، للتواصل على الخاص", True),
    ("The council lied about the libraries.", False),
])
def test_only_comments_or_posts_with_a_way_out_are_checked(detector: SpamDetector, text: str, bait: bool) -> None:
    assert has_bait(text) is bait
    post = Subject(kind=SubjectKind.POST_TEXT, text=text, surface=Surface.POST)
    comment = post.model_copy(update={"surface": Surface.COMMENT})
    p = detector.score(Comment(text)).probability
    spammy = p >= detector.model.thresholds.review
    assert bool(detector.detect(comment)) is spammy
    assert bool(detector.detect(post)) is (spammy and bait)
