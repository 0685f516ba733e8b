"""A long comment's passages (``signals/spam/passages.py``): a pitch hidden in a long on-topic
comment is read on its own, and the comment scores at least as high as its most spam-like passage."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from leakwarden.signals.spam import train as T
from leakwarden.signals.spam.features import MAX_FEATURE_CHARS, N_FEATURES, Comment, Featurizer
from leakwarden.signals.spam.model import ModelFile, SpamModel, Thresholds
from leakwarden.signals.spam.passages import MAX_PASSAGES, MIN_WORDS, SPAN, Passages, passages

ON_TOPIC = [
    "The council voted to close the library branch on Tuesday after a long debate.",
    "Several residents spoke against the plan and asked for a delay until spring.",
    "The budget gap is real, but the branch is the only one within walking distance for many families.",
    "Nobody on the council explained why the reading room could not share the building with the clinic.",
    "I hope the local paper keeps following this story when the contracts are signed.",
]
PITCH = "Need cash fast? Message Sheikh Karim on WhatsApp for a loan today."
LONG = " ".join([*ON_TOPIC[:2], PITCH, *ON_TOPIC[2:]])


def words(n: int) -> str:
    return " ".join(["word"] * n)


@pytest.mark.parametrize("text,expected", [
    ("Too short. To split. Into passages.", []),  # under MIN_WORDS: read whole
    (words(MIN_WORDS) + ".", []),  # one sentence
    (f"{words(MIN_WORDS // 2)}. {words(MIN_WORDS // 2)}.", []),  # SPAN sentences: the whole is the passage
    (f"{words(30)}. {words(20)}! {words(10)}? {words(5)}",
     [f"{words(30)}. {words(20)}!", f"{words(20)}! {words(10)}?", f"{words(10)}? {words(5)}"]),
    (f"{words(30)}\n{words(20)}\n\n{words(10)}", [f"{words(30)} {words(20)}", f"{words(20)} {words(10)}"]),
    (f"{words(30)}؟ {words(20)}. {words(10)}", [f"{words(30)}؟ {words(20)}.", f"{words(20)}. {words(10)}"]),
    (f"{words(30)} 3.5 {words(20)}. e.g.{words(10)}", []),  # no space after the point: one sentence
])
def test_a_long_comment_is_cut_into_runs_of_sentences(text: str, expected: list[str]) -> None:
    assert SPAN == 2
    assert passages(text) == expected


@pytest.mark.parametrize("text", [
    "Buy now. " * 7_000,  # 63,000 characters of short sentences
    "a. " * 20_000,
    "word " * 60 + ". x" * 20_000,
])
def test_a_huge_comment_is_read_by_a_bounded_number_of_passages_in_its_head(text: str) -> None:
    found = passages(text)
    assert 0 < len(found) <= MAX_PASSAGES
    assert all(p in text[:MAX_FEATURE_CHARS] for p in found)


def test_each_passage_keeps_its_comment_and_author_fields() -> None:
    comments = [Comment("short"), Comment(LONG, author="Reader", url="https://example.org/"), Comment(LONG)]
    found = Passages.of(comments)
    n = len(passages(LONG))
    assert n == 6 and list(found.owner) == [1] * n + [2] * n
    assert [c.text for c in found.comments] == passages(LONG) * 2
    assert {c.url for c in found.comments[:n]} == {"https://example.org/"}
    assert found.highest(np.arange(2 * n) / 10, 3).tolist() == [0.0, 0.5, 1.1]


def pitch_model() -> SpamModel:
    """A first reading as a trained one reads a long on-topic comment with a pitch inside: the
    pitch's own n-grams weigh for spam, every other n-gram a little for ham, so that the whole
    comment's margin is negative and the pitch's passage's positive."""
    featurizer = Featurizer()
    pitch = sorted(set(featurizer.transform([Comment(PITCH)]).indices)
                   - set(featurizer.transform([Comment(" ".join(ON_TOPIC))]).indices))
    weights = -np.ones(N_FEATURES)
    weights[pitch] = 0.0

    def sums(text: str) -> tuple[float, float]:  # the pitch's n-grams, the others
        row = featurizer.transform([Comment(text)])
        return float(row[:, pitch].sum()), float(-(row @ weights)[0])

    (a1, b1), (a2, b2) = sums(LONG), sums(f"{ON_TOPIC[1]} {PITCH.split('? ')[0]}?")
    assert b1 / a1 > b2 / a2  # the premise: the rest of a long comment outweighs the pitch
    weights[pitch] = (b1 / a1 + b2 / a2) / 2
    return SpamModel(ModelFile(intercept=0.0, weights=weights, thresholds=Thresholds(spam=0.6, review=0.3)),
                     meaning=None)


def test_a_pitch_hidden_in_a_long_comment_scores_as_its_passage() -> None:
    model = pitch_model()
    comment = Comment(LONG)
    whole = float(model.probability(model.features([comment]))[0])
    read = float(model.probability(model.features([comment]), [comment])[0])
    best = max(float(model.probability(model.features([Comment(p)]))[0]) for p in passages(LONG))
    assert len(LONG.split()) >= MIN_WORDS
    assert whole < 0.6 <= read  # diluted in the whole comment, spam in its passage
    assert read == pytest.approx(best)
    clean = Comment(" ".join(ON_TOPIC * 2))
    assert float(model.probability(model.features([clean]), [clean])[0]) < 0.3


def test_the_out_of_fold_probabilities_read_the_passages_too() -> None:
    ham = [T.Labelled(f"h{i}", f"w{i % 3}", "en", False, "", None, Comment(" ".join(ON_TOPIC[i % 5:] + ON_TOPIC)))
           for i in range(12)]
    spam = [T.Labelled(f"s{i}", f"w{i % 3}", "en", True, "", None, Comment(f"{PITCH} Call {i} now."))
            for i in range(12)]
    hidden = T.Labelled("x", "w0", "en", True, "", None, Comment(LONG))
    # the same words as one sentence: read whole only
    run_on = dataclasses.replace(hidden, comment=Comment(LONG.replace(". ", ", ").replace("? ", ", ")))
    oof = T.out_of_fold([*ham, *spam, hidden], jobs=1)
    whole = T.out_of_fold([*ham, *spam, run_on], jobs=1)
    assert oof.first[-1] > whole.first[-1] and oof.first[-1] > 0.5
    assert np.array_equal(oof.first, oof.final)  # no second reading here
