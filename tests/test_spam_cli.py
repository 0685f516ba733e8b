"""``leakwarden spam``: check, feedback, train and model, with one readable line on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from test_cli import run  # the CLI's own entry point, its exit code and output (tests/test_cli.py)

from leakwarden.signals.spam.tables import SpamFeedbackRow
from leakwarden.store.db import Database

SPAM = ("Buy Viagra and Cialis online without prescription, cheapest prices, fast delivery "
        "https://rx-pharma-deals.store")
HAM = "The minister's answer contradicts what he told this paper last month."
# A campaign the shipped model does not take for spam on its own: learnt from one report.
CAMPAIGN = ("Honestly the Moringa Calm tea from my aunt's shop helped my sleep more than anything, my whole "
            "family drinks it now")
REWORDED = ("Honestly, Moringa Calm tea from my aunt's shop helped my sleep more than anything else, the whole "
            "family drinks it now")


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = str(tmp_path / "spam.db")
    assert run(capsys, "init", "--db", path)[0] == 0
    return path


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("text,verdict", [
    (SPAM, "spam"),
    (HAM, "ham"),
    ("الشيخ الروحاني أبو علي لجلب الحبيب ورد المطلقة وفك السحر، للتواصل واتساب 00966555123456", "spam"),
    ("هذا كلام فارغ، الحكومة تكذب علينا منذ سنوات ولن يتغير شيء", "ham"),
])
def test_check_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, verdict: str) -> None:
    code, out, _ = run(capsys, "spam", "check", write(tmp_path, "c.txt", text))
    assert code == 0
    result = json.loads(out)
    assert result["verdict"] == verdict
    assert result["spam"] is (verdict == "spam")
    assert 0.0 <= result["probability"] <= 1.0


def test_check_jsonl_with_author_fields(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    lines = [{"id": "a", "text": SPAM, "author": "Pharma", "url": "https://rx-pharma-deals.store"},
             {"id": 7, "text": HAM, "author": "Sarah K"}]
    path = write(tmp_path, "in.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    code, out, _ = run(capsys, "spam", "check", "--jsonl", path)
    assert code == 0
    got = [json.loads(line) for line in out.splitlines()]
    assert [(g["id"], g["verdict"]) for g in got] == [("a", "spam"), (7, "ham")]


def test_feedback_is_learnt_and_seen_by_check(capsys: pytest.CaptureFixture[str], tmp_path: Path, db: str) -> None:
    reworded = write(tmp_path, "reworded.txt", REWORDED)
    code, out, _ = run(capsys, "spam", "check", reworded, "--db", db)
    assert code == 0 and json.loads(out)["campaign_report"] is None
    code, out, _ = run(capsys, "spam", "feedback", "--spam", "--text", write(tmp_path, "c.txt", CAMPAIGN),
                       "--site", "news.example", "--db", db)
    assert code == 0
    report = json.loads(out)
    assert report["label"] == "spam" and report["learnt"] is True
    code, out, _ = run(capsys, "spam", "check", reworded, "--db", db)  # a new process would see the same
    result = json.loads(out)
    assert result["campaign_report"] == report["id"] and result["verdict"] == "spam"
    code, out, _ = run(capsys, "spam", "model", "--db", db)
    assert json.loads(out)["reports_learnt"] == 1
    with Database(db).session() as s:
        [row] = s.scalars(select(SpamFeedbackRow)).all()
    assert (row.source, row.actor, row.site, row.label) == ("cli", "cli", "news.example", "spam")


def test_feedback_on_a_stored_post(capsys: pytest.CaptureFixture[str], tmp_path: Path, db: str) -> None:
    post = write(tmp_path, "posts.jsonl", json.dumps({"id": "c-1", "author": "acct-1", "text": CAMPAIGN,
                                                      "surface": "comment"}) + "\n")
    code, _, err = run(capsys, "scan", post, "--ingest", "--out", str(tmp_path / "out.jsonl"), "--db", db,
                       "--no-follow")
    assert code == 0, err
    code, out, _ = run(capsys, "spam", "feedback", "--ham", "c-1", "--db", db)
    assert code == 0 and json.loads(out)["label"] == "ham"
    code, _, err = run(capsys, "spam", "feedback", "--spam", "no-such-post", "--db", db)
    assert code == 2 and "no post 'no-such-post'" in err


def test_model_info_and_train(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "spam", "model")
    info = json.loads(out)
    th = info["thresholds"]
    assert code == 0 and th["review"] <= th["spam"] < th["blatant"]
    assert info["trained_on"] and info["out_of_fold"]["en"]["fpr"] <= 0.02
    data = tmp_path / "data"
    data.mkdir()
    for writer, offset in (("A", 0), ("B", 1)):
        rows = [{"id": f"{writer}{i}", "lang": "en", "label": "spam" if (i + offset) % 2 else "ham",
                 "text": (f"cheap pills online now {i} https://pills-{i}.top" if (i + offset) % 2
                          else f"I disagree with the council about the library, point {i}")} for i in range(30)]
        (data / f"comments_{writer}.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    out_dir = tmp_path / "model"
    code, out, err = run(capsys, "spam", "train", "--data", str(data), "--train", "A,B", "--out", str(out_dir))
    assert code == 0, err
    assert "trained on 60 comments" in out
    code, out, _ = run(capsys, "spam", "model", "--dir", str(out_dir))
    assert json.loads(out)["trained_on"] == ["comments_A.jsonl", "comments_B.jsonl"]


@pytest.mark.parametrize("args,message", [
    (["spam", "check"], "give either FILE"),
    (["spam", "check", "/nonexistent/c.txt"], "no such file"),
    (["spam", "check", "EMPTY"], "the text is empty"),
    (["spam", "check", "--jsonl", "BAD_JSONL"], "not valid JSON"),
    (["spam", "check", "--jsonl", "NO_TEXT"], 'expected an object with "id" and a string "text"'),
    (["spam", "feedback", "c-1"], "give one of --spam or --ham"),
    (["spam", "feedback", "--spam", "--ham", "c-1"], "give one of --spam or --ham"),
    (["spam", "feedback", "--spam"], "give either a stored post's ID or --text FILE"),
    (["spam", "model", "--dir", "/nonexistent"], "no model.json there"),
    (["spam", "train", "--data", "/nonexistent"], "no such folder"),
])
def test_bad_input_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, db: str, args: list[str],
                               message: str) -> None:
    files = {"EMPTY": write(tmp_path, "empty.txt", "  \n"), "BAD_JSONL": write(tmp_path, "bad.jsonl", "{nope\n"),
             "NO_TEXT": write(tmp_path, "notext.jsonl", '{"id": 1}\n')}
    args = [files.get(a, a) for a in args]
    code, _, err = run(capsys, *args, *(["--db", db] if args[1] == "feedback" else []))
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and message in err
