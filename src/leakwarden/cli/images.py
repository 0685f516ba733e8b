"""``leakwarden images ...``: banked images and PDF pages by PDQ and MD5 hash; exchange with HMA and
ThreatExchange. (``leakwarden redact IMAGE -o OUT`` blacks out an image's private regions.)"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leakwarden.cli.common import CreateOption, DbOption, echo_json, open_db, read_bytes, read_text
from leakwarden.errors import InvalidInput
from leakwarden.links.ocr import ImageError, read_image
from leakwarden.signals.images.bank import ImageBank, ImageHashIndex

images_app = typer.Typer(help="Images: banked by PDQ and MD5 hash, matched, exchanged with HMA.",
                         no_args_is_help=True)
FormatOption = Annotated[str, typer.Option("--format", help="hma (one '<signal_type> <hash>' a line) or te "
                                                            "(ThreatExchange descriptor JSON a line)")]


def _bank(db: str | None, create: bool) -> ImageBank:
    return ImageBank(open_db(db, create))


def _image_error(source: str, exc: ImageError) -> InvalidInput:
    return InvalidInput(f"{source}: {exc.message}", code=exc.code)


@images_app.command("add")
def add(bank: str, file: Annotated[str, typer.Argument(help="Image (PNG, JPEG, WebP, GIF) or PDF")],
        item_id: Annotated[str | None, typer.Option("--id")] = None,
        db: DbOption = None, create: CreateOption = False) -> None:
    """Bank an image or a PDF: its (OCR) text as an item, its PDQ/MD5 hashes (each PDF page's) with it."""
    data = read_bytes(file)
    try:
        banked = _bank(db, create).add(bank, data, name=Path(file).name, item_id=item_id)
    except ImageError as exc:
        raise _image_error(file, exc) from None
    echo_json({**banked.item.model_dump(mode="json"), "hashes": banked.hashes, "pages": banked.pages})


@images_app.command("hash")
def hash_(file: Annotated[str, typer.Argument(help="Image (PNG, JPEG, WebP, GIF)")]) -> None:
    """Print an image's PDQ hash (ThreatExchange hex) and quality, MD5 and size."""
    try:
        read = read_image(read_bytes(file))
    except ImageError as exc:
        raise _image_error(file, exc) from None
    page = read.first
    echo_json({"pdq": page.pdq, "quality": page.quality, "md5": read.md5, "width": page.width,
               "height": page.height, "format": page.format, "frames": page.frames})


@images_app.command("match")
def match(file: Annotated[str, typer.Argument(help="Image (PNG, JPEG, WebP, GIF)")],
          threshold: Annotated[int, typer.Option("--threshold", min=0, max=128,
                                                 help="Most PDQ bits apart (HMA's default: 31)")] = 31,
          db: DbOption = None, create: CreateOption = False) -> None:
    """Banked items the image matches by MD5 or PDQ distance."""
    try:
        read = read_image(read_bytes(file))
    except ImageError as exc:
        raise _image_error(file, exc) from None
    index = ImageHashIndex(open_db(db, create), threshold=threshold)
    echo_json([m.__dict__ for m in index.match(read)])


@images_app.command("export")
def export(bank: str, out: str, fmt: FormatOption = "hma", db: DbOption = None, create: CreateOption = False) -> None:
    """Write a bank's image hashes for HMA (``--format hma``) or ThreatExchange (``--format te``)."""
    lines = list(_bank(db, create).export(bank, fmt))
    try:
        Path(out).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{out}: cannot write it ({type(exc).__name__})", code="unwritable_file") from None
    echo_json({"bank": bank, "hashes": len(lines), "format": fmt, "file": out})


@images_app.command("import")
def import_(file: str, bank: Annotated[str, typer.Option("--bank", help="An existing bank")],
            fmt: FormatOption = "hma", db: DbOption = None, create: CreateOption = False) -> None:
    """Import PDQ and MD5 hashes from an HMA signal file or ThreatExchange descriptors."""
    echo_json(_bank(db, create).import_lines(bank, read_text(file).splitlines(), fmt))


def register(app: typer.Typer) -> None:
    app.add_typer(images_app, name="images")
