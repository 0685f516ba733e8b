"""Fetch-and-extract throughput through the SSRF-safe fetcher, beside a plain httpx GET.

Run: ``.venv/bin/python bench/bench_links.py [--seconds 2] [--extractors]``

A local fixture site (127.0.0.1, in this process) serves the newsletter page and PDFs of three
sizes. Each figure is measured in the same run twice: through ``leakwarden.links`` (address
checks, pinned connection, bounded decoding, PDF parsing in a limited child process) and through a
plain ``httpx.Client.get`` with the same extractor. The ratio is the cost of safety. For PDFs a
third line shows in-process pypdf, i.e. what the child process costs. ``--extractors`` repeats
the trafilatura/resiliparse measurement behind the choice in ``leakwarden.links.extract``.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import io
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import httpx
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject

from leakwarden.links.extract import extract_html
from leakwarden.links.fetch import Fetcher, FetchSettings
from leakwarden.links.pdfworker import PdfLimits, extract_pdf
from leakwarden.links.reader import read_url

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "links"


def make_pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for i in range(pages):
        page = writer.add_blank_page(612, 792)
        lines = " ".join(f"(Line {j} of page {i}: the campaign dossier lists an address.) Tj 0 -14 Td"
                         for j in range(40))
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 10 Tf 72 740 Td {lines} ET".encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else delayed ACKs add 40 ms to every keep-alive response
    routes: ClassVar[dict[str, tuple[str, bytes]]] = {}

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        content_type, body = self.routes.get(self.path.split("?")[0], ("text/plain", b"missing"))
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def rate(fn: Callable[[int], object], seconds: float) -> float:
    fn(0)  # warm up
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        fn(done)
        done += 1
    return done / (time.perf_counter() - started)


def rates(first: Callable[[int], object], second: Callable[[int], object], seconds: float,
          rounds: int = 3) -> tuple[float, float]:
    """Best of ``rounds`` alternating runs of each, so load from neighbours hits both alike."""
    a: list[float] = []
    b: list[float] = []
    for _ in range(rounds):
        a.append(rate(first, seconds / rounds))
        b.append(rate(second, seconds / rounds))
    return max(a), max(b)


def line(label: str, safe: float, plain: float, unit: str) -> None:
    print(f"{label:<28} safe {safe:9.1f} {unit}   plain httpx {plain:9.1f} {unit}   "
          f"safe/plain {safe / plain:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument("--extractors", action="store_true", help="also compare the HTML extractors")
    args = parser.parse_args()

    page = (FIXTURES / "newsletter.html").read_bytes()
    pdfs = {"1 page": make_pdf(1), "10 pages": make_pdf(10), "50 pages": make_pdf(50)}
    _Handler.routes = {"/page": ("text/html; charset=utf-8", page)}
    for name, data in pdfs.items():
        _Handler.routes[f"/{name.replace(' ', '-')}.pdf"] = ("application/pdf", data)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    settings = FetchSettings(allow_hosts="127.0.0.1", ports=(server.server_address[1],))
    fetcher = Fetcher(settings)
    client = httpx.Client(trust_env=False)
    limits = PdfLimits()
    print(f"python {sys.version.split()[0]}; server and client share this process; "
          f"{args.seconds:g} s per figure\n")

    def safe_page(i: int) -> object:
        result = read_url(fetcher, f"{base}/page?{i}")
        assert result.error_code is None and "forty-page" in result.text
        return result

    def plain_page(i: int) -> object:
        response = client.get(f"{base}/page?{i}")
        return extract_html(response.content, str(response.url), response.charset_encoding)

    line("HTML page (newsletter)", *rates(safe_page, plain_page, args.seconds), "pages/s")

    for name, data in pdfs.items():
        path = f"/{name.replace(' ', '-')}.pdf"

        def safe_pdf(i: int, path: str = path) -> object:
            result = read_url(fetcher, f"{base}{path}?{i}")
            assert result.error_code is None, result.error
            return result

        def plain_pdf(i: int, path: str = path) -> object:
            return extract_pdf(client.get(f"{base}{path}?{i}").content, limits)

        def inprocess_pdf(i: int, path: str = path) -> object:
            reader = PdfReader(io.BytesIO(client.get(f"{base}{path}?{i}").content))
            return "\n".join(p.extract_text() for p in reader.pages)

        safe, plain = rates(safe_pdf, plain_pdf, args.seconds)
        line(f"PDF {name} ({len(data) // 1024} kB)", safe, plain, "PDFs/s")
        safe, inproc = rates(safe_pdf, inprocess_pdf, args.seconds)
        print(f"{'':<28} in-process pypdf, no child {inproc:7.1f} PDFs/s   safe/in-process {safe / inproc:5.2f}")

    if args.extractors:
        compare_extractors(args.seconds)
    server.shutdown()


def _run_on(fn: Callable[[str], str], html: str, _i: int) -> str:
    return fn(html)


def compare_extractors(seconds: float) -> None:
    import trafilatura
    from resiliparse.extract.html2text import extract_plain_text

    cases = {
        "newsletter.html": (["forty-page file", "home address", "Russian keyboard", "download the dossier",
                             "asked the campaign"], ["Popular this week", "All rights reserved", "Subscribe now",
                                                     "Storm season"]),
        "arabic.html": (["نشرت مجموعة مجهولة", "بصمات عملية", "من هنا"], ["اتصل بنا", "جميع الحقوق"]),
        "blog.html": (["Every few months", "not public figures", "published standards"],
                      ["cheap watches", "Share on Twitter", "Tags"]),
    }
    extractors: dict[str, Callable[[str], str]] = {
        "trafilatura": lambda h: trafilatura.extract(h, favor_recall=True, include_comments=False) or "",
        "resiliparse": lambda h: extract_plain_text(h, main_content=True, preserve_formatting=True),
    }
    print("\nextractor     article sentences kept   boilerplate kept   newsletter pages/s")
    speeds: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn in extractors.items():
            kept = total = boiler = 0
            for fixture, (want, bad) in cases.items():
                text = fn((FIXTURES / fixture).read_text(encoding="utf-8"))
                kept += sum(w in text for w in want)
                total += len(want)
                boiler += sum(b in text for b in bad)
            html = (FIXTURES / "newsletter.html").read_text(encoding="utf-8")
            speeds[name] = rate(functools.partial(_run_on, fn, html), seconds)
            print(f"{name:<13} {kept:>10}/{total:<13} {boiler:>10}         {speeds[name]:10.0f}")
    print(f"resiliparse/trafilatura speed ratio {speeds['resiliparse'] / speeds['trafilatura']:.1f}")


if __name__ == "__main__":
    main()
