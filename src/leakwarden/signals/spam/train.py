"""Train the shipped spam model from labelled comments (``bench/data/spam/comments_*.jsonl``).

    python -m leakwarden.signals.spam.train [--data bench/data/spam] [--train L,M,N,O,P,Q,R,S,T,U,V,W,X,Y,Z] [--out DIR]
    leakwarden spam train [--data bench/data/spam] [--train L,M,N,O,P,Q,R,S,T,U,V,W,X,Y,Z] [--out DIR]

Each line of a comments file is ``{"id", "lang", "label": "spam"|"ham", "kind", "campaign",
"comment_author", "comment_author_email", "comment_author_url", "article", "text"}``; the letter in
the file name is the writer who wrote it. The model is a ``LogisticRegression`` over the hashed
features of :mod:`.features`, trained on the comments with their author fields and again without
them (so that it reads a bare post's text as well as an Akismet comment). The thresholds come from
out-of-fold probabilities, one fold per writer (a writer's comments are never both trained on and
scored: a model is used on comments written by other people): ``spam`` where F1 is best with a
false-positive rate of at most 0.75 % (``MAX_FPR``: at 1 %, new writers' English false positives ran
over the 1 % goal), ``review`` the lowest with a
false-positive rate of at most 5 % (the band between is for a person to look at), ``blatant``
above every ham's probability by a margin.
The shipped model is trained on every writer; ``bench/bench_spam.py`` measures the same procedure
on held-out writers (it trains on the others itself).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from scipy.special import expit, logit
from sklearn.linear_model import LogisticRegression

from leakwarden.signals.spam.features import Comment, Featurizer
from leakwarden.signals.spam.model import DATA, ModelFile, SecondReading, Thresholds, save
from leakwarden.signals.spam.passages import Passages
from leakwarden.signals.spam.semantic import Meaning, combine, with_meaning

C = 20.0  # leave-one-writer-out over S-Z (thresholds on the pooled out-of-fold probabilities): F1 en / ar
# 0.962 / 0.955 at C = 2 ... 5, 0.968 / 0.962 at 10, 0.975 / 0.964 at 20, 0.974 / 0.963 at 40 (false positives
# 0.99 % / 0.85 % at each); with 2,102 comments less regularisation pays (over S-W alone, 20 did no better than 5)
# Over Q-Z (2026-12-01, 2,590 comments): C = 10 F1 0.956 / 0.947, false positives 7/727, 4/712; C = 20 0.955 /
# 0.946, 7/727, 3/712: within noise, 20 kept. No text-only copy for spam whose only evidence is its author's
# URL was worse (0.953 / 0.943), so every comment is trained twice
HAM_WEIGHT = 2.0  # a false positive costs more than a miss
MAX_FPR = 0.0075  # leave-one-writer-out over Q, S-Z (each writer's threshold chosen on the others): at 0.01
# English false positives 8-10/667, at 0.0075 5/667 (F1 en 0.962, ar 0.953), at 0.005 5/667 at ~0.02 less F1.
# Thresholds per language were no better for English (fewer ham to choose on); on writer R (fresh) 0.0075 cost
# English recall (F1 0.931 -> 0.893) and left its 2/60 false positives as they were
REVIEW_FPR = 0.05
#: folds trained at once, one per core, in worker processes (joblib maps the matrices to them; in threads,
#: two folds took as long as one after the other)
JOBS = -1
# the shipped model: every writer (bench_spam.py holds writers out itself)
TRAIN_WRITERS = ("A,B,C,D,E,F,G,H,I,J,K,L,M,N,O,P,Q,R,S,T,U,V,W,X,Y,Z,"
                 "AA,AB,AC,AD,AE,AF,AG,AH,AI,AJ,AK,AL,AM,AN,AO,AP,AQ,AR,AS,AT,AU,AV,AW,AX,AY,AZ,BA,BB,BC,BD")
BLATANT_FLOOR = 0.97
#: a feature found in at least this share of the training comments is common (5,799 of the 56 writers'
#: features: function words' n-grams, the script, "no link"; 72 % of a median comment's squared norm over 44),
#: and a report does not move its weight (``SpamModel.learn``)
COMMON_SHARE = 0.01
#: ``blatant`` (Akismet's "discard": deleted unseen) sits this far above the most spam-like ham of the
#: out-of-fold probabilities, in log-odds (1.0: e times the odds). It used to be capped at 0.995, and
#: overconfident hard ham passes that: twenty writers' out-of-fold ham reached 0.99997 (a warning that
#: names a results site, a vendor's group chat with a phone number), and blind, the twenty-six-writer
#: model discarded 2 of AG-AL's 958 ham (a pool company's owner answering customers with her phone
#: and e-mail at 0.99993, a PTA's uniform swap with its e-mail at 0.9951). With the thirty-two-writer
#: model no ham of AG-AL reaches 0.99999, and 11.6 % of its spam does (71.6 % at 0.995)
BLATANT_MARGIN = 1.0
BLATANT_CEILING = 1 - 1e-6


@dataclass(frozen=True)
class Labelled:
    id: str
    writer: str
    lang: str
    spam: bool
    kind: str
    campaign: str | None
    comment: Comment


def load_comments(paths: Sequence[Path]) -> list[Labelled]:
    """Labelled comments from JSONL files named ``comments_<WRITER>.jsonl``. Lines that do not
    parse or lack a label or text are skipped (the files may still be being written)."""
    out: list[Labelled] = []
    for path in paths:
        writer = path.stem.rsplit("_", 1)[-1]
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(rec, dict) or rec.get("label") not in ("spam", "ham") or not rec.get("text"):
                continue
            out.append(Labelled(
                id=str(rec.get("id", "")), writer=writer, lang=str(rec.get("lang") or ""),
                spam=rec["label"] == "spam", kind=str(rec.get("kind") or ""),
                campaign=str(rec["campaign"]) if rec.get("campaign") else None,
                comment=Comment(text=str(rec["text"]), author=str(rec.get("comment_author") or ""),
                                email=str(rec.get("comment_author_email") or ""),
                                url=str(rec.get("comment_author_url") or ""))))
    return out


def files(data: Path, writers: Sequence[str]) -> list[Path]:
    return [data / f"comments_{w}.jsonl" for w in writers if (data / f"comments_{w}.jsonl").exists()]


def bare(c: Comment) -> Comment:
    return Comment(text=c.text)


def _training_rows(records: Sequence[Labelled], featurizer: Featurizer, meaning: Meaning | None
                   ) -> tuple[sp.csr_matrix, np.ndarray]:
    """Every comment twice, with its author fields and without (as a bare post is read); with the
    sentence vectors of their texts appended when ``meaning`` is given (the second reading)."""
    comments = [r.comment for r in records] + [bare(r.comment) for r in records]
    x = featurizer.transform(comments)
    if meaning is not None:
        x = with_meaning(x, meaning.vectors([c.text for c in comments]))
    return x, np.array([int(r.spam) for r in records] * 2)


def _regression(x: sp.csr_matrix, y: np.ndarray, c: float) -> LogisticRegression:
    clf = LogisticRegression(C=c, solver="liblinear", max_iter=2000, class_weight={0: HAM_WEIGHT, 1: 1.0},
                             random_state=0)
    return clf.fit(x, y)


def common_features(x: sp.csr_matrix) -> np.ndarray:
    """The columns of ``x`` that are non-zero in at least ``COMMON_SHARE`` of its rows."""
    share = np.asarray((x != 0).sum(axis=0)).ravel() / max(1, x.shape[0])
    return np.flatnonzero(share >= COMMON_SHARE)


def probabilities(clf: LogisticRegression, x: sp.csr_matrix) -> np.ndarray:
    return np.asarray(clf.predict_proba(x)[:, 1])


@dataclass(frozen=True)
class OutOfFold:
    first: np.ndarray  # the first reading's probability, as it decides alone
    final: np.ndarray  # the probability a comment gets: the second reading's where the first is unsure
    # (both at least the comment's most spam-like passage's, :mod:`.passages`)


def out_of_fold(records: Sequence[Labelled], *, c: float = C, folds: int = 5, by_writer: bool = True,
                meaning: Meaning | None = None, jobs: int = JOBS) -> OutOfFold:
    """Each record's probability from models that did not see it: one fold per writer
    (``by_writer``, when there are two writers or more), else ``folds`` interleaved folds. The
    comments are featurized (and embedded) once; the folds train on their rows of that, ``jobs``
    at a time, and the first reading's also reads their passages."""
    writers = sorted({r.writer for r in records})
    if by_writer and len(writers) >= 2:
        groups = [[i for i, r in enumerate(records) if r.writer == w] for w in writers]
    else:
        groups = [list(range(k, len(records), folds)) for k in range(folds)]
    n = len(records)
    featurizer = Featurizer()
    x, y = _training_rows(records, featurizer, None)  # rows i: with author fields (as scored), n + i: bare
    both = with_meaning(x, meaning.vectors([r.comment.text for r in records] * 2)) if meaning is not None else None
    found = Passages.of([r.comment for r in records])
    passages = featurizer.transform(found.comments) if found.comments else sp.csr_matrix((0, x.shape[1]))
    readings = [x] if both is None else [x, both]
    tasks = []
    for held in groups:
        kept = np.setdiff1d(np.arange(n), held)
        if not y[kept].any() or y[kept].all():
            continue
        rows = np.concatenate([kept, kept + n])
        tasks += [(k, np.asarray(held), rows, np.isin(found.owner, held)) for k in range(len(readings))]
    done = Parallel(n_jobs=jobs)(delayed(_fold)(readings[k], y, ids, rows, c, None if k else passages[theirs])
                                 for k, ids, rows, theirs in tasks)
    out = [np.zeros(n) for _ in readings]
    read = np.zeros(len(found.owner))
    for (k, ids, _, theirs), (p, p_passages) in zip(tasks, done, strict=True):
        out[k][ids] = p
        if not k:
            read[theirs] = p_passages
    highest = found.highest(read, n)
    final = combine(out[0], out[1]) if both is not None else out[0]
    return OutOfFold(np.maximum(out[0], highest), np.maximum(final, highest))


def _fold(x: sp.csr_matrix, y: np.ndarray, held: np.ndarray, rows: np.ndarray, c: float,
          passages: sp.csr_matrix | None) -> tuple[np.ndarray, np.ndarray]:
    """The held rows' probabilities from a model trained on ``rows``, and their ``passages``'."""
    clf = _regression(x[rows], y[rows], c)
    read = probabilities(clf, passages) if passages is not None and passages.shape[0] else np.zeros(0)
    return probabilities(clf, x[held]), read


def _counts(p: np.ndarray, y: np.ndarray, t: float) -> tuple[int, int, int]:
    pred = p >= t
    return int((pred & (y == 1)).sum()), int((pred & (y == 0)).sum()), int((~pred & (y == 1)).sum())


def choose_thresholds(p: np.ndarray, y: np.ndarray) -> Thresholds:
    """``spam``: the middle of the band of thresholds with the best F1 (false-positive rate at
    most ``MAX_FPR``); ``review``: the lowest with a false-positive rate of at most ``REVIEW_FPR``
    (never above ``spam``); ``blatant``: above every ham's probability by ``BLATANT_MARGIN`` in log-odds."""
    ham = p[y == 0]
    n_ham = max(1, len(ham))
    scored: list[tuple[float, float]] = []
    review = None
    for t in np.arange(0.2, 0.951, 0.01):
        tp, fp, fn = _counts(p, y, float(t))
        if review is None and fp / n_ham <= REVIEW_FPR:
            review = float(t)
        if fp / n_ham <= MAX_FPR:
            scored.append((float(t), 2 * tp / max(1, 2 * tp + fp + fn)))
    if scored:
        top = max(f1 for _, f1 in scored)
        band = [t for t, f1 in scored if f1 >= top - 1e-9]
        spam = band[len(band) // 2]
    else:
        spam = 0.95
    top_ham = float(ham.max()) if len(ham) else 0.0
    blatant = min(BLATANT_CEILING, max(BLATANT_FLOOR, _above(top_ham, BLATANT_MARGIN), spam + 0.05))
    return Thresholds(spam=round(spam, 2), blatant=float(f"{blatant:.7f}"), review=round(min(review or spam, spam), 2))


def _above(p: float, margin: float) -> float:
    """The probability ``margin`` log-odds above ``p``."""
    return float(expit(logit(min(max(p, 1e-12), 1 - 1e-12)) + margin))


def measured(records: Sequence[Labelled], p: np.ndarray, th: Thresholds) -> dict[str, dict[str, float]]:
    """Out-of-fold figures per language at these thresholds (kept in model.json)."""
    out: dict[str, dict[str, float]] = {}
    for lang in sorted({r.lang for r in records}):
        idx = [i for i, r in enumerate(records) if r.lang == lang]
        y = np.array([int(records[i].spam) for i in idx])
        tp, fp, fn = _counts(p[idx], y, th.spam)
        review = int(((p[idx] >= th.review) & (p[idx] < th.spam)).sum())
        out[lang] = {"f1": round(2 * tp / max(1, 2 * tp + fp + fn), 3),
                     "fpr": round(fp / max(1, int((y == 0).sum())), 4), "review_band": review}
    return out


def build(records: Sequence[Labelled], *, c: float = C, meaning: Meaning | bool | None = True) -> ModelFile:
    """A model trained on ``records``, its thresholds from their out-of-fold probabilities: the
    first reading's alone, and with the second (``meaning``: the active embedder's by default,
    ``False`` for none)."""
    if meaning is True:
        meaning = Meaning.from_env()
    reader = meaning if isinstance(meaning, Meaning) else None
    y = np.array([int(r.spam) for r in records])
    oof = out_of_fold(records, c=c, meaning=reader)
    plain = choose_thresholds(oof.first, y)
    x, rows_y = _training_rows(records, Featurizer(), None)  # featurized once: both readings, common features
    clf = _regression(x, rows_y, c)
    second = None
    if reader is not None:
        both = _regression(with_meaning(x, reader.vectors([r.comment.text for r in records] * 2)), rows_y, c)
        second = SecondReading(embedder=reader.name, dim=reader.dim, intercept=float(both.intercept_[0]),
                               weights=np.asarray(both.coef_[0], dtype=np.float64),
                               thresholds=choose_thresholds(oof.final, y))
    writers = sorted({r.writer for r in records})
    info = {"trained_on": [f"comments_{w}.jsonl" for w in writers], "comments": len(records), "spam": int(y.sum()),
            "c": c, "thresholds_from": "out-of-fold probabilities, one fold per writer" if len(writers) > 1
            else "out-of-fold probabilities, interleaved folds",
            "out_of_fold": measured(records, oof.final, second.thresholds if second else plain),
            "by_lang": {lang: sum(1 for r in records if r.lang == lang) for lang in sorted({r.lang for r in records})}}
    if second is not None:
        info["out_of_fold_first_reading"] = measured(records, oof.first, plain)
    return ModelFile(intercept=float(clf.intercept_[0]), weights=np.asarray(clf.coef_[0], dtype=np.float64),
                     thresholds=plain, info=info, semantic=second, common=common_features(x[:len(records)]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("bench/data/spam"))
    parser.add_argument("--train", default=TRAIN_WRITERS, help="writers to train on (comments_<W>.jsonl)")
    parser.add_argument("--out", type=Path, default=DATA)
    parser.add_argument("--c", type=float, default=C)
    args = parser.parse_args(argv)
    paths = files(args.data, args.train.split(","))
    records = load_comments(paths)
    if len(records) < 20 or len({r.spam for r in records}) < 2:
        print(f"not enough labelled comments in {[str(p) for p in paths]}", file=sys.stderr)
        return 2
    model = build(records, c=args.c)
    th = model.semantic.thresholds if model.semantic else model.thresholds
    save(args.out, model)
    print(f"trained on {len(records)} comments ({model.info['spam']} spam) from {', '.join(p.name for p in paths)}; "
          f"thresholds review={th.review} spam={th.spam} blatant={th.blatant}; "
          f"out of fold: {model.info['out_of_fold']}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
