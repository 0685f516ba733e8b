"""Comment spam, quality and speed in one run: leakwarden beside SpamAssassin and a trivial baseline.

    .venv/bin/python bench/bench_spam.py [--data bench/data/spam] [--no-cv] [--no-spamassassin]

Data: ``bench/data/spam/comments_{S,T,U}.jsonl`` (one writer each). The shipped model was trained
on S+T (``python -m leakwarden.signals.spam.train``); U is held out and everything below is measured
on it.

* Quality per language (precision, recall, F1, false-positive rate) of
  - ``leakwarden``: ``comment-check`` through the Akismet route (in process, SQLite, the strict
    policy, the spam, private-information and URL-rule detectors), the author fields included;
  - ``model, text only``: the spam detector on the text alone (what a plain Post gives it);
  - ``has a link``: spam if the text or the author's URL has a link;
  - ``SpamAssassin``: Debian's ``spamassassin -L`` (local tests only) on each comment as a minimal
    e-mail (From: the author, Subject: the article, the text as the body), its default threshold 5;
    skipped with the reason when it is not installed (``make spamassassin``).
* ``discard`` answers on ham (must be 0).
* Campaigns: for each campaign in U, a fresh detector is told 2 of its comments (``submit-spam``)
  and the rest are checked; the recall on the rest before and after, and the ham of U after every
  campaign was reported (false positives the reports caused).
* Cross-validation by writer: train on two writers, test on the third, for each third.
* Speed: ``comment-check`` latency (p50, p99) on the comments without links (goal p99 ≤ 20 ms).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("LEAKWARDEN_FOLLOW_LINKS", "0")

import numpy as np  # noqa: E402

from leakwarden.signals.spam import train as T  # noqa: E402
from leakwarden.signals.spam.detector import SpamDetector  # noqa: E402
from leakwarden.signals.spam.features import _URL, Comment, Featurizer  # noqa: E402
from leakwarden.signals.spam.model import load  # noqa: E402

LANGS = ("en", "ar")


def scores(records: Sequence[T.Labelled], predicted: Sequence[bool]) -> dict[str, tuple[float, float, float, float]]:
    out = {}
    for lang in (*LANGS, "all"):
        rows = [(r.spam, p) for r, p in zip(records, predicted, strict=True) if lang in ("all", r.lang)]
        tp = sum(1 for y, p in rows if y and p)
        fp = sum(1 for y, p in rows if not y and p)
        fn = sum(1 for y, p in rows if y and not p)
        ham = sum(1 for y, _ in rows if not y)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        out[lang] = (precision, recall, f1, fp / ham if ham else 0.0)
    return out


def table(rows: list[tuple[str, dict[str, tuple[float, float, float, float]]]]) -> None:
    print(f"{'':28}" + "".join(f"{lang + ': P / R / F1 / FPR':>32}" for lang in (*LANGS, "all")))
    for name, by_lang in rows:
        cells = "".join(f"{'{:.3f} / {:.3f} / {:.3f} / {:.3f}'.format(*by_lang[lang]):>32}" for lang in (*LANGS, "all"))
        print(f"{name:28}{cells}")


def has_link(r: T.Labelled) -> bool:
    return bool(r.comment.url.strip()) or bool(_URL.search(r.comment.text))


# -- the Akismet route -----------------------------------------------------------------------------
def through_the_route(records: Sequence[T.Labelled]
                      ) -> tuple[list[bool], list[bool], list[float], list[float], list[bool]]:
    """Each comment through ``POST /1.1/comment-check``: spam?, discard?, wall and CPU milliseconds
    (the process's CPU time, every thread: what the request costs when no other process waits for
    the cores), had links?"""
    from fastapi.testclient import TestClient

    from leakwarden.engine import Engine
    from leakwarden.service.app import create_app
    from leakwarden.service.auth import create_key
    from leakwarden.signals.pii.detector import PiiDetector
    from leakwarden.store.db import Database

    spam, discard, ms, cpu, linked = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("LEAKWARDEN_PII_HASH_KEY", "bench-only-key")
        db = Database(f"{tmp}/bench.db")
        engine = Engine(db, policy="strict", detectors=[PiiDetector(), SpamDetector(db)])
        key = create_key(db, "submitter")[1]
        with TestClient(create_app(engine)) as http:
            for i, r in enumerate(records):
                form = {"api_key": key, "blog": "https://news.example", "user_ip": f"198.51.100.{i % 250}",
                        "comment_type": "comment", "comment_author": r.comment.author,
                        "comment_author_email": r.comment.email, "comment_author_url": r.comment.url,
                        "comment_content": r.comment.text, "user_agent": "bench"}
                started, cpu_started = time.perf_counter(), time.process_time()
                response = http.post("/1.1/comment-check", data=form)
                ms.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
                spam.append(response.text == "true")
                discard.append(response.headers.get("X-akismet-pro-tip") == "discard")
                linked.append(has_link(r))
    return spam, discard, ms, cpu, linked


def server_side(records: Sequence[T.Labelled]) -> list[float]:
    """The route's own work for each comment (decide and record: ``check_comment``), without the
    in-process HTTP client's threads."""
    from leakwarden.engine import Engine
    from leakwarden.service.auth import Principal
    from leakwarden.service.compat.akismet import Incoming, check_comment
    from leakwarden.signals.pii.detector import PiiDetector
    from leakwarden.store.db import Database

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"{tmp}/server.db")
        engine = Engine(db, policy="strict", detectors=[PiiDetector(), SpamDetector(db)])
        who = Principal("bench", "submitter")
        for i, r in enumerate(records):
            fields = {"user_ip": f"198.51.100.{i % 250}", "comment_author": r.comment.author,
                      "comment_author_email": r.comment.email, "comment_author_url": r.comment.url,
                      "comment_content": r.comment.text}
            started = time.perf_counter()
            check_comment(engine, Incoming(who, "news.example", fields))
            out.append((time.perf_counter() - started) * 1000)
    return out


# -- SpamAssassin ----------------------------------------------------------------------------------
def spamassassin(records: Sequence[T.Labelled]) -> tuple[list[float] | None, str]:
    """SpamAssassin's score for each comment (one ``spamassassin -L --mbox`` run), or None and why."""
    exe = shutil.which("spamassassin")
    if exe is None:
        return None, "SpamAssassin is not installed (make spamassassin installs Debian's package)"
    mbox = []
    for i, r in enumerate(records):
        msg = EmailMessage()
        author = (r.comment.author or "anonymous").replace("\n", " ")[:100]
        msg["From"] = f"{author} <{r.comment.email or 'comment@news.example'}>"
        msg["To"] = "comments@news.example"
        msg["Subject"] = "Comment"
        msg["Date"] = format_datetime(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
        msg["Message-ID"] = f"<comment-{i}@news.example>"
        body = r.comment.text + (f"\n\n{r.comment.url}" if r.comment.url else "")
        msg.set_content(body, charset="utf-8")
        envelope = b"From comment@news.example Sun Nov  1 12:00:00 2026\n"
        mbox.append(envelope + msg.as_bytes().replace(b"\nFrom ", b"\n>From "))
    started = time.perf_counter()
    done = subprocess.run([exe, "-L", "--mbox"], input=b"\n".join(mbox) + b"\n", capture_output=True,
                          timeout=1800)
    if done.returncode not in (0, 1):
        return None, f"spamassassin exited {done.returncode}: {done.stderr.decode(errors='replace')[:200]}"
    found = re.findall(rb"^X-Spam-Status: (?:Yes|No), score=(-?[0-9.]+)", done.stdout, flags=re.MULTILINE)
    if len(found) != len(records):
        return None, f"spamassassin answered {len(found)} of {len(records)} messages"
    return [float(x) for x in found], f"{time.perf_counter() - started:.1f} s for {len(records)} messages"


def best_threshold(records: Sequence[T.Labelled], values: Sequence[float]) -> float:
    """The threshold with the best F1 on these very records (an upper bound for the baseline)."""
    candidates = sorted(set(values))
    return max(candidates, key=lambda t: scores(records, [v >= t for v in values])["all"][2])


# -- campaigns -------------------------------------------------------------------------------------
def campaigns(records: Sequence[T.Labelled]) -> None:
    groups: dict[str, list[T.Labelled]] = defaultdict(list)
    for r in records:
        if r.campaign and r.spam:
            groups[r.campaign].append(r)
    groups = {k: v for k, v in groups.items() if len(v) >= 3}
    if not groups:
        print("campaigns: none with 3 or more comments in the held-out set")
        return
    base = SpamDetector()  # the shipped model, never told anything
    detector = SpamDetector()  # told every campaign's 2 reports (in memory: learnt, not stored)
    ham = [r for r in records if not r.spam]
    ham_before = sum(base.score(r.comment).spam for r in ham)
    totals = defaultdict(int)
    print(f"{'campaign':>10} {'size':>5} {'rest spam before':>17} {'after':>6} {'matched':>8} "
          f"{'mean p before':>14} {'after':>6} {'discard before':>15} {'after':>6}")
    for name, members in sorted(groups.items()):
        rest = members[2:]
        before = [base.score(r.comment, "other.example") for r in rest]
        fresh = SpamDetector()
        for r in members[:2]:
            fresh.report(r.comment, "spam", site="news.example")
            detector.report(r.comment, "spam", site="news.example")
        after = [fresh.score(r.comment, "other.example") for r in rest]
        row = {"rest": len(rest), "before": sum(x.spam for x in before), "after": sum(x.spam for x in after),
               "matched": sum(x.campaign is not None for x in after),
               "discard_before": sum(x.blatant for x in before), "discard_after": sum(x.blatant for x in after)}
        for k, v in row.items():
            totals[k] += v
        print(f"{name:>10} {len(members):>5} {row['before']:>11}/{len(rest):<5} {row['after']:>4}/{len(rest):<2}"
              f"{row['matched']:>6}/{len(rest):<2} {np.mean([x.probability for x in before]):>13.3f} "
              f"{np.mean([x.probability for x in after]):>6.3f} {row['discard_before']:>12}/{len(rest):<3}"
              f"{row['discard_after']:>4}/{len(rest)}")
    ham_after = sum(detector.score(r.comment).spam for r in ham)
    n = totals["rest"]
    print(f"all {len(groups)} campaigns, 2 reports each (one site), checked on another site: the rest spam "
          f"{totals['before']}/{n} before, {totals['after']}/{n} after; matched to the reported campaign "
          f"{totals['matched']}/{n}; discard {totals['discard_before']}/{n} before, {totals['discard_after']}/{n} "
          f"after. Ham of the held-out set flagged {ham_before}/{len(ham)} before, {ham_after}/{len(ham)} after all "
          f"{2 * len(groups)} reports")


def cross_validation(data: Path) -> None:
    writers = [w for w in "STU" if (data / f"comments_{w}.jsonl").exists()]
    if len(writers) < 2:
        print("cross-validation by writer: needs two writers or more")
        return
    featurizer = Featurizer()
    for held in writers:
        train = T.load_comments(T.files(data, [w for w in writers if w != held]))
        test = T.load_comments(T.files(data, [held]))
        clf = T.fit(train, featurizer=featurizer)
        p = T.probabilities(clf, featurizer.transform([r.comment for r in test]))
        th = load().thresholds
        res = scores(test, list(p >= th.spam))
        cells = "  ".join(f"{lang} F1 {res[lang][2]:.3f} FPR {res[lang][3]:.3f}" for lang in LANGS)
        blatant_ham = int(sum(1 for r, q in zip(test, p, strict=True) if not r.spam and q >= th.blatant))
        print(f"train {'+'.join(w for w in writers if w != held)} → test {held} ({len(test)}): {cells}  "
              f"ham ≥ blatant: {blatant_ham}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data" / "spam")
    parser.add_argument("--held-out", default="U")
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validation by writer")
    parser.add_argument("--no-spamassassin", action="store_true")
    args = parser.parse_args(argv)
    held = T.load_comments(T.files(args.data, [args.held_out]))
    if not held:
        print(f"no comments in {args.data}/comments_{args.held_out}.jsonl", file=sys.stderr)
        return 2
    by_lang = {lang: sum(1 for r in held if r.lang == lang) for lang in LANGS}
    print(f"held-out set {args.held_out}: {len(held)} comments ({sum(r.spam for r in held)} spam; "
          f"{by_lang['en']} English, {by_lang['ar']} Arabic)\n")

    spam, discard, ms, cpu, linked = through_the_route(held)
    server = server_side(held)
    detector = SpamDetector()
    text_only = [detector.score(Comment(r.comment.text)).spam for r in held]
    rows = [("leakwarden (comment-check)", scores(held, spam)),
            ("model, text only", scores(held, text_only)),
            ("has a link", scores(held, [has_link(r) for r in held]))]
    if args.no_spamassassin:
        reason = "skipped (--no-spamassassin)"
        sa = None
    else:
        sa, reason = spamassassin(held)
    if sa is not None:
        rows.append(("SpamAssassin -L (score ≥ 5)", scores(held, [v >= 5.0 for v in sa])))
        best = best_threshold(held, sa)
        rows.append((f"SpamAssassin, best ≥ {best:g} *", scores(held, [v >= best for v in sa])))
        reason += "; * its threshold chosen on the held-out set itself (an upper bound)"
    table(rows)
    print(f"SpamAssassin: {reason}")
    ham_discarded = sum(1 for r, d in zip(held, discard, strict=True) if d and not r.spam)
    spam_discarded = sum(1 for r, d in zip(held, discard, strict=True) if d and r.spam)
    print(f"\ndiscard answers: {ham_discarded} on ham (goal 0), {spam_discarded} on {sum(r.spam for r in held)} spam")
    print(f"comment-check without links ({sum(not x for x in linked)} comments; SQLite; goal p99 20 ms):")
    for what, values in (("HTTP (in-process client), wall", ms), ("HTTP (in-process client), CPU", cpu),
                         ("server side (decide + record), wall", server)):
        plain = [m for m, link in zip(values, linked, strict=True) if not link]
        if len(plain) >= 2:
            print(f"  {what:38} p50 {statistics.median(plain):6.2f} ms   p99 {float(np.percentile(plain, 99)):6.2f} ms")
    print()
    campaigns(held)
    if not args.no_cv:
        print()
        cross_validation(args.data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
