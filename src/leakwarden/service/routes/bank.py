"""Banks of known leaked material over HTTP: create, list, add items, match, enable/disable/remove,
export and import."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from leakwarden.engine import Engine
from leakwarden.errors import FetchError, InvalidInput, InvalidURL
from leakwarden.links.fetch import REFUSED_CODES
from leakwarden.model import MAX_TEXT_CHARS
from leakwarden.service.deps import AdminDep, EngineDep, ModeratorDep, SubmitterDep
from leakwarden.signals.bank.detector import BankDetector
from leakwarden.signals.bank.embed import embedder_from_env
from leakwarden.signals.bank.extract import MAX_FILE_BYTES
from leakwarden.signals.bank.index import BankIndex
from leakwarden.signals.bank.repository import Banks
from leakwarden.signals.pii import atrest

router = APIRouter(prefix="/v1/banks", tags=["banks"])


class BankIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    label: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(default=None, max_length=200)
    title: str = Field(default="", max_length=500)
    text: str | None = Field(default=None, max_length=5_000_000)
    url: str | None = Field(default=None, max_length=8192)


class MatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=MAX_TEXT_CHARS)
    lang: str | None = Field(default=None, max_length=20)


def bank_index(request: Request, engine: Engine) -> BankIndex:
    """The engine's bank index (its BankDetector's, so items are loaded once per process)."""
    for det in getattr(engine, "detectors", []):
        if isinstance(det, BankDetector):
            return det.index
    index: BankIndex | None = getattr(request.app.state, "bank_index", None)
    if index is None or index.db is not engine.db:
        index = BankIndex(engine.db, embedder_from_env())
        request.app.state.bank_index = index
    return index


def _banks(request: Request, engine: Engine) -> Banks:
    emb = bank_index(request, engine).embedder
    return Banks(engine.db, emb, embed=emb is not None)


@router.get("")
def list_banks(request: Request, engine: EngineDep, _: ModeratorDep) -> list[dict[str, Any]]:
    return [b.model_dump(mode="json") for b in _banks(request, engine).list_banks()]


@router.post("", status_code=201)
def create_bank(body: BankIn, request: Request, engine: EngineDep, _: AdminDep) -> dict[str, Any]:
    return _banks(request, engine).create(body.name, body.label, body.description).model_dump(mode="json")


@router.get("/{bank}/items")
def list_items(bank: str, request: Request, engine: EngineDep, _: ModeratorDep) -> list[dict[str, Any]]:
    return [i.model_dump(mode="json") for i in _banks(request, engine).items(bank)]


@router.post("/{bank}/items", status_code=201)
def add_item(bank: str, body: ItemIn, request: Request, engine: EngineDep, _: ModeratorDep) -> dict[str, Any]:
    banks = _banks(request, engine)
    if (body.text is None) == (body.url is None):
        raise InvalidInput("give exactly one of text or url")
    if body.url is not None:
        try:
            return banks.add_url(bank, body.url, item_id=body.id).model_dump(mode="json")
        except FetchError as exc:
            if exc.code in REFUSED_CODES:  # the client's URL, not the remote server, is at fault
                raise InvalidURL(exc.message, code=exc.code) from None
            raise
    assert body.text is not None
    return banks.add_text(bank, body.text, item_id=body.id, title=body.title).model_dump(mode="json")


@router.post("/{bank}/items/upload", status_code=201)
async def upload_item(bank: str, request: Request, engine: EngineDep, _: ModeratorDep,
                      file: Annotated[UploadFile, File()],
                      id: Annotated[str | None, Form(max_length=200)] = None) -> dict[str, Any]:
    data = await file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"file larger than {MAX_FILE_BYTES} bytes")
    info = _banks(request, engine).add_bytes(bank, data, name=file.filename or "", item_id=id,
                                             content_type=file.content_type or "")
    return info.model_dump(mode="json")


@router.post("/{bank}/items/{item}/disable")
def disable_item(bank: str, item: str, request: Request, engine: EngineDep, _: ModeratorDep) -> dict[str, Any]:
    return _banks(request, engine).disable(bank, item).model_dump(mode="json")


@router.post("/{bank}/items/{item}/enable")
def enable_item(bank: str, item: str, request: Request, engine: EngineDep, _: ModeratorDep) -> dict[str, Any]:
    return _banks(request, engine).enable(bank, item).model_dump(mode="json")


@router.delete("/{bank}/items/{item}")
def remove_item(bank: str, item: str, request: Request, engine: EngineDep, _: ModeratorDep) -> dict[str, Any]:
    return _banks(request, engine).remove(bank, item).model_dump(mode="json")


@router.post("/match")
def match(body: MatchIn, request: Request, engine: EngineDep, _: SubmitterDep) -> dict[str, Any]:
    found = bank_index(request, engine).match(body.text, lang=body.lang)
    return {"matches": [atrest.masked_match(m.to_dict()) for m in found]}


@router.get("/{bank}/export")
def export(bank: str, request: Request, engine: EngineDep, _: ModeratorDep,
           embeddings: bool = False) -> StreamingResponse:
    from leakwarden.signals.bank.exchange import export_bank

    records = list(export_bank(_banks(request, engine), bank, embeddings=embeddings))

    def lines() -> Iterator[str]:
        for rec in records:
            yield json.dumps(rec, ensure_ascii=False) + "\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")


@router.post("/import", status_code=201)
async def import_bank(request: Request, engine: EngineDep, _: AdminDep,
                      file: Annotated[UploadFile, File()],
                      bank: Annotated[str | None, Form(max_length=100)] = None) -> dict[str, Any]:
    from leakwarden.signals.bank.exchange import import_lines

    data = await file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"file larger than {MAX_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("the import file is not UTF-8 JSON Lines") from exc
    try:
        return import_lines(_banks(request, engine), text.splitlines(), bank=bank)
    except RecursionError:
        raise InvalidInput("the import file has JSON nested too deeply", code="too_deep") from None
