"""``leakwarden pii`` and ``leakwarden redact``: private information in a file or stdin."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any, cast

import typer

from leakwarden.cli.common import echo_json, read_bytes, read_text
from leakwarden.errors import InvalidInput
from leakwarden.links.ocr import is_image
from leakwarden.signals.pii import LABELS, STYLES, Style, find_pii, redact
from leakwarden.signals.pii.find import check_regions
from leakwarden.signals.pii.redact import check_styles

HASH_KEY_ENV = "LEAKWARDEN_PII_HASH_KEY"

RegionsOption = Annotated[str, typer.Option(
    "--regions", help="Comma-separated country codes for phone plans and national IDs")]
MinConfidence = Annotated[float, typer.Option(
    "--min-confidence", min=0.0, max=1.0, help="Drop findings below this confidence")]


def _findings_json(text: str, regions: tuple[str, ...], min_confidence: float) -> list[dict[str, Any]]:
    return [f.to_json() for f in find_pii(text, regions=regions, min_confidence=min_confidence)]


def _batch(path: str, regions: tuple[str, ...], min_confidence: float) -> None:
    lines = read_text(path).splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}:{number}: not valid JSON ({exc.msg})", code="malformed_json") from None
        except RecursionError:
            raise InvalidInput(f"{path}:{number}: JSON nested too deeply", code="too_deep") from None
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or "id" not in item:
            raise InvalidInput(f'{path}:{number}: expected an object with "id" and a string "text"')
        findings = _findings_json(item["text"], regions, min_confidence)
        typer.echo(json.dumps({"id": item["id"], "findings": findings}, ensure_ascii=False))


def pii(
    source: Annotated[str | None, typer.Argument(metavar="FILE|-", help="Text file, or - for stdin")] = None,
    jsonl: Annotated[str | None, typer.Option(
        "--jsonl", metavar="IN.jsonl", help='Batch: one {"id", "text"} per line in, one {"id", "findings"} out')
    ] = None,
    regions: RegionsOption = "US,SA,AE,EG",
    min_confidence: MinConfidence = 0.5,
) -> None:
    """Find private information; print the findings as JSON ({label, start, end, text, confidence})."""
    wanted = check_regions(regions)
    if jsonl is not None:
        if source is not None:
            raise InvalidInput("give either FILE or --jsonl, not both")
        _batch(jsonl, wanted, min_confidence)
        return
    if source is None:
        raise InvalidInput("give a FILE (or - for stdin), or --jsonl IN.jsonl")
    echo_json(_findings_json(read_text(source), wanted, min_confidence))


def _label_styles(pairs: list[str]) -> dict[str, Style]:
    out: dict[str, Any] = {}
    for pair in pairs:
        label, sep, style = pair.partition("=")
        if not sep:
            raise InvalidInput(f"--label-style {pair!r}: expected LABEL=STYLE, e.g. US_SSN=hash")
        out[label.strip().upper()] = style.strip().lower()
    return check_styles(out)


def redact_cmd(
    source: Annotated[str, typer.Argument(
        metavar="FILE|-", help="Text file or image (PNG, JPEG, WebP, GIF), or - for stdin")],
    out: Annotated[str | None, typer.Option(
        "-o", "--out", metavar="OUT.png", help="For an image: where to write it, private regions blacked out")] = None,
    style: Annotated[str, typer.Option("--style", help="mask, label or hash, for every label")] = "mask",
    label_style: Annotated[list[str] | None, typer.Option(
        "--label-style", metavar="LABEL=STYLE", help="Per-label style, e.g. US_SSN=hash (repeatable)")] = None,
    regions: RegionsOption = "US,SA,AE,EG",
    min_confidence: MinConfidence = 0.5,
) -> None:
    """Print the text with private information replaced by a mask, the label or a hash.

    Hashes are HMAC-SHA-256 keyed with $LEAKWARDEN_PII_HASH_KEY when it is set (plain SHA-256
    otherwise, which short values such as SSNs do not survive: set a key).

    An image is read with OCR and written to ``-o`` as PNG with its private regions blacked out;
    the regions found are printed as JSON."""
    data = read_bytes(source)
    if is_image(None, data[:16]):
        _redact_image(source, data, out, check_regions(regions), min_confidence)
        return
    if out is not None:
        raise InvalidInput("-o is for images; redacted text goes to standard output", code="invalid_option")
    if style not in STYLES:
        raise InvalidInput(f"unknown style {style!r}; use one of {', '.join(STYLES)}")
    styles: dict[str, Style] = dict.fromkeys(LABELS, cast(Style, style))
    styles.update(_label_styles(label_style or []))
    text = _text_of(data, source)
    findings = find_pii(text, regions=check_regions(regions), min_confidence=min_confidence)
    key = os.environ.get(HASH_KEY_ENV, "").encode() or None
    typer.echo(redact(text, findings, styles, key=key), nl=False)


def _text_of(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{source}: neither UTF-8 text nor a PNG, JPEG, WebP or GIF image",
                           code="unreadable_file") from None


def _redact_image(source: str, data: bytes, out: str | None, regions: tuple[str, ...], min_confidence: float) -> None:
    from leakwarden.links.ocr import ImageError
    from leakwarden.signals.images.redact import redact_image

    if out is None:
        raise InvalidInput(f"{source} is an image: name the redacted copy with -o OUT.png", code="invalid_option")
    try:
        redacted = redact_image(data, regions=regions, min_confidence=min_confidence)
    except ImageError as exc:
        raise InvalidInput(f"{source}: {exc.message}", code=exc.code) from None
    try:
        with open(out, "wb") as sink:
            sink.write(redacted.png)
    except OSError as exc:
        raise InvalidInput(f"{out}: cannot write it ({type(exc).__name__})", code="unwritable_file") from None
    echo_json({"file": out, "regions": [list(r) for r in redacted.regions], "labels": redacted.labels})


def register(app: typer.Typer) -> None:
    app.command("pii")(pii)
    app.command("redact")(redact_cmd)
