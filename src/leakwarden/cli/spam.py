"""``leakwarden spam``: score comments, report spam and ham, train and describe the model.

    leakwarden spam check FILE|-            one comment (its text) → its score, as JSON
    leakwarden spam check --jsonl IN.jsonl  one {"id", "text", "author"?, "email"?, "url"?} a line
    leakwarden spam feedback --spam ID      a stored post is spam (--ham: it is not); learnt at once
    leakwarden spam feedback --ham --text FILE [--site S]   a comment that was never stored
    leakwarden spam train [--data DIR] [--train L,M,N,O,P,Q,R,S,T,U,V,W,X,Y,Z] [--out DIR]
    leakwarden spam model [--dir DIR]       the model's settings, thresholds and training figures

With ``--db``, ``check`` first learns every report stored there (as the server does); without it,
the shipped model reads the comment alone.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from leakwarden.cli.common import CreateOption, DbOption, echo_json, open_db, parse_json, read_text
from leakwarden.errors import InvalidInput
from leakwarden.model import MAX_TEXT_CHARS

spam_app = typer.Typer(help="Comment spam: check, report, train, describe the model.", no_args_is_help=True)
SiteOption = Annotated[str, typer.Option("--site", help="The site the comment was posted on")]
AuthorOption = Annotated[str, typer.Option("--author", help="The comment author's name")]
EmailOption = Annotated[str, typer.Option("--email", help="The comment author's e-mail address")]
UrlOption = Annotated[str, typer.Option("--url", help="The comment author's URL")]


def register(app: typer.Typer) -> None:
    app.add_typer(spam_app, name="spam")


def _detector(db: str | None, create: bool = False) -> Any:
    from leakwarden.signals.spam import SpamDetector

    return SpamDetector(open_db(db, create) if db is not None else None)


def _comment(text: str, author: str = "", email: str = "", url: str = "", where: str = "the comment") -> Any:
    from leakwarden.signals.spam import Comment

    if not text.strip():
        raise InvalidInput(f"{where}: the text is empty", code="invalid_comment")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"{where}: the text is longer than {MAX_TEXT_CHARS} characters", code="too_long")
    return Comment(text, author, email, url)


def score_json(detector: Any, comment: Any, site: str = "") -> dict[str, Any]:
    """A comment's score as JSON: ``verdict`` is spam, review (uncertain), private (it exposes a
    person's private information: not spam) or ham."""
    result = detector.score(comment, site)
    verdict = ("spam" if result.spam else "review" if result.review else
               "private" if result.private else "ham")
    return {"verdict": verdict, "probability": round(result.probability, 4), "model": round(result.model, 4),
            "spam": result.spam, "blatant": result.blatant, "review": result.review, "lang": result.lang,
            "private": result.private,
            "campaign_report": result.campaign.feedback_id if result.campaign else None,
            "ham_report": result.ham.feedback_id if result.ham else None}


def _batch(detector: Any, path: str, site: str) -> None:
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        item = parse_json(line, where)
        if not isinstance(item, dict) or "id" not in item or not isinstance(item.get("text"), str):
            raise InvalidInput(f'{where}: expected an object with "id" and a string "text"', code="invalid_line")
        author, email, url = (item.get(k, "") for k in ("author", "email", "url"))
        if not all(isinstance(f, str) for f in (author, email, url)):
            raise InvalidInput(f'{where}: "author", "email" and "url" are strings', code="invalid_line")
        comment = _comment(item["text"], author, email, url, where=where)
        typer.echo(json.dumps({"id": item["id"], **score_json(detector, comment, site)}, ensure_ascii=False))


@spam_app.command("check")
def check(
    source: Annotated[str | None, typer.Argument(metavar="FILE|-", help="The comment's text: a file, or - for stdin")
                      ] = None,
    jsonl: Annotated[str | None, typer.Option(
        "--jsonl", metavar="IN.jsonl", help='Batch: one {"id", "text", "author"?, "email"?, "url"?} a line')] = None,
    author: AuthorOption = "", email: EmailOption = "", url: UrlOption = "", site: SiteOption = "",
    db: DbOption = None,
) -> None:
    """Score a comment: spam, review (uncertain), private (doxxing, not spam) or ham, with the probability."""
    if (source is None) == (jsonl is None):
        raise InvalidInput("give either FILE (or -) or --jsonl")
    detector = _detector(db)
    if jsonl is not None:
        _batch(detector, jsonl, site)
        return
    assert source is not None
    echo_json(score_json(detector, _comment(read_text(source), author, email, url), site))


@spam_app.command("feedback")
def feedback(
    post_id: Annotated[str | None, typer.Argument(metavar="ID", help="A stored post's id")] = None,
    spam: Annotated[bool, typer.Option("--spam", help="It is spam")] = False,
    ham: Annotated[bool, typer.Option("--ham", help="It is not spam")] = False,
    text: Annotated[str | None, typer.Option("--text", metavar="FILE|-", help="A comment that was never stored")
                    ] = None,
    author: AuthorOption = "", email: EmailOption = "", url: UrlOption = "", site: SiteOption = "",
    actor: Annotated[str, typer.Option("--actor", help="Who reports it (in the audit log)")] = "cli",
    db: DbOption = None, create: CreateOption = False,
) -> None:
    """Report a comment as spam or ham: stored, audited, and learnt at once by every process sharing the database."""
    from leakwarden.signals.spam.feedback import report_post

    if spam == ham:
        raise InvalidInput("give one of --spam or --ham")
    if (post_id is None) == (text is None):
        raise InvalidInput("give either a stored post's ID or --text FILE")
    label = "spam" if spam else "ham"
    from leakwarden.signals.spam import SpamDetector

    database = open_db(db, create)
    detector = SpamDetector(database)
    if post_id is not None:
        report_id = report_post(database, detector, post_id, label, actor=actor, source="cli")
    else:
        assert text is not None
        comment = _comment(read_text(text), author, email, url)
        report_id = detector.report(comment, label, site=site, source="cli", actor=actor)
    echo_json({"id": report_id, "label": label, "learnt": True})


@spam_app.command("train")
def train(
    data: Annotated[Path, typer.Option("--data", help="A folder of comments_<WRITER>.jsonl")] = Path("bench/data/spam"),
    writers: Annotated[str | None, typer.Option(
        "--train", help="The writers to train on, comma-separated (default: every writer, as the shipped model)")
                       ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Where to write the model (default: the shipped one)")
                   ] = None,
) -> None:
    """Train the spam model on labelled comments; thresholds from cross-validation by writer."""
    from leakwarden.signals.spam import train as trainer

    if not data.is_dir():
        raise InvalidInput(f"{data}: no such folder", code="file_not_found")
    code = trainer.main(["--data", str(data), "--train", writers or trainer.TRAIN_WRITERS,
                         *(["--out", str(out)] if out else [])])
    if code:
        raise typer.Exit(code)


@spam_app.command("model")
def model(
    directory: Annotated[Path | None, typer.Option("--dir", help="A model folder (default: the shipped one)")
                         ] = None,
    db: DbOption = None,
) -> None:
    """The model: its thresholds, what it was trained on and how it measured; with --db, the reports learnt."""
    from leakwarden.signals.spam.model import DATA, MODEL_JSON, load
    from leakwarden.signals.spam.semantic import BAND, Meaning

    folder = directory or DATA
    if not (folder / MODEL_JSON).is_file():
        raise InvalidInput(f"{folder}: no {MODEL_JSON} there", code="file_not_found")
    try:
        loaded = load(folder)
    except (ValueError, OSError, KeyError) as exc:
        raise InvalidInput(f"{folder}: not a spam model this version reads ({type(exc).__name__})",
                           code="invalid_model") from None
    second = loaded.semantic
    meaning = Meaning.from_env() if second is not None else None
    reads = second is not None and meaning is not None and meaning.name == second.embedder
    in_force = second.thresholds if reads and second is not None else loaded.thresholds
    info: dict[str, Any] = {"dir": str(folder), "intercept": round(loaded.intercept, 6),
                            "weights": int((loaded.weights != 0).sum()),
                            "thresholds": dataclasses.asdict(in_force), **loaded.info}
    if second is not None:
        info["second_reading"] = {"embedder": second.embedder, "active": reads, "band": list(BAND),
                                  "weights": int((second.weights != 0).sum()),
                                  "first_reading_thresholds": dataclasses.asdict(loaded.thresholds)}
    if db is not None:
        info["reports_learnt"] = _detector(db).reports_learnt
    echo_json(info)
