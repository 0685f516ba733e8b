"""The spam detector: the shipped model on hand-written comments, learning from reports (at once,
per site and globally, across processes), the policy acting on it, and the model's plain files."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest
from scipy.special import logit

from leakwarden import Engine, Post
from leakwarden.errors import InvalidInput
from leakwarden.model import Subject, SubjectKind, Surface, Verdict
from leakwarden.policy.load import load_policy
from leakwarden.signals.catalog import signal_specs
from leakwarden.signals.spam import Comment, SpamDetector, comment_context
from leakwarden.signals.spam.model import DATA, MODEL_JSON, WEIGHTS_NPY, load
from leakwarden.signals.spam.train import TRAIN_WRITERS, choose_thresholds
from leakwarden.store.db import Database

# Written for these tests (not from bench/data/spam): the kinds the issue lists.
SPAM = [
    Comment("Best essay writing service! Your dissertation done in 24 hours, plagiarism free: "
            "https://top-grade-essays.online/order", "Essay Pro", "", "https://top-grade-essays.online"),
    Comment("Buy Viagra and Cialis online without prescription, cheapest prices, fast delivery "
            "https://rx-pharma-deals.store"),
    Comment("I made $7,500 in one week trading bitcoin with Mrs. Linda's signals, contact her on WhatsApp "
            "+1 555 201 7788"),
    Comment("الشيخ الروحاني أبو علي لجلب الحبيب ورد المطلقة وفك السحر، للتواصل واتساب 00966555123456"),
    Comment("قروض شخصية سريعة بدون كفيل وبدون تحويل راتب، للتواصل واتساب 0551234567"),
    Comment("أفضل موقع مراهنات رياضية، احصل على بونص 100% عند التسجيل https://bet-arab-win.xyz"),
]
HAM = [
    Comment("This is an outrage. The minister lied to parliament and should resign today.", "Sarah K"),
    Comment("The full court ruling is here if anyone wants to read it: "
            "https://www.supremecourt.gov/opinions/23pdf/22-451.pdf"),
    Comment("Agreed."),
    Comment("My brother lost his savings to a forex scam last year. Please people, do not send money to "
            "strangers on WhatsApp."),
    Comment("هذا كلام فارغ، الحكومة تكذب علينا منذ سنوات ولن يتغير شيء", "أبو خالد"),
    Comment("شكراً على التقرير، لكن الأرقام التي ذكرتموها عن البطالة غير دقيقة"),
    Comment("أنا أستخدم واتساب للتواصل مع أهلي في الخارج، وقطع الخدمة أثر علينا كثيراً"),
]
# A campaign the shipped model does not take for spam: a product pushed in a personal voice, reworded.
CAMPAIGN = [
    "Honestly the Moringa Calm tea from my aunt's shop helped my sleep more than anything, my whole family drinks it "
    "now {n}",
    "Honestly, Moringa Calm tea from my aunt's shop helped my sleep more than anything else, the whole family drinks "
    "it now {n}",
    "Moringa Calm tea from my aunt's shop honestly helped my sleep more than anything, my whole family drinks it "
    "these days {n}",
    "Honestly nothing helped my sleep like the Moringa Calm tea from my aunt's shop, now my whole family drinks it {n}",
    "The Moringa Calm tea from my aunt's shop honestly helped my sleep more than anything, and my whole family "
    "drinks it now {n}",
]


@pytest.fixture
def detector(db_url: str) -> SpamDetector:
    return SpamDetector(Database(db_url))


def post_subject(text: str) -> Subject:
    return Subject(kind=SubjectKind.POST_TEXT, text=text, surface=Surface.COMMENT)


@pytest.mark.parametrize("comment", SPAM, ids=[c.text[:30] for c in SPAM])
def test_spam_is_spam(detector: SpamDetector, comment: Comment) -> None:
    score = detector.score(comment)
    assert score.spam, f"{score.probability:.3f}"
    signals = detector.detect(post_subject(comment.text))
    assert [s.kind for s in signals] == ["spam"]
    assert signals[0].attrs["lang"] == ("ar" if any("\u0600" <= ch <= "\u06ff" for ch in comment.text) else "en")


@pytest.mark.parametrize("comment", HAM, ids=[c.text[:30] for c in HAM])
def test_hard_ham_is_ham(detector: SpamDetector, comment: Comment) -> None:
    score = detector.score(comment)
    assert not score.spam and not score.blatant, f"{score.probability:.3f}"
    # at most the uncertain band: shown, for a person to look at (tests/test_spam_private.py)
    assert all(s.attrs["review"] for s in detector.detect(post_subject(comment.text)))


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01", "a" * 300_000, "🙂" * 1000, "٠١٢٣٤٥٦٧٨٩", "\u202e"])
def test_odd_text_never_raises(detector: SpamDetector, text: str) -> None:
    signals = detector.detect(post_subject(text))
    assert all(0.0 <= s.strength <= 1.0 for s in signals)


def test_a_campaign_is_learnt_from_two_reports(detector: SpamDetector) -> None:
    texts = [t.format(n=i) for i, t in enumerate(CAMPAIGN)]
    before = [detector.score(Comment(t)).probability for t in texts[2:]]
    assert max(before) < detector.model.thresholds.spam, before  # the shipped model misses them
    for text in texts[:2]:
        detector.report(Comment(text), "spam", site="news.example", source="api", actor="test")
    after = [detector.score(Comment(t), "other.example") for t in texts[2:]]
    assert all(s.spam and s.campaign is not None for s in after), [s.probability for s in after]
    assert detector.score(HAM[0]).spam is False  # the rest of the world is unchanged


def test_reports_move_what_is_particular_to_them(detector: SpamDetector) -> None:
    """The model itself learns the campaign (the memory aside), and the rest of the world does not
    move: a report steps through the features particular to its comment, never the common ones
    ("no link", the script, function words) that every comment shares."""
    texts = [Comment(t.format(n=i)) for i, t in enumerate(CAMPAIGN)]
    ham_before = [detector.score(c).model for c in HAM]
    rest_before = [detector.score(c).model for c in texts[2:]]
    for comment in texts[:2]:
        detector.report(comment, "spam", site="news.example", source="api", actor="test")
    ham_after = [detector.score(c).model for c in HAM]
    rest_after = [detector.score(c).model for c in texts[2:]]
    moved = np.abs(logit(np.array(ham_after)) - logit(np.array(ham_before)))
    assert moved.max() < 0.5, dict(zip([c.text[:30] for c in HAM], moved.round(2), strict=True))
    assert min(rest_after) > max(rest_before) and np.mean(rest_after) >= detector.model.thresholds.review


def test_ham_reports_count_on_their_site_only(detector: SpamDetector) -> None:
    text = "Forex signals group, 90% accuracy, join our Telegram @fx_daily_gold for free entries"
    assert detector.score(Comment(text)).spam
    detector.report(Comment(text), "ham", site="traders.example", source="api", actor="test")
    reworded = "Forex signals group with 90% accuracy: join our Telegram @fx_daily_gold for free entries"
    assert not detector.score(Comment(reworded), "traders.example").spam
    assert detector.score(Comment(reworded), "news.example").spam


def test_reports_reach_every_process_sharing_the_database(db_url: str) -> None:
    one, two = SpamDetector(Database(db_url)), SpamDetector(Database(db_url))
    text = CAMPAIGN[0].format(n=99)
    one.report(Comment(text), "spam", site="a.example", source="api", actor="test")
    two.refresh(force=True)
    assert two.reports_learnt == 1
    assert two.score(Comment(CAMPAIGN[1].format(n=98))).campaign is not None


@pytest.mark.parametrize("label,site,text,code", [
    ("maybe", "", "hello", "invalid_label"),
    ("spam", "x" * 301, "hello", "invalid_site"),
    ("spam", "", "   ", "invalid_comment"),
])
def test_bad_reports_are_refused(detector: SpamDetector, label: str, site: str, text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        detector.report(Comment(text), label, site=site)
    assert caught.value.code == code


def test_author_fields_are_read_in_a_comment_context(detector: SpamDetector) -> None:
    text = "Thanks for the update, very useful information for the community."
    detector.model.thresholds.spam = 0.01  # every text gets a signal: compare strengths
    [plain] = detector.detect(post_subject(text))
    with comment_context(Comment(text, "Cheap CBD Oil Wholesale", "", "https://cbd-oil-wholesale.store"), "x"):
        [fielded] = detector.detect(post_subject(text))
        [other] = detector.detect(post_subject("Great article, keep it up!"))  # the context is for its own text only
    assert logit(fielded.strength) > logit(plain.strength) + 1.0  # e times the odds, at least
    assert other.evidence[0].data["site"] == "" and fielded.evidence[0].data["site"] == "x"


@pytest.mark.parametrize("policy,surface,verdict,discard", [
    ("strict", Surface.COMMENT, Verdict.REMOVE, True),
    ("share-block", Surface.COMMENT, Verdict.RESTRICT, True),
    ("strict", Surface.POST, Verdict.ALLOW, True),
])
def test_policies_act_on_comment_spam(db_url: str, policy: str, surface: Surface, verdict: Verdict,
                                      discard: bool, discarding_spam: Callable[[Database], SpamDetector]) -> None:
    db = Database(db_url)
    engine = Engine(db, policy=policy, detectors=[discarding_spam(db)])
    decision = engine.check(Post(id="c1", author="a", text=SPAM[1].text, surface=surface))
    assert decision.verdict is verdict
    spam = [s for s in decision.signals if s.kind == "spam"]
    assert spam and spam[0].attrs["blatant"] is discard


def test_likely_spam_is_held_for_review(db_url: str) -> None:
    db = Database(db_url)
    detector = SpamDetector(db)
    detector.model.thresholds.blatant = 1.01  # nothing is blatant: every spam is "likely"
    engine = Engine(db, policy="strict", detectors=[detector])
    decision = engine.check(Post(id="c1", author="a", text=SPAM[0].text, surface=Surface.COMMENT))
    assert decision.verdict is Verdict.RESTRICT
    assert [a.type.value for a in decision.actions] == ["queue_review"]


def test_a_policy_may_name_the_spam_signal() -> None:
    assert "spam" in signal_specs()
    assert {c.id for c in load_policy("strict").clauses} >= {"comment-spam", "blatant-comment-spam"}


def test_the_shipped_model_is_plain_json_and_npy() -> None:
    meta = json.loads((DATA / MODEL_JSON).read_text(encoding="utf-8"))
    # every writer of bench/data/spam: bench_spam.py trains its own model on the writers it does not hold out
    assert meta["format"] == 1 and set(meta["trained_on"]) == {f"comments_{w}.jsonl" for w in TRAIN_WRITERS.split(",")}
    assert meta["thresholds_from"] == "out-of-fold probabilities, one fold per writer"
    rows = np.load(DATA / WEIGHTS_NPY, allow_pickle=False)
    assert rows.ndim == 2 and rows.shape[1] == 2 and rows.shape[0] > 1000
    model = load()
    assert 0 < model.thresholds.review <= model.thresholds.spam < model.thresholds.blatant <= 1


@pytest.mark.parametrize("top_ham,at_least,at_most", [
    (0.40, 0.97, 0.97),  # the floor
    (0.99, 0.9962, 0.9963),  # e times the odds of the most spam-like ham
    (0.99997, 0.99998, 0.999995),  # not capped at 0.995: this ham would have been discarded
    (0.9999999, 0.999999, 0.999999),  # the ceiling: a probability under 1 still discards
])
def test_blatant_stays_above_every_ham(top_ham: float, at_least: float, at_most: float) -> None:
    ham = np.array([0.01] * 199 + [top_ham])  # one hard ham in 200: within the spam threshold's 0.75 %
    spam = np.linspace(0.3, 1.0, 40)
    th = choose_thresholds(np.concatenate([ham, spam]), np.array([0] * len(ham) + [1] * len(spam)))
    assert at_least <= th.blatant <= at_most
    assert th.blatant > min(top_ham, 0.999998)  # above the ham, short of the ceiling
