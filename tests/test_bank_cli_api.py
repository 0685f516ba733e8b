"""Bank CLI (``register(app)``) and HTTP routes, on fresh apps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from leakwarden.engine import Engine
from leakwarden.errors import InvalidInput, NotFound
from leakwarden.service.app import create_app
from leakwarden.service.auth import create_key
from leakwarden.signals.bank.detector import BankDetector
from leakwarden.store.db import Database

DOSSIER = (
    "Prepared for the Committee by Ridgeline Strategies on 3 March 2025. Marisol Trent, 47, has "
    "represented the 14th District on the Brannock County Board since 2019. She lives at 2218 "
    "Willowmere Lane in Easton Falls with her husband Gregory. County payroll records list a Social "
    "Security number ending in 4471. Between January 2021 and August 2023 Trent voted eleven times on "
    "contracts awarded to Halden Paving, a firm in which her brother-in-law holds a 30 percent stake."
)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[CliRunner, typer.Typer, Path]:
    from leakwarden.cli.bank import register

    monkeypatch.setenv("LEAKWARDEN_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    Database(f"sqlite:///{tmp_path}/cli.db").dispose()  # the CLI opens only a database that exists
    monkeypatch.setenv("LEAKWARDEN_EMBEDDER", "none")
    app = typer.Typer()
    register(app)
    return CliRunner(), app, tmp_path


def test_cli_bank_lifecycle_and_match(cli: tuple[CliRunner, typer.Typer, Path]) -> None:
    runner, app, tmp = cli
    (tmp / "dossier.txt").write_text(DOSSIER, encoding="utf-8")
    r = runner.invoke(app, ["bank", "create", "leaks", "--label", "hack-and-leak, state-backed"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["bank", "add", "leaks", str(tmp / "dossier.txt"), "--id", "d1"])
    assert r.exit_code == 0 and json.loads(r.output)["id"] == "d1"
    r = runner.invoke(app, ["bank", "add", "leaks", "--text-file", "-", "--id", "t2"],
                      input="Another leaked memo text about the quarry permit and its 12 trucks.")
    assert r.exit_code == 0, r.output
    assert [b["items"] for b in json.loads(runner.invoke(app, ["bank", "list"]).output)] == [2]
    r = runner.invoke(app, ["bank", "match", "-"], input=DOSSIER.upper())
    [m] = json.loads(r.output)
    assert (m["bank"], m["item"], m["method"], m["score"]) == ("leaks", "d1", "exact", 1.0)
    assert set(m) >= {"bank", "item", "method", "score", "passages"}
    posts = tmp / "in.jsonl"
    posts.write_text(json.dumps({"id": "p1", "text": DOSSIER}) + "\n"
                     + json.dumps({"id": "p2", "text": "nothing to see"}) + "\n", encoding="utf-8")
    r = runner.invoke(app, ["bank", "match", "--jsonl", str(posts)])
    lines = [json.loads(x) for x in r.output.splitlines()]
    assert [(x["id"], [m["item"] for m in x["matches"]]) for x in lines] == [("p1", ["d1"]), ("p2", [])]
    assert runner.invoke(app, ["bank", "disable", "leaks", "d1"]).exit_code == 0
    assert json.loads(runner.invoke(app, ["bank", "match", str(tmp / "dossier.txt")]).output) == []
    assert runner.invoke(app, ["bank", "enable", "leaks", "d1"]).exit_code == 0
    out = tmp / "export.jsonl"
    assert runner.invoke(app, ["bank", "export", "leaks", str(out)]).exit_code == 0
    r = runner.invoke(app, ["bank", "import", str(out), "--bank", "partner"])
    assert json.loads(r.output) == {"bank": "partner", "added": 2}
    r = runner.invoke(app, ["bank", "match", str(tmp / "dossier.txt")])
    assert sorted(m["bank"] for m in json.loads(r.output)) == ["leaks", "partner"]
    assert runner.invoke(app, ["bank", "remove", "leaks", "d1"]).exit_code == 0
    assert [i["id"] for i in json.loads(runner.invoke(app, ["bank", "list", "leaks"]).output)] == ["t2"]


@pytest.mark.parametrize(("args", "error"), [
    (["bank", "add", "leaks", "missing.txt"], InvalidInput),
    (["bank", "add", "nobank", "--text-file", "-"], NotFound),
    (["bank", "match"], InvalidInput),
    (["bank", "disable", "leaks", "nope"], NotFound),
    (["bank", "import", "-"], InvalidInput),
])
def test_cli_errors_are_leakwarden_errors(cli: tuple[CliRunner, typer.Typer, Path], args: list[str],
                                          error: type[Exception]) -> None:
    runner, app, _ = cli
    runner.invoke(app, ["bank", "create", "leaks", "--label", "x"])
    r = runner.invoke(app, args, input="some text here")
    assert isinstance(r.exception, error), r.output


@pytest.fixture
def api(tmp_path: Path) -> tuple[TestClient, dict[str, dict[str, str]]]:
    engine = Engine(f"sqlite:///{tmp_path}/api.db", detectors=[])
    engine.detectors.append(BankDetector(engine.db, use_embedder=False))
    keys = {role: {"Authorization": f"Bearer {create_key(engine.db, role)[1]}"}
            for role in ("submitter", "moderator", "admin")}
    return TestClient(create_app(engine), raise_server_exceptions=False), keys


def test_api_banks(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, keys = api
    r = client.post("/v1/banks", json={"name": "leaks", "label": "hack-and-leak"}, headers=keys["admin"])
    assert r.status_code == 201, r.text
    assert client.post("/v1/banks", json={"name": "x"}, headers=keys["submitter"]).status_code in (401, 403)
    r = client.post("/v1/banks/leaks/items", json={"text": DOSSIER, "id": "d1"}, headers=keys["moderator"])
    assert r.status_code == 201 and r.json()["id"] == "d1"
    r = client.post("/v1/banks/leaks/items/upload", files={"file": ("memo.txt", b"A leaked memo " * 20)},
                    data={"id": "m1"}, headers=keys["moderator"])
    assert r.status_code == 201, r.text
    r = client.post("/v1/banks/match", json={"text": DOSSIER}, headers=keys["submitter"])
    assert [(m["item"], m["method"]) for m in r.json()["matches"]] == [("d1", "exact")]
    assert client.post("/v1/banks/leaks/items/d1/disable", headers=keys["moderator"]).status_code == 200
    r = client.post("/v1/banks/match", json={"text": DOSSIER}, headers=keys["submitter"])
    assert r.json()["matches"] == []
    assert client.delete("/v1/banks/leaks/items/d1", headers=keys["moderator"]).status_code == 200
    r = client.get("/v1/banks/leaks/items", headers=keys["moderator"])
    assert [i["id"] for i in r.json()] == ["m1"]
    r = client.get("/v1/banks/leaks/export", headers=keys["moderator"])
    assert r.status_code == 200 and len(r.text.splitlines()) == 2
    r = client.post("/v1/banks/import", files={"file": ("x.jsonl", r.content)}, data={"bank": "copy"},
                    headers=keys["admin"])
    assert r.json() == {"bank": "copy", "added": 1}


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("post", "/v1/banks", {"name": "bad name", "label": "x"}, 422),
    ("post", "/v1/banks/nope/items", {"text": "x y z"}, 404),
    ("post", "/v1/banks/match", {"text": 5}, 422),
    ("post", "/v1/banks/match", {"nope": "x"}, 422),
    ("delete", "/v1/banks/nope/items/x", None, 404),
])
def test_api_bad_input_is_4xx(api: tuple[TestClient, dict[str, dict[str, str]]], method: str, path: str,
                              body: dict[str, object] | None, status: int) -> None:
    client, keys = api
    r = client.request(method.upper(), path, json=body, headers=keys["admin"])
    assert r.status_code == status, r.text
    assert "error" in r.json()
