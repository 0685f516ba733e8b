"""The spam model: a linear classifier (scikit-learn) over :mod:`features`, learnt offline from
``bench/data/spam`` and online from reviewers' reports.

The shipped model is plain data beside this file (no pickle): ``data/model.json`` (settings,
thresholds, how it was trained and measured) and ``data/weights.npy`` (the non-zero weights as a
float64 array of ``[index, weight]`` rows) with the intercept in the JSON. The second reading
(:mod:`.semantic`: the same features and the comment's sentence vector) has its own weights,
``data/semantic.npy``, and its own intercept and thresholds under ``"semantic"`` in the JSON, with
the name of the embedder whose vectors it read. ``data/common.npy`` lists the features found in
many training comments. The weights come from ``LogisticRegression`` (``train.py``);
:class:`SpamModel` copies them and learns each report at once, by a bounded step of the logistic
loss through the features particular to the reported comment (:meth:`SpamModel.learn`). When the
active embedder is not the one the second reading was trained with (or is ``none``), the first
reading alone decides, at its own thresholds. Either way, a long comment scores at least as high
as its most spam-like passage, read by the first (:mod:`.passages`).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from leakwarden.signals.spam.features import N_FEATURES, Comment, Featurizer
from leakwarden.signals.spam.passages import highest_passage
from leakwarden.signals.spam.semantic import BAND, WEIGHT, Meaning, in_band, with_meaning

DATA = Path(__file__).parent / "data"
MODEL_JSON = "model.json"
WEIGHTS_NPY = "weights.npy"
SEMANTIC_NPY = "semantic.npy"
COMMON_NPY = "common.npy"
SECOND_READING_ENV = "LEAKWARDEN_SPAM_SECOND_READING"


@dataclass
class Thresholds:
    """``spam``: a probability at or over it is spam; ``blatant``: so sure that Akismet's
    ``discard`` is safe (chosen so that no ham in training cross-validation reaches it);
    ``review``: from it up to ``spam``, the comment is uncertain: a signal for a person to look at,
    not a spam verdict (equal to ``spam``: no such band)."""

    spam: float = 0.5
    blatant: float = 0.97
    review: float = 0.5


@dataclass
class SecondReading:
    """The second reading's linear model (:mod:`.semantic`) and the thresholds in force with it."""

    embedder: str  # the name of the embedder whose vectors it was trained on
    dim: int
    intercept: float
    weights: np.ndarray  # dense, N_FEATURES + dim
    thresholds: Thresholds = field(default_factory=Thresholds)


@dataclass
class ModelFile:
    intercept: float
    weights: np.ndarray  # dense, N_FEATURES
    thresholds: Thresholds = field(default_factory=Thresholds)  # the first reading's alone
    info: dict[str, Any] = field(default_factory=dict)
    semantic: SecondReading | None = None
    #: the features found in many training comments (``train.COMMON_SHARE``), which reports leave alone
    common: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def _nonzero(coef: np.ndarray) -> np.ndarray:
    nz = np.flatnonzero(np.abs(coef) > 1e-6)
    return np.stack([nz.astype(np.float64), coef[nz].astype(np.float64)], axis=1)


def _dense(rows: np.ndarray, n: int) -> np.ndarray:
    weights = np.zeros(n, dtype=np.float64)
    if rows.size:
        weights[rows[:, 0].astype(np.int64)] = rows[:, 1]
    return weights


def save(directory: Path, model: ModelFile) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    np.save(directory / WEIGHTS_NPY, _nonzero(model.weights), allow_pickle=False)
    np.save(directory / COMMON_NPY, np.asarray(model.common, dtype=np.int32), allow_pickle=False)
    meta: dict[str, Any] = {"format": 1, "n_features": N_FEATURES, "intercept": float(model.intercept),
                            "thresholds": dataclasses.asdict(model.thresholds), **model.info}
    second = model.semantic
    if second is not None:
        np.save(directory / SEMANTIC_NPY, _nonzero(second.weights), allow_pickle=False)
        meta["semantic"] = {"embedder": second.embedder, "dim": second.dim, "intercept": float(second.intercept),
                            "weight": WEIGHT, "band": list(BAND), "thresholds": dataclasses.asdict(second.thresholds)}
    else:
        (directory / SEMANTIC_NPY).unlink(missing_ok=True)
    (directory / MODEL_JSON).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _thresholds(th: dict[str, Any]) -> Thresholds:
    return Thresholds(spam=float(th.get("spam", 0.5)), blatant=float(th.get("blatant", 0.97)),
                      review=float(th.get("review", th.get("spam", 0.5))))


def load(directory: Path = DATA) -> ModelFile:
    """The model in ``directory`` (read once per process; the weights are copied by each user)."""
    return _load(directory.resolve())


@functools.lru_cache(maxsize=4)
def _load(directory: Path) -> ModelFile:
    meta = json.loads((directory / MODEL_JSON).read_text(encoding="utf-8"))
    if meta.get("format") != 1 or meta.get("n_features") != N_FEATURES:
        raise ValueError(f"{directory / MODEL_JSON}: not a spam model this version reads")
    weights = _dense(np.load(directory / WEIGHTS_NPY, allow_pickle=False), N_FEATURES)
    second = None
    part = meta.get("semantic")
    if isinstance(part, dict):
        if part.get("weight") != WEIGHT or part.get("band") != list(BAND):
            raise ValueError(f"{directory / MODEL_JSON}: a second reading of another weight or band")
        dim = int(part["dim"])
        second = SecondReading(embedder=str(part["embedder"]), dim=dim, intercept=float(part["intercept"]),
                               weights=_dense(np.load(directory / SEMANTIC_NPY, allow_pickle=False), N_FEATURES + dim),
                               thresholds=_thresholds(part.get("thresholds", {})))
    return ModelFile(intercept=float(meta["intercept"]), weights=weights,
                     thresholds=_thresholds(meta.get("thresholds", {})),
                     info={k: v for k, v in meta.items() if k not in ("intercept", "thresholds", "semantic")},
                     semantic=second, common=(np.load(directory / COMMON_NPY, allow_pickle=False).astype(np.int64)
                                              if (directory / COMMON_NPY).exists() else np.zeros(0, dtype=np.int64)))


@dataclass
class Linear:
    """One reading's weights as they learn: the file's, copied, then moved by reports."""

    weights: np.ndarray
    intercept: float

    @classmethod
    def of(cls, weights: np.ndarray, intercept: float) -> Linear:
        return cls(np.array(weights, dtype=np.float64), float(intercept))

    def margin(self, rows: sp.csr_matrix) -> np.ndarray:
        return np.asarray(rows @ self.weights + self.intercept, dtype=np.float64)


_FROM_ENV = object()
#: a report's step: it moves its own comment's log-odds by at most RATE x its weight (2 for spam)
RATE = 1.0
#: the squared norm of a report's particular features below which its step is not scaled up
MIN_NORM = 1.0


class SpamModel:
    """The classifier and its featurizer; thread-safe. ``learn`` applies reports at once.

    ``meaning``: the embedder's vectors for the second reading; by default the active embedder's
    (``LEAKWARDEN_SPAM_EMBEDDER``), used only when it is the one the file's second reading was trained
    with, and unless ``LEAKWARDEN_SPAM_SECOND_READING=0`` (a site that needs every answer within
    ~20 ms). Without a second reading, the first decides at its own thresholds."""

    def __init__(self, model: ModelFile | None = None, *, learn_weight: float = 2.0,
                 meaning: Meaning | object | None = _FROM_ENV) -> None:
        self.file = model or load()
        self.featurizer = Featurizer()
        second = self.file.semantic
        if meaning is _FROM_ENV:
            wanted = os.environ.get(SECOND_READING_ENV, "1").strip().lower() not in ("0", "off", "false", "no")
            meaning = Meaning.from_env() if second is not None and wanted else None
        active = (second if second is not None and isinstance(meaning, Meaning)
                  and (meaning.name, meaning.dim) == (second.embedder, second.dim) else None)
        self.meaning = meaning if active is not None and isinstance(meaning, Meaning) else None
        # a copy: the loaded file is shared
        self.thresholds = dataclasses.replace(active.thresholds if active is not None else self.file.thresholds)
        self.learn_weight = learn_weight
        self.ham_weight = 0.2
        self._first_reading = Linear.of(self.file.weights, self.file.intercept)
        self._second = Linear.of(active.weights, active.intercept) if active is not None else None
        self._common = np.zeros(N_FEATURES, dtype=bool)
        self._common[self.file.common] = True
        self._lock = threading.Lock()

    @property
    def reads_meaning(self) -> bool:
        return self.meaning is not None

    def features(self, comments: list[Comment]) -> sp.csr_matrix:
        return self.featurizer.transform(comments)

    @staticmethod
    def _sigmoid(margin: np.ndarray) -> np.ndarray:
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(margin, -40, 40))), dtype=np.float64)

    def _first(self, rows: sp.csr_matrix) -> np.ndarray:
        with self._lock:
            return self._sigmoid(self._first_reading.margin(rows))

    def probability(self, rows: sp.csr_matrix, comments: Sequence[Comment] | None = None) -> np.ndarray:
        """Each row's spam probability: the first reading's, or the second's where the first falls
        in the band it is unsure of; given the rows' ``comments``, at least that of the comment's
        most spam-like passage (:mod:`.passages`). Without ``comments``, the first reading alone."""
        first = self._first(rows)
        if comments is None:
            return first
        p = first.copy()
        again = np.flatnonzero(in_band(first))
        if self.meaning is not None and self._second is not None and len(again):
            both = with_meaning(rows[again], self.meaning.vectors([comments[int(i)].text for i in again]))
            with self._lock:
                p[again] = self._sigmoid(self._second.margin(both))
        return np.maximum(p, highest_passage(comments, self.features, self._first))

    def learn(self, rows: sp.csr_matrix, labels: list[int], comments: Sequence[Comment] | None = None, *,
              repeat: int = 3) -> None:
        """Reported comments (1 spam, 0 ham), learnt by both readings at once: ``repeat`` steps of
        the logistic loss's gradient, each moving a report's own log-odds by at most ``RATE`` x its
        weight (a step), through the features particular to it (those outside ``ModelFile.common``).

        Why not ``SGDClassifier.partial_fit``: it moves every feature of a row, and by a step that
        grows with the row's norm. One report of a missed comment moved its "no link" and
        "English" tokens by ~1 each, and every comment sharing them: two reports of a reworded
        product pitch raised the log-odds of 951 unseen ham by 3.1 on average, and flagged 47 more
        of them. Here the common features (function words' n-grams, the script, "no link") are the
        offline model's alone, and the intercept (the base rate) is never moved by a report.

        The second reading reads the comments' sentence vectors when ``comments`` are given, and
        learns only its feature weights, never the direction of meaning that every comment is read
        by. A ham report weighs ``ham_weight`` of a spam report here: one site's "not spam" must
        not whitelist a campaign for every site (it counts in full on its own site, in the
        campaign memory)."""
        y = np.asarray(labels, dtype=np.float64)
        weight = np.where(y == 1, self.learn_weight, self.learn_weight * self.ham_weight)
        own = sp.csr_matrix(rows, copy=True)
        own.data[self._common[own.indices]] = 0.0  # the common features: the offline model's alone
        own.eliminate_zeros()
        step = RATE * weight / np.maximum(np.asarray(own.multiply(own).sum(axis=1)).ravel(), MIN_NORM)
        readings: list[tuple[Linear, sp.csr_matrix]] = [(self._first_reading, rows)]
        if self.meaning is not None and self._second is not None:
            vectors = (self.meaning.vectors([c.text for c in comments]) if comments is not None
                       else np.zeros((rows.shape[0], self.meaning.dim)))
            readings.append((self._second, with_meaning(rows, vectors)))
        with self._lock:
            for reading, x in readings:
                for _ in range(repeat):
                    p = self._sigmoid(reading.margin(x))
                    reading.weights[:N_FEATURES] += own.T @ (step * (y - p))
