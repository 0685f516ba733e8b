"""Images over HTTP: bank an image or a PDF with its PDQ/MD5 hashes, match an image, export and
import hash lists in HMA's and ThreatExchange's formats (``signals.images.bank``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import PlainTextResponse

from leakwarden.errors import InvalidInput
from leakwarden.links.ocr import ImageError, ImageLimits, read_image
from leakwarden.service.deps import AdminDep, EngineDep, ModeratorDep, SubmitterDep
from leakwarden.signals.bank.extract import MAX_FILE_BYTES
from leakwarden.signals.images.bank import ImageBank, ImageHashIndex
from leakwarden.signals.images.detector import ImageHashDetector

router = APIRouter(prefix="/v1/images", tags=["images"])


async def _upload(file: UploadFile, limit: int = MAX_FILE_BYTES) -> bytes:
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"file larger than {limit} bytes", code="too_large")
    return data


def _invalid(exc: ImageError) -> InvalidInput:
    return InvalidInput(exc.message, code=exc.code)


@router.post("/banks/{bank}/items", status_code=201)
async def add_image(bank: str, engine: EngineDep, _: ModeratorDep, file: Annotated[UploadFile, File()],
                    id: Annotated[str | None, Form(max_length=200)] = None) -> dict[str, Any]:
    """Bank an image or a PDF: its (OCR) text as an item, its PDQ hashes (one per PDF page) and MD5."""
    data = await _upload(file)
    try:
        banked = ImageBank(engine.db).add(bank, data, name=file.filename or "", item_id=id)
    except ImageError as exc:
        raise _invalid(exc) from None
    return {**banked.item.model_dump(mode="json"), "hashes": banked.hashes, "pages": banked.pages}


@router.post("/match")
async def match_image(engine: EngineDep, _: SubmitterDep, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    """The image's PDQ hash and the banked items it matches by MD5 or PDQ distance."""
    limits = ImageLimits(ocr=False)
    try:
        read = read_image(await _upload(file, limits.max_bytes), limits)
    except ImageError as exc:
        raise _invalid(exc) from None
    index = next((d.index for d in engine.detectors if isinstance(d, ImageHashDetector)), None)
    matches = (index or ImageHashIndex(engine.db)).match(read)
    return {"pdq": read.first.pdq, "quality": read.first.quality, "md5": read.md5,
            "matches": [m.__dict__ for m in matches]}


@router.get("/banks/{bank}/export", response_class=PlainTextResponse)
def export_hashes(bank: str, engine: EngineDep, _: ModeratorDep, format: str = "hma") -> PlainTextResponse:
    lines = list(ImageBank(engine.db).export(bank, format))
    media = "text/plain" if format == "hma" else "application/x-ndjson"
    return PlainTextResponse("".join(line + "\n" for line in lines), media_type=media)


@router.post("/banks/{bank}/import", status_code=201)
async def import_hashes(bank: str, engine: EngineDep, _: AdminDep, file: Annotated[UploadFile, File()],
                        format: Annotated[str, Form(max_length=10)] = "hma") -> dict[str, Any]:
    try:
        text = (await _upload(file)).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the hash file is not UTF-8 text", code="invalid_signal") from None
    return ImageBank(engine.db).import_lines(bank, text.splitlines(), format)
