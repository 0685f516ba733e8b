"""The spam model: a linear classifier (scikit-learn) over :mod:`features`, learnt offline from
``bench/data/spam`` and online from reviewers' reports.

The shipped model is plain data beside this file (no pickle): ``data/model.json`` (settings,
thresholds, how it was trained and measured) and ``data/weights.npy`` (the non-zero weights as a
float64 array of ``[index, weight]`` rows) with the intercept in the JSON. :class:`SpamModel`
loads them into an ``SGDClassifier`` (logistic loss), whose ``partial_fit`` learns each report at
once; the offline weights come from a ``LogisticRegression`` (``train.py``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import SGDClassifier

from leakwarden.signals.spam.features import N_FEATURES, Comment, Featurizer

DATA = Path(__file__).parent / "data"
MODEL_JSON = "model.json"
WEIGHTS_NPY = "weights.npy"


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
class ModelFile:
    intercept: float
    weights: np.ndarray  # dense, N_FEATURES
    thresholds: Thresholds = field(default_factory=Thresholds)
    info: dict[str, Any] = field(default_factory=dict)


def save(directory: Path, coef: np.ndarray, intercept: float, thresholds: Thresholds,
         info: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    nz = np.flatnonzero(np.abs(coef) > 1e-6)
    np.save(directory / WEIGHTS_NPY, np.stack([nz.astype(np.float64), coef[nz].astype(np.float64)], axis=1),
            allow_pickle=False)
    meta = {"format": 1, "n_features": N_FEATURES, "intercept": float(intercept),
            "thresholds": dataclasses.asdict(thresholds), **info}
    (directory / MODEL_JSON).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load(directory: Path = DATA) -> ModelFile:
    """The model in ``directory`` (read once per process; the weights are copied by each user)."""
    return _load(directory.resolve())


@functools.lru_cache(maxsize=4)
def _load(directory: Path) -> ModelFile:
    meta = json.loads((directory / MODEL_JSON).read_text(encoding="utf-8"))
    if meta.get("format") != 1 or meta.get("n_features") != N_FEATURES:
        raise ValueError(f"{directory / MODEL_JSON}: not a spam model this version reads")
    rows = np.load(directory / WEIGHTS_NPY, allow_pickle=False)
    weights = np.zeros(N_FEATURES, dtype=np.float64)
    if rows.size:
        weights[rows[:, 0].astype(np.int64)] = rows[:, 1]
    th = meta.get("thresholds", {})
    return ModelFile(intercept=float(meta["intercept"]), weights=weights,
                     thresholds=Thresholds(spam=float(th.get("spam", 0.5)), blatant=float(th.get("blatant", 0.97)),
                                           review=float(th.get("review", th.get("spam", 0.5)))),
                     info={k: v for k, v in meta.items() if k not in ("intercept", "thresholds")})


def sgd_from(weights: np.ndarray, intercept: float, *, eta0: float = 0.5, alpha: float = 1e-6) -> SGDClassifier:
    """An ``SGDClassifier`` (logistic loss) that starts from given weights and learns with
    ``partial_fit``: one call on one dummy row sets its classes up, then the weights are put in."""
    clf = SGDClassifier(loss="log_loss", learning_rate="constant", eta0=eta0, alpha=alpha, penalty="l2",
                        average=False)
    clf.partial_fit(sp.csr_matrix((1, N_FEATURES)), np.array([0]), classes=np.array([0, 1]))
    clf.coef_ = weights.reshape(1, -1).copy()
    clf.intercept_ = np.array([intercept], dtype=np.float64)
    return clf


class SpamModel:
    """The classifier and its featurizer; thread-safe. ``learn`` applies reports at once."""

    def __init__(self, model: ModelFile | None = None, *, learn_weight: float = 2.0) -> None:
        self.file = model or load()
        self.featurizer = Featurizer()
        self.thresholds = dataclasses.replace(self.file.thresholds)  # a copy: the loaded file is shared
        self.learn_weight = learn_weight
        self.ham_weight = 0.2
        self._clf = sgd_from(self.file.weights, self.file.intercept)
        self._lock = threading.Lock()

    def features(self, comments: list[Comment]) -> sp.csr_matrix:
        return self.featurizer.transform(comments)

    def probability(self, rows: sp.csr_matrix) -> np.ndarray:
        with self._lock:
            margin = rows @ self._clf.coef_[0] + self._clf.intercept_[0]
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(margin, -40, 40))), dtype=np.float64)

    def learn(self, rows: sp.csr_matrix, labels: list[int], *, repeat: int = 3) -> None:
        """A few passes of ``partial_fit`` over the reported comments (1 spam, 0 ham). A ham report
        weighs ``ham_weight`` of a spam report here: one site's "not spam" must not whitelist a
        campaign for every site (it counts in full on its own site, in the campaign memory)."""
        y = np.asarray(labels, dtype=np.int64)
        weight = np.where(y == 1, self.learn_weight, self.learn_weight * self.ham_weight)
        with self._lock:
            for _ in range(repeat):
                self._clf.partial_fit(rows, y, sample_weight=weight)
