"""``leakwarden expand``, on a Typer app of its own."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import typer
from fixtures.links.hostserver import HostServer
from fixtures.links.pdfs import text_pdf
from typer.testing import CliRunner

from leakwarden.cli.links import register
from leakwarden.errors import InvalidInput, InvalidURL


@pytest.fixture()
def app() -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def main() -> None:
        """Test app."""

    register(application)
    return application


@pytest.fixture()
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostServer]:
    srv = HostServer()
    srv.routes["/go"] = lambda h: h.send(302, b"", None, {"Location": "/page"})
    srv.routes["/page"] = lambda h: h.send(
        200, b'<html><body><article><p>The newsletter.</p><a href="/doc.pdf">the file</a></article></body></html>')
    srv.routes["/doc.pdf"] = lambda h: h.send(200, text_pdf("Dossier text"), "application/pdf")
    monkeypatch.setenv("LEAKWARDEN_FETCH_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("LEAKWARDEN_FETCH_PORTS", str(srv.port))
    yield srv
    srv.close()


def test_expand_prints_json(app: typer.Typer, site: HostServer) -> None:
    result = CliRunner().invoke(app, ["expand", site.url("/go"), "--json"])
    assert result.exit_code == 0, result.output
    chain = json.loads(result.output)
    assert [(h["via"], h["url"].rsplit("/", 1)[1]) for h in chain["hops"]] == [
        ("post", "go"), ("redirect", "page"), ("outlink", "doc.pdf")]
    assert "Dossier text" in chain["hops"][2]["text"] and chain["complete"] is True


@pytest.mark.parametrize(("args", "shown", "hidden"), [
    ([], ["redirect", "outlink", "application/pdf", "Dossier text"], []),
    (["--depth", "1"], ["redirect", "The newsletter."], ["doc.pdf"]),
])
def test_expand_prints_a_tree(app: typer.Typer, site: HostServer, args: list[str], shown: list[str],
                              hidden: list[str]) -> None:
    result = CliRunner().invoke(app, ["expand", site.url("/go"), *args])
    assert result.exit_code == 0, result.output
    for word in shown:
        assert word in result.output
    for word in hidden:
        assert word not in result.output


def test_cached_unless_refetch(app: typer.Typer, site: HostServer) -> None:
    for _ in range(2):
        CliRunner().invoke(app, ["expand", site.url("/page"), "--depth", "1"])
    assert site.hits["/page"] == 1
    CliRunner().invoke(app, ["expand", site.url("/page"), "--depth", "1", "--refetch"])
    assert site.hits["/page"] == 2


@pytest.mark.parametrize(("url", "code"), [
    ("not a url", "invalid_url"),
    ("ftp://files.example/d.pdf", "bad_scheme"),
    ("http://user:pw@files.example/", "userinfo"),
    ("http://files.example:8081/", "bad_port"),
    ("http://169.254.169.254/latest/meta-data/", "blocked_address"),
    ("http://[::ffff:127.0.0.1]/", "blocked_address"),
])
def test_refused_urls_are_invalid_input(app: typer.Typer, monkeypatch: pytest.MonkeyPatch, url: str,
                                        code: str) -> None:
    """A URL refused before any fetch is the caller's error (exit 2 under ``leakwarden``), not a chain."""
    monkeypatch.delenv("LEAKWARDEN_FETCH_ALLOW_HOSTS", raising=False)
    result = CliRunner().invoke(app, ["expand", url, "--json"])
    assert isinstance(result.exception, InvalidURL), result.output
    assert result.exception.code == code and url[:20] in result.exception.message


def test_bad_options_are_invalid_input(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["expand", "https://example.com/", "--depth", "-1"])
    assert isinstance(result.exception, InvalidInput)
