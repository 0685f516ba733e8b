"""Comment spam, quality and speed in one run: leakwarden beside SpamAssassin and a trivial baseline.

    .venv/bin/python bench/bench_spam.py [--data bench/data/spam] [--held-out U,W] [--no-cv] [--no-spamassassin]
                                         [--model DIR]

``--model DIR`` measures a model already trained (``leakwarden spam train --out DIR``, or the shipped
one) instead of training on the writers that are not held out: a new round of writers, blind, is
``--model DIR --held-out AY,AZ,... --no-cv --fresh ''`` with a model that never read them (refused
otherwise).

Data: ``bench/data/spam/comments_<WRITER>.jsonl`` (one writer each: ``train.TRAIN_WRITERS``). The
bench trains a model on the writers that are not held out (``train.build``: the shipped model's
procedure, thresholds chosen by cross-validation over those writers only) and measures it on the
held-out writers (U and W by default, trained on all the others). The shipped model is the same procedure on
every writer (``leakwarden spam train``). S, T and U wrote comments under news articles; V under a
sports forum, a recipe blog and local news; W under a tech forum and breach news (short comments
both ways, typos, capitals, emoji, Arabizi, mixed Arabic-English, real phone numbers and prices,
doxxing labelled not-spam, spam without links); X under shop and app reviews, charity and mosque
pages, job boards, crypto and forex groups, health and student forums and gaming; Y under travel,
classifieds (lost-and-found numbers), parenting, telecom, sport, property and romance-scam advice;
Z (written after the features were chosen, as a fresh check) under local politics, tech support,
food delivery and weddings; Q (written before any change of the features after Z, measured first
with the model of the time) under a finance newsletter, baking, town, developer, parents' and pet
forums, and Arabic economics, car, university, Egyptian football, Gulf property and health pages;
R (written before any change after Q, measured blind first) under allotment, photography, cycling,
guitar, legal-advice, book-club, DIY, astronomy, beekeeping, chess, hiking, history, knitting and
plane-spotting blogs, and Arabic poetry, date-palm, falconry, camel-racing, oud, fishing, zellige,
olive-oil, electricity, teachers', tatreez, coffee, calligraphy and weather pages; P (written before
any measurement, measured blind first) under pharmacy and insurance Q&A, peat-free compost, a
second-hand phone marketplace, esports, freelancing, a hotel review, visa advice, medicine admissions
and Islamic finance, and Arabic pharmacy, Gulf health-insurance, used-phone, Quran-circle, murabaha,
Oujda, Algiers, Khartoum and Basra local news, New Cairo property, admissions, Riyadh esports, Sharm
hotel, freelancing and Canada-immigration pages; O (written before any measurement, measured blind
first) under rail-strike, bin-collection, Mumbai-monsoon, Lahore load-shedding, school-hours, library,
storm, eclipse, TV-review, chess-club, pothole, Kerala boat-race, e-scooter, wildfire-smoke, IPL-auction,
recipe, dog-fouling, heat-pump, lost-pet and bridge-closure news, and Arabic Beirut-generator, Amman bus,
Dubai heat-ban, Casablanca tram, Tigris, Kuwait election, Tunis bread, Algiers derby, olive-harvest,
Mosul, Oman flood, Ramadan-series, tawjihi, Riyadh Season, refugee-return, Eid-sheep, Doha marathon,
Basra water, desalination and stray-animal pages; L, M and N (written together by three hands before
any measurement, measured blind first): L under Nigerian, Kenyan, Irish, Australian and South-East Asian
regional news and forums (farming, exams, hospitals, fuel queues, floods, migration) and Sudanese,
Yemeni, Libyan and Palestinian pages; M long-form and WordPress-style comments under opinion columns
(courts, energy, housing, layoffs, insurance) and Egyptian, Saudi, Emirati, Kuwaiti and Iraqi pages,
spam hidden behind a first paragraph on the article; N social-media comments under a newsletter's
posts (music, football transfers, gaming, exams, weddings), emoji, hashtags, code-switching, Darija,
Jordanian and Lebanese Arabic, follower sellers, betting channels and dating bots. All three wrote
hard ham with phone numbers for real reasons (blood donors, lost pets, missing relatives, neighbourhood
groups, sellers answering a buyer) and scam warnings that quote the scam. About half of each is
Arabic (MSA, Gulf, Egyptian, Levantine, Maghrebi, Sudanese, Iraqi, Arabizi). J and K (written
together by two helpers told to read nothing of the project, measured blind first): J under cooking,
car-repair and science video pages, a podcast, property listings, shop Q&A, a council consultation,
open-day, mosque and church pages, and Moroccan, Algerian, Syrian, Iraqi and Omani pages; K under
hack-and-leak, election, resignation, press-freedom, breach, fact-check and moderation stories in both
languages, with "the full leaked files here" links among the spam. A to I and AA to AL (2026-12-01,
written by helpers told to read nothing of the project or of each other's data, in four rounds, each
committed before any measurement and measured blind by the model trained on every writer before it):
A, B and C with no setting given; D city news (Gulf, UK, US, Indian), E video and social posts of news
channels and clubs, F leak, hack, surveillance and court newsletters, G tech, gaming, health and
personal-finance forums, H WordPress-style blogs (recipes, travel, parenting, Ramadan, weddings, with
pingbacks), I North African, Sudanese, Iraqi and Levantine pages (Arabizi, French-Arabic); AA South
Asian and Gulf expat pages, AB finance and crypto, AC health, AD religious, community and charity
pages (condolences, IBANs for real), AE classifieds-style consumer threads, AF informal community
pages (capitals, typos, voice-to-text); AG tabloid and Arabic entertainment pages, AH education, AI
travel and aviation, AJ environment, energy and farming, AK gaming and esports, AL long-form opinion
columns (pitches hidden inside long on-topic comments). AM to AR (2026-12-01, a fifth round, the same
way): AM sports sites and football fan pages (betting and streaming spam), AN recipe and Ramadan food
blogs, AO municipal and government-service news, AP tech reviews and gadget news (tech-support and
app-install spam), AQ real estate, rents and off-plan projects (broker spam), AR TV series, films and
celebrity news (piracy links, follower sellers). AS to AX (a sixth round, the same way): AS schools,
exams and admissions (tutoring, essay and fake-certificate spam), AT cars, used-car markets and traffic
fines (parts sellers, plate brokers), AU jobs, layoffs and work visas (fake recruiters, CV writing), AV
weather, climate and disasters (real and fake donation appeals, chain messages), AW local business
reviews (owners replying, fake-review sellers, competitors), AX pets and animals (pet-selling scams,
lost and found). AY to BD (a seventh round, the same way): AY health and medicine (miracle cures, fake
clinics, patients comparing treatments), AZ education (essay mills, fake scholarships, exam leaks), BA
travel, visas and Umrah packages, BB charity and community drives (fake charities, real volunteer
groups' numbers), BC gaming and esports (gold and account sellers, top-up scams, developers replying),
BD family life, weddings and nannies (wedding-service and maid-agency spam, sheikh spells).

Measured 2026-12-01 (latest): the rounds blind (``/tmp`` scripts through ``SpamDetector``, the shipped
procedure; F1 en / ar pooled over the round; the README's comment-spam section has the rest):

| model | A, B, C | D to I | AA to AF | AG to AL |
|---|---|---|---|---|
| 17 writers (J-Z) | 0.893 / 0.940, FP 3/471 | 0.889 / 0.953, FP 6/946 | 0.908 / 0.938, FP 4/970 | |
| 20 writers (+ A-C) | | 0.941 / 0.960, FP 6/946 | | |
| 26 writers (+ D-I) | | | 0.967 / 0.961, FP 2/970 | 0.945 / 0.970, FP 7/958 |
| 32 writers (+ AA-AF) | | | | 0.946 / 0.973, FP 6/958 |

AM to AR, blind, 38 writers (+ AG-AL): 0.963 / 0.979, FP 7/477, 3/474 (the second reading); 0.970 /
0.984 with the passages of long comments read too (``signals/spam/passages.py``, its rule fixed before
AM-AR were written), the same false positives. After, the 44 writers trained on: U+W (trained on the 42
others) F1 0.969 / 0.977, false positives 2/158, 0/151, 0 ham discarded, SpamAssassin -L flags none at 5;
``comment-check`` without links p99 63.36 ms (reference 31.52 ms, a noisy machine; goal 20 ms unmet).
AS to AX, blind, 44 writers: 0.969 / 0.970, FP 6/467, 4/476, 0 ham discarded; after 2 reports of each of
64 campaigns the held-out ham flagged 10/943, as before them. After, the 50 writers trained on: U+W (trained
on the 48 others) F1 0.978 / 0.977, false positives 2/158, 0/151, 0 ham discarded; ``comment-check`` without
links p99 94.16 ms (reference 37.65 ms; a busy machine). AY to BD, blind, 50 writers (through the route):
0.979 / 0.987, FP 7/468, 3/462, 0 ham discarded. After, the 56 writers trained on (out of fold 0.976 /
0.979); U+W not benched again with that procedure.

Ham discarded: none, but 2 of AG-AL's with the 26- and 32-writer models (``blatant`` was capped at 0.995;
it is now above every out-of-fold ham by one unit of log-odds).

Measured 2026-12-01 (last), writers J and K blind (trained on L-Z, the shipped procedure: the second
reading on the encoder's first six layers over a comment's head and tail, 48 tokens): F1 en / ar J 0.990
/ 0.980, K 0.898 / 0.917 (the twelve layers over the whole comment 0.990 / 0.990, 0.887 / 0.894; the
first reading alone 0.949 / 0.918, 0.842 / 0.848); false positives 0/78, 0/78, 2/78, 0/79; 0 ham
discarded. K's misses are mostly "the full leaked files here" links, a kind no earlier writer wrote.
After, J and K among the training writers: U+W F1 0.974 / 0.978, false positives 3/158, 1/151, 0 ham
discarded, ``comment-check`` without links p99 37.78 ms (reference 15.97 ms; goal 20 ms unmet).

Measured 2026-12-01, writer O (``--no-spamassassin --fresh O``). Blind, the procedure as it stood
(trained on P-Z, threshold 0.8): F1 en 0.835 (recall 38/52), ar 0.809 (36/52); false positives 1/79,
1/79, both a lost pet's owner giving a WhatsApp number and a reward, the English one at p = 1.00, so 1
ham discarded; 30 spam missed, 22 of them in the review band: author-URL-only praise (8), referral
codes, obfuscated and t.me links, spells and cures without a link, a Darija fortune-teller's number,
and one forex testimonial held as private information (p = 0.96). Tried by leave-one-writer-out over
P-Z (O only as the check), both kept (neither lowered F1 nor raised the false positives): links
written so as not to look like links (``t.me/`` and ``wa.me/`` with a path, ``h t t p s : / /``,
``hxxps://``, ``x (dot) shop`` with a space after the bracket, ``www(.)``, ``دوت``, more TLDs spelt
apart): F1 en 0.953 -> 0.953, ar 0.939 -> 0.940, false positives 7/803, 6/800 both times, O 0.884 /
0.835; a promotion or referral code beside its word (``m_promo_code``: "code KAVYA250", "كود الدعوة
RAKAN50"): 0.953 / 0.941, 7/803, 6/800, O 0.872 / 0.835. After, O among the training writers
(3,127 comments, 1,366 spam; shipped spam threshold 0.73):
leave-one-writer-out over twelve writers F1 en 0.945, ar 0.935 (recall 623/688, 600/678); false
positives 7/882 (0.8 %), 6/879 (0.7 %); 1 ham at the discard threshold (O's lost cat); U+W (trained
with O) F1 en 0.950, ar 0.964, false positives 2/158, 1/151, 0 ham discarded. The goal (F1 ≥ 0.95 per
language on a fresh writer, no ham discarded) is unmet.

Measured 2026-12-01, writer P (``--no-spamassassin --fresh P``). Blind, the procedure as it stood
(trained on Q-Z, threshold 0.73): F1 en 0.907, ar 0.937; false positives 0/76, 1/88; 0 ham discarded; 15
spam missed, 14 of them in the review band. Tried by leave-one-writer-out over Q-Z (P only as the check)
and not kept: no text-only copy of a spam comment whose text has no way out (its evidence is the
author's URL): F1 en 0.955 -> 0.953, ar 0.946 -> 0.943, P 0.875 / 0.927; Arabizi digits read as letters
and more currencies: LOWO alike (0.955 / 0.946, false positives 7/727, 2/712), P 0.896 / 0.937; C = 10:
F1 0.956 / 0.947, false positives 7/727, 4/712, no English ham at the discard threshold (1 at C = 20), P
0.907 / 0.946: within noise, not adopted in this session. After, P among the training writers (the
procedure unchanged, so P's own figure is the blind one): leave-one-writer-out over eleven writers F1 en
0.953, ar 0.940; false positives 7/803 (0.9 %), 6/800 (0.75 %); 1 English ham at the discard threshold
(as over ten); U+W (trained with P) F1 en 0.951, ar 0.973, false positives 3/158, 1/151, 0 ham
discarded. The goal (F1 ≥ 0.95 per language on a fresh writer) is unmet.

Measured 2026-12-01 (``--no-spamassassin``, spam threshold at 0.75 % out-of-fold false positives):
fresh writer R blind, with the model shipped before (trained on Q, S-Z): F1 en 0.931, ar 0.881, false
positives 2/60, 1/60; after the threshold change 0.893, 0.879, 2/60, 0/60. Leave-one-writer-out over
ten writers: F1 en 0.955, ar 0.946; false positives 7/727, 3/712 (over Q, S-Z: 0.962, 0.953, 5/667,
3/652). U+W (trained with R): F1 en 0.951, ar 0.978; false positives 3/158, 1/151; 0 ham discarded.

Measured 2026-11-30 (``--no-spamassassin``), held-out U+W: spam verdict F1 en 0.960, ar 0.978;
false positives 3/158 en, 1/151 ar; 0 ham discarded. Leave-one-writer-out over nine writers: F1 en
0.961, ar 0.958; false positives 8/667, 4/652. Fresh writer Q (``--fresh Q``): F1 en 0.908, ar 0.934
(with the model shipped before Q was written: 0.836, 0.906). Before writer Q, the bare links and
C = 20: U+W F1 en 0.960, ar 0.973, false positives 2/158, 1/151. Before the writers X, Y, Z and the
contact features (trained on S+T+V): F1 en 0.882, ar 0.850; false positives 0/158, 2/151.

* Quality per language (precision, recall, F1, false-positive rate, with Wilson 95 % intervals for
  recall and the false-positive rate; every false positive and false negative listed) of
  - ``leakwarden``: ``comment-check`` through the Akismet route (in process, SQLite, the strict
    policy, the spam, private-information and URL-rule detectors), the author fields included;
  - ``model, text only``: the spam detector on the text alone (what a plain Post gives it);
  - ``has a link``: spam if the text or the author's URL has a link;
  - ``SpamAssassin``: Debian's ``spamassassin -L`` (local tests only) on each comment as a minimal
    e-mail (From: the author, Subject: the article, the text as the body), its default threshold 5;
    skipped with the reason when it is not installed (``make spamassassin``).
* ``discard`` answers on ham (must be 0); the review band (uncertain: shown, queued for a person).
* Campaigns: for each campaign in U, a fresh detector is told 2 of its comments (``submit-spam``)
  and the rest are checked; the recall on the rest before and after, and the ham of U after every
  campaign was reported (false positives the reports caused).
* A fresh writer (``--fresh``, O by default): trained on every other writer, every error listed.
* Cross-validation by writer: for each writer, train (and choose thresholds) on the others, test on it;
  every false positive and false negative listed.
* Speed: ``comment-check`` latency (p50, p99) on the comments without links (goal p99 ≤ 20 ms),
  beside the same route without the spam detector (the reference, same run), as a ratio.
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
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("LEAKWARDEN_FOLLOW_LINKS", "0")

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from scipy.stats import binomtest  # noqa: E402

from leakwarden.signals.spam import train as T  # noqa: E402
from leakwarden.signals.spam.detector import SpamDetector  # noqa: E402
from leakwarden.signals.spam.features import _URL, Comment  # noqa: E402
from leakwarden.signals.spam.model import SpamModel  # noqa: E402
from leakwarden.signals.spam.model import load as load_model  # noqa: E402
from leakwarden.signals.spam.semantic import Meaning  # noqa: E402

LANGS = ("en", "ar")
WRITERS = T.TRAIN_WRITERS.split(",")  # the shipped model's writers, not a copy that can drift


Score = tuple[float, float, float, float]


def counts(records: Sequence[T.Labelled], predicted: Sequence[bool], lang: str) -> tuple[int, int, int, int]:
    """true positives, false positives, false negatives, ham, of one language (or "all")."""
    rows = [(r.spam, p) for r, p in zip(records, predicted, strict=True) if lang in ("all", r.lang)]
    return (sum(1 for y, p in rows if y and p), sum(1 for y, p in rows if not y and p),
            sum(1 for y, p in rows if y and not p), sum(1 for y, _ in rows if not y))


def scores(records: Sequence[T.Labelled], predicted: Sequence[bool]) -> dict[str, Score]:
    out = {}
    for lang in (*LANGS, "all"):
        tp, fp, fn, ham = counts(records, predicted, lang)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        out[lang] = (precision, recall, f1, fp / ham if ham else 0.0)
    return out


def wilson(k: int, n: int) -> str:
    """k/n with its Wilson 95 % interval."""
    if not n:
        return "-"
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return f"{k}/{n} = {k / n:.3f} [{ci.low:.3f}, {ci.high:.3f}]"


def intervals(records: Sequence[T.Labelled], predicted: Sequence[bool]) -> None:
    for lang in (*LANGS, "all"):
        tp, fp, fn, ham = counts(records, predicted, lang)
        print(f"  {lang:3}  false-positive rate {wilson(fp, ham):30}  recall {wilson(tp, tp + fn)}")


def table(rows: list[tuple[str, dict[str, Score]]]) -> None:
    print(f"{'':28}" + "".join(f"{lang + ': P / R / F1 / FPR':>32}" for lang in (*LANGS, "all")))
    for name, by_lang in rows:
        cells = "".join(f"{'{:.3f} / {:.3f} / {:.3f} / {:.3f}'.format(*by_lang[lang]):>32}" for lang in (*LANGS, "all"))
        print(f"{name:28}{cells}")


def has_link(r: T.Labelled) -> bool:
    return bool(r.comment.url.strip()) or bool(_URL.search(r.comment.text))


# -- the Akismet route -----------------------------------------------------------------------------
@dataclass
class Answer:
    """What ``comment-check`` said about one comment."""

    true: bool  # the answer: spam, or held back by the policy
    spam: bool  # a spam signal (not the uncertain band): the spam verdict measured here
    review: bool  # the uncertain band: shown, queued for a person
    discard: bool
    reasons: str
    ms: float
    cpu_ms: float
    linked: bool


def _engine(db: object, spam: SpamModel | None) -> object:
    from leakwarden.engine import Engine
    from leakwarden.signals.pii.detector import PiiDetector

    os.environ.setdefault("LEAKWARDEN_PII_HASH_KEY", "bench-only-key")
    detectors: list[object] = [PiiDetector()]
    if spam is not None:
        detectors.append(SpamDetector(db, model=SpamModel(spam.file)))  # type: ignore[arg-type]
    return Engine(db, policy="strict", detectors=detectors)  # type: ignore[arg-type]


def through_the_route(records: Sequence[T.Labelled], spam: SpamModel | None) -> list[Answer]:
    """Each comment through ``POST /1.1/comment-check`` (in process, SQLite); ``spam``: the model,
    or None for the route without a spam detector (the speed reference). CPU: the process's CPU
    time, every thread (what the request costs when no other process waits for the cores)."""
    from fastapi.testclient import TestClient

    from leakwarden.service.app import create_app
    from leakwarden.service.auth import create_key
    from leakwarden.store.db import Database

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"{tmp}/bench.db")
        engine = _engine(db, spam)
        key = create_key(db, "submitter")[1]
        with TestClient(create_app(engine)) as http:  # type: ignore[arg-type]
            for i, r in enumerate(records):
                form = {"api_key": key, "blog": "https://news.example", "user_ip": f"198.51.100.{i % 250}",
                        "comment_type": "comment", "comment_author": r.comment.author,
                        "comment_author_email": r.comment.email, "comment_author_url": r.comment.url,
                        "comment_content": r.comment.text, "user_agent": "bench"}
                started, cpu_started = time.perf_counter(), time.process_time()
                response = http.post("/1.1/comment-check", data=form)
                ms = (time.perf_counter() - started) * 1000
                reasons = response.headers.get("X-leakwarden-reasons", "")
                out.append(Answer(true=response.text == "true", spam="X-leakwarden-spam" in response.headers,
                                  review="uncertain-comment-spam" in reasons.split(","),
                                  discard=response.headers.get("X-akismet-pro-tip") == "discard", reasons=reasons,
                                  ms=ms, cpu_ms=(time.process_time() - cpu_started) * 1000, linked=has_link(r)))
    return out


def server_side(records: Sequence[T.Labelled], spam: SpamModel | None) -> list[float]:
    """The route's own work for each comment (decide and record: ``check_comment``), without the
    in-process HTTP client's threads."""
    from leakwarden.service.auth import Principal
    from leakwarden.service.compat.akismet import Incoming, check_comment
    from leakwarden.store.db import Database

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"{tmp}/server.db")
        engine = _engine(db, spam)
        who = Principal("bench", "submitter")
        for i, r in enumerate(records):
            fields = {"user_ip": f"198.51.100.{i % 250}", "comment_author": r.comment.author,
                      "comment_author_email": r.comment.email, "comment_author_url": r.comment.url,
                      "comment_content": r.comment.text}
            started = time.perf_counter()
            check_comment(engine, Incoming(who, "news.example", fields))  # type: ignore[arg-type]
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
def campaigns(records: Sequence[T.Labelled], model: SpamModel) -> None:
    groups: dict[str, list[T.Labelled]] = defaultdict(list)
    for r in records:
        if r.campaign and r.spam:
            groups[r.campaign].append(r)
    groups = {k: v for k, v in groups.items() if len(v) >= 3}
    if not groups:
        print("campaigns: none with 3 or more comments in the held-out set")
        return
    base = SpamDetector(model=SpamModel(model.file))  # the trained model, never told anything
    detector = SpamDetector(model=SpamModel(model.file))  # told every campaign's 2 reports (in memory)
    ham = [r for r in records if not r.spam]
    ham_before = sum(base.score(r.comment).spam for r in ham)
    totals = defaultdict(int)
    print(f"{'campaign':>10} {'size':>5} {'rest spam before':>17} {'after':>6} {'matched':>8} "
          f"{'mean p before':>14} {'after':>6} {'discard before':>15} {'after':>6}")
    for name, members in sorted(groups.items()):
        rest = members[2:]
        before = [base.score(r.comment, "other.example") for r in rest]
        fresh = SpamDetector(model=SpamModel(model.file))
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


def detector_speed(records: Sequence[T.Labelled], model: SpamModel) -> None:
    """The spam detector's own cost per comment (``score``: one featurizing pass, the model, the
    campaign memory), beside the earlier way of featurizing in the same run: scikit-learn's
    ``HashingVectorizer`` called three times per comment (characters, words, memory), with its checks."""
    from sklearn.feature_extraction.text import HashingVectorizer

    from leakwarden.signals.spam.features import _DIGITS, N_CHAR, N_MEMORY, N_WORD, fold, masked

    shared = Meaning.from_env()  # its own cache: the comments' vectors are not read from the routes' runs
    detector = SpamDetector(model=SpamModel(model.file, meaning=Meaning(shared.embedder) if shared else None))
    featurizer = detector.model.featurizer
    chars = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=N_CHAR, alternate_sign=False,
                              lowercase=False)
    words = HashingVectorizer(analyzer=lambda t: t, n_features=N_WORD, alternate_sign=False, lowercase=False)
    memory = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), n_features=N_MEMORY, alternate_sign=False,
                               lowercase=False)

    def earlier(c: Comment) -> None:
        text = _DIGITS.sub("0", masked(fold(c.text))[0])
        _, tokens, meta = featurizer._prepare(c)
        row = sp.hstack([chars.transform([text]), words.transform([tokens + meta])], format="csr")
        detector.model.probability(row)
        memory.transform([" ".join(_DIGITS.sub("0", masked(fold(c.text))[0]).split())])

    plain = [r.comment for r in records if not has_link(r)]
    for c in plain[:20]:  # warm up both
        detector.score(c)
        earlier(c)
    now, before = [], []
    for c in plain:
        started = time.perf_counter()
        detector.score(c)
        now.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        earlier(c)
        before.append((time.perf_counter() - started) * 1000)
    p50, ref50 = statistics.median(now), statistics.median(before)
    print(f"  {'spam detector alone (score), wall':38} p50 {p50:6.2f} ms   p99 {float(np.percentile(now, 99)):6.2f} ms"
          f"   reference (HashingVectorizer x3) p50 {ref50:6.2f} ms p99 {float(np.percentile(before, 99)):6.2f} ms"
          f"   p50 ratio {p50 / ref50:4.2f}")
    if detector.model.meaning is not None:
        print(f"  {'':38} of which read twice (a sentence vector): {detector.model.meaning.embedded} of "
              f"{len(plain)} comments")
    # The link pattern before bare domains of every generic top-level domain were read as links
    # (thirty top-level domains), swapped in for the reference, alternating comment by comment.
    from leakwarden.signals.spam import features

    link_now = features._URL
    link_before = re.compile(
        r"(?:https?://|www\.)[^\s<>\"'()\[\]]+|\b[a-z0-9][a-z0-9-]{1,62}\.(?:com|net|org|info|biz|xyz|top|online|"
        r"site|club|shop|store|live|io|co|me|ru|cn|tk|ml|ga|cf|gq|pw|ly|sa|ae|eg|us|uk|in|pk)\b(?:/[^\s<>\"']*)?",
        re.IGNORECASE)
    every = [r.comment for r in records]
    now, before = [], []
    try:
        for c in every:
            for pattern, out in ((link_now, now), (link_before, before)):
                features._URL = pattern
                started = time.perf_counter()
                detector.score(c)
                out.append((time.perf_counter() - started) * 1000)
    finally:
        features._URL = link_now
    p50, ref50 = statistics.median(now), statistics.median(before)
    label = f"score, links of {len(features.generic_tlds()) + len(features._COUNTRY_TLDS)} TLDs"
    print(f"  {label:38} p50 {p50:6.2f} ms   p99 {float(np.percentile(now, 99)):6.2f} ms"
          f"   reference (the earlier 30 TLDs) p50 {ref50:6.2f} ms p99 {float(np.percentile(before, 99)):6.2f} ms"
          f"   p50 ratio {p50 / ref50:4.2f}")


def cross_validation(data: Path) -> None:
    """For each writer: train and choose thresholds on the others (``train.build``), test on it."""
    writers = [w for w in WRITERS if (data / f"comments_{w}.jsonl").exists()]
    if len(writers) < 3:
        print("cross-validation by writer: needs three writers or more")
        return
    predicted: list[bool] = []
    tested: list[T.Labelled] = []
    probability: list[float] = []
    for held in writers:
        train = T.load_comments(T.files(data, [w for w in writers if w != held]))
        test = T.load_comments(T.files(data, [held]))
        model = SpamModel(T.build(train))
        th = model.thresholds
        p = model.probability(model.features([r.comment for r in test]), [r.comment for r in test])
        res = scores(test, list(p >= th.spam))
        cells = "  ".join(f"{lang} F1 {res[lang][2]:.3f} FPR {res[lang][3]:.3f}" for lang in LANGS)
        blatant_ham = int(sum(1 for r, q in zip(test, p, strict=True) if not r.spam and q >= th.blatant))
        review = int(sum(1 for q in p if th.review <= q < th.spam))
        print(f"train {'+'.join(w for w in writers if w != held)} → test {held} ({len(test)}; thresholds review "
              f"{th.review} spam {th.spam} blatant {th.blatant}): {cells}  ham ≥ blatant: {blatant_ham}  "
              f"review band: {review}")
        predicted += list(p >= th.spam)
        tested += test
        probability += list(p)
    res = scores(tested, predicted)
    print("every writer held out once, pooled: " + "  ".join(
        f"{lang} P {res[lang][0]:.3f} R {res[lang][1]:.3f} F1 {res[lang][2]:.3f} FPR {res[lang][3]:.3f}"
        for lang in LANGS))
    intervals(tested, predicted)
    errors = [(r, q, y) for r, q, y in zip(tested, probability, predicted, strict=True) if y != r.spam]
    print(f"every false positive and false negative of leave-one-writer-out ({len(errors)}):")
    for r, q, y in errors:
        text = " ".join(r.comment.text.split())
        print(f"  {'FP' if y else 'FN':3} p={q:.2f} {r.id} {r.lang} {r.kind:16} {text[:100]}")


def fresh_writer(data: Path, writer: str) -> None:
    """A writer whose comments were written after the model's design (``--fresh``): trained (and
    thresholds chosen) on every other writer, measured on it, every error listed."""
    test = T.load_comments(T.files(data, [writer]))
    others = [w for w in WRITERS if w != writer and (data / f"comments_{w}.jsonl").exists()]
    train = T.load_comments(T.files(data, others))
    if not test or not train:
        print(f"fresh writer {writer}: no comments")
        return
    model = SpamModel(T.build(train))
    detector = SpamDetector(model=model)
    results = [detector.score(r.comment) for r in test]
    predicted = [x.spam for x in results]
    print(f"fresh writer {writer} ({len(test)} comments, {sum(r.spam for r in test)} spam), trained on the "
          f"{len(others)} others ({'+'.join(others)}), thresholds review {model.thresholds.review} "
          f"spam {model.thresholds.spam} blatant {model.thresholds.blatant}:")
    table([(f"writer {writer}, spam verdict", scores(test, predicted))])
    intervals(test, predicted)
    ham_blatant = sum(1 for r, x in zip(test, results, strict=True) if x.blatant and not r.spam)
    review = [(r.spam, x.review) for r, x in zip(test, results, strict=True)]
    print(f"  discard on ham: {ham_blatant}; review band: {sum(1 for s, v in review if v and not s)} ham, "
          f"{sum(1 for s, v in review if v and s)} spam")
    for r, x in zip(test, results, strict=True):
        if x.spam != r.spam:
            what = "FP" if x.spam else ("FN, review" if x.review else "FN")
            text = " ".join(r.comment.text.split())
            print(f"  {what:10} p={x.probability:.2f} {r.id} {r.lang} {r.kind:16} {text[:100]}")


def listed(records: Sequence[T.Labelled], answers: Sequence[Answer], detector: SpamDetector) -> None:
    """Every false positive and false negative of the spam verdict, and every ham answered true."""
    for r, a in zip(records, answers, strict=True):
        if a.spam == r.spam and not (a.true and not r.spam):
            continue
        what = ("FP" if a.spam else "held") if not r.spam else ("FN, review" if a.review else "FN")
        p = detector.score(r.comment, "news.example").probability
        text = " ".join(r.comment.text.split())
        print(f"  {what:10} p={p:.2f} {r.id} {r.lang} {r.kind:14} {a.reasons or '-':28} {text[:100]}")


def given_model(directory: Path, held_out: Sequence[str]) -> tuple[SpamModel | None, str]:
    """The model in ``directory`` and how it was made, or None and why it cannot be measured on
    ``held_out`` (it is not a model, or it was trained on one of them)."""
    try:
        file = load_model(directory)
    except (OSError, ValueError) as exc:
        return None, f"{directory}: not a spam model ({exc})"
    read = {Path(name).stem.rsplit("_", 1)[-1] for name in file.info.get("trained_on", [])}
    seen = sorted(read & set(held_out))
    if seen:
        return None, f"{directory} was trained on {', '.join(seen)}: not blind on them"
    return SpamModel(file), f"the model in {directory} ({file.info.get('comments', '?')} comments, never these)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data" / "spam")
    parser.add_argument("--held-out", default="U,W", help="writers to measure on; the others are trained on")
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validation by writer")
    parser.add_argument("--no-spamassassin", action="store_true")
    parser.add_argument("--fresh", default="O", help="a writer to measure as fresh (trained on all others); '' skips")
    parser.add_argument("--model", type=Path, default=None,
                        help="measure this trained model's directory (blind: it must not have read the held-out "
                             "writers) instead of training one")
    args = parser.parse_args(argv)
    held_out = args.held_out.split(",")
    held = T.load_comments(T.files(args.data, held_out))
    if not held:
        print(f"no comments for {held_out} in {args.data}", file=sys.stderr)
        return 2
    by_lang = {lang: sum(1 for r in held if r.lang == lang) for lang in LANGS}
    if args.model is not None:
        model, source = given_model(args.model, held_out)
        if model is None:
            print(source, file=sys.stderr)
            return 2
    else:
        trainers = [w for w in WRITERS if w not in held_out]
        train = T.load_comments(T.files(args.data, trainers))
        if not train:
            print(f"no comments for {trainers} in {args.data}", file=sys.stderr)
            return 2
        model, source = SpamModel(T.build(train)), f"trained on {'+'.join(trainers)} ({len(train)})"
    th = model.thresholds
    print(f"held-out writers {'+'.join(held_out)}: {len(held)} comments ({sum(r.spam for r in held)} spam; "
          f"{by_lang['en']} English, {by_lang['ar']} Arabic); {source}, "
          f"thresholds chosen on its writers: review {th.review}, spam {th.spam}, blatant {th.blatant}\n")

    answers = through_the_route(held, model)
    reference = through_the_route(held, None)
    server = server_side(held, model)
    server_reference = server_side(held, None)
    detector = SpamDetector(model=SpamModel(model.file))
    text_only = [detector.score(Comment(r.comment.text)).spam for r in held]
    spam_verdict = [a.spam for a in answers]
    rows = [("leakwarden (spam verdict)", scores(held, spam_verdict)),
            ("comment-check answer true", scores(held, [a.true for a in answers])),
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
    print("spam verdict, Wilson 95 % intervals:")
    intervals(held, spam_verdict)
    review_ham = sum(1 for r, a in zip(held, answers, strict=True) if a.review and not r.spam)
    review_spam = sum(1 for r, a in zip(held, answers, strict=True) if a.review and r.spam)
    print(f"review band (shown, queued for a person): {review_ham} ham, {review_spam} spam")
    print("every false positive (FP), false negative (FN) and ham answered true for another reason (held):")
    listed(held, answers, detector)
    ham_discarded = sum(1 for r, a in zip(held, answers, strict=True) if a.discard and not r.spam)
    spam_discarded = sum(1 for r, a in zip(held, answers, strict=True) if a.discard and r.spam)
    print(f"\ndiscard answers: {ham_discarded} on ham (goal 0), {spam_discarded} on {sum(r.spam for r in held)} spam")
    plain = [i for i, a in enumerate(answers) if not a.linked]
    print(f"comment-check without links ({len(plain)} comments; SQLite; goal p99 20 ms); reference: the same "
          f"route without the spam detector, same run:")
    for what, values, ref in (("HTTP (in-process client), wall", [a.ms for a in answers], [a.ms for a in reference]),
                              ("HTTP (in-process client), CPU", [a.cpu_ms for a in answers],
                               [a.cpu_ms for a in reference]),
                              ("server side (decide + record), wall", server, server_reference)):
        mine, theirs = [values[i] for i in plain], [ref[i] for i in plain]
        if len(mine) >= 2:
            p99, ref99 = float(np.percentile(mine, 99)), float(np.percentile(theirs, 99))
            print(f"  {what:38} p50 {statistics.median(mine):6.2f} ms   p99 {p99:6.2f} ms   reference p50 "
                  f"{statistics.median(theirs):6.2f} ms p99 {ref99:6.2f} ms   p99 ratio {p99 / ref99:4.2f}")
    detector_speed(held, model)
    print()
    campaigns(held, model)
    if args.fresh:
        print()
        fresh_writer(args.data, args.fresh)
    if not args.no_cv:
        print()
        cross_validation(args.data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
