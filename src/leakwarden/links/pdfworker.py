"""PDF text extraction in separate, resource-limited processes.

A hostile PDF can ask for gigabytes (nested compression, page-tree bombs) or hours. Parsing runs in
child Pythons (``python -I pdfworker.py --serve``: they import only pypdf and the standard
library) with an address-space limit (``RLIMIT_AS``) and no core dumps; the parent kills a child
that has not answered within the per-document timeout. Children are kept and reused (starting one
costs ~150 ms, more than parsing a typical PDF) for at most ``MAX_USES`` documents, and a child that
failed in any abnormal way is never reused.

Protocol: the parent writes one JSON header line (``size`` and the limits) and then ``size`` bytes;
the child answers one JSON line. Anything else (a kill, a crash, garbage) becomes an error code:
``pdf_encrypted``, ``pdf_broken``, ``pdf_too_many_pages``, ``pdf_too_many_objects``,
``pdf_too_large`` (memory), ``pdf_timeout``.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

MAX_USES = 200
POOL_SIZE = 4


@dataclass(frozen=True)
class PdfLimits:
    max_pages: int = 300
    max_objects: int = 200_000
    timeout_s: float = 5.0
    memory_mb: int = 768
    max_chars: int = 200_000


@dataclass(frozen=True)
class PdfText:
    text: str
    pages: int


class ChildError(Exception):
    """What a limited child could not read: a message and a machine-readable code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class PdfError(ChildError):
    """A PDF that cannot be read (``pdf_*`` codes)."""


class _Worker:
    """One child Python running ``script --serve`` in its own process group (a tool it starts, such
    as tesseract, is killed with it)."""

    def __init__(self, memory_mb: int, script: str = __file__, env: dict[str, str] | None = None) -> None:
        memory = memory_mb * 1024 * 1024

        def limit() -> None:  # runs in the child, before exec
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONHASHSEED": "0", **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-I", os.path.abspath(script), "--serve"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            preexec_fn=limit, env=environment, close_fds=True, start_new_session=True,
        )
        self.uses = 0

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> bytes:
        """Stop the child; what it wrote to stderr (bounded), for diagnosis."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, 9)  # the child and anything it started
        try:
            _, err = self.proc.communicate(timeout=2)
        except (subprocess.TimeoutExpired, ValueError, OSError):
            err = b""
        return (err or b"")[-4000:]

    def ask(self, header: dict[str, Any], data: bytes, timeout_s: float) -> dict[str, Any]:
        self.uses += 1
        header = {**header, "size": len(data)}
        assert self.proc.stdin is not None and self.proc.stdout is not None
        deadline = time.monotonic() + timeout_s
        writer = threading.Thread(target=_write, args=(self.proc.stdin, json.dumps(header).encode() + b"\n" + data),
                                  daemon=True)
        writer.start()
        line = _read_line(self.proc.stdout, deadline)
        if line is None:
            raise TimeoutError
        if not line:
            raise EOFError
        answer: dict[str, Any] = json.loads(line)
        return answer


def _write(stream: IO[bytes], payload: bytes) -> None:
    try:
        stream.write(payload)
        stream.flush()
    except (BrokenPipeError, OSError, ValueError):
        pass  # the child is gone; the reader sees EOF


def _read_line(stream: IO[bytes], deadline: float) -> bytes | None:
    """One line from the child; b"" at EOF, None at the deadline. Never blocks past the deadline."""
    fd = stream.fileno()
    buffer = bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b""
            buffer += chunk
            if buffer.endswith(b"\n"):
                return bytes(buffer)


class ChildFailed(Exception):
    """The child died or answered garbage; ``stderr`` is the end of what it wrote there."""

    def __init__(self, stderr: bytes) -> None:
        super().__init__("child failed")
        self.stderr = stderr

    @property
    def out_of_memory(self) -> bool:
        return b"MemoryError" in self.stderr or b"memory" in self.stderr.lower()


class ChildPool:
    """A bounded pool of limited child processes running one script. Thread-safe.

    :meth:`call` raises ``TimeoutError`` (the child was killed at the deadline) or
    :class:`ChildFailed`."""

    def __init__(self, size: int = POOL_SIZE, script: str = __file__, env: dict[str, str] | None = None) -> None:
        self._idle: dict[int, queue.LifoQueue[_Worker]] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(size)
        self._script = script
        self._env = env

    def _take(self, memory_mb: int) -> _Worker:
        with self._lock:
            idle = self._idle.setdefault(memory_mb, queue.LifoQueue())
        while True:
            try:
                worker = idle.get_nowait()
            except queue.Empty:
                return _Worker(memory_mb, self._script, self._env)
            if worker.alive():
                return worker
            worker.kill()

    def call(self, header: dict[str, Any], data: bytes, *, memory_mb: int, timeout_s: float) -> dict[str, Any]:
        with self._slots:
            worker = self._take(memory_mb)
            try:
                answer = worker.ask(header, data, timeout_s)
            except TimeoutError:
                worker.kill()
                raise
            except (EOFError, json.JSONDecodeError, UnicodeDecodeError, OSError):
                raise ChildFailed(worker.kill()) from None
            if answer.get("fatal") or worker.uses >= MAX_USES or not worker.alive():
                worker.kill()
            else:
                self._idle[memory_mb].put(worker)
        return answer

    def close(self) -> None:
        with self._lock:
            queues = list(self._idle.values())
        for idle in queues:
            while True:
                try:
                    idle.get_nowait().kill()
                except queue.Empty:
                    break


class PdfWorkers(ChildPool):
    """The pool of PDF-parsing children."""

    def extract(self, data: bytes, limits: PdfLimits) -> PdfText:
        header = {"max_pages": limits.max_pages, "max_objects": limits.max_objects, "max_chars": limits.max_chars}
        try:
            answer = self.call(header, data, memory_mb=limits.memory_mb, timeout_s=limits.timeout_s)
        except TimeoutError:
            raise PdfError(f"PDF parsing took longer than {limits.timeout_s:g} s", "pdf_timeout") from None
        except ChildFailed as failed:
            if failed.out_of_memory:
                raise PdfError(f"PDF needs more than {limits.memory_mb} MB", "pdf_too_large") from None
            raise PdfError("PDF parser failed", "pdf_broken") from None
        if not answer.get("ok"):
            raise PdfError(str(answer.get("message", "broken PDF"))[:300], str(answer.get("code", "pdf_broken")))
        return PdfText(text=str(answer.get("text", "")), pages=int(answer.get("pages", 0)))


_POOL = PdfWorkers()


def extract_pdf(data: bytes, limits: PdfLimits | None = None) -> PdfText:
    """Extract a PDF's text in a limited child process. Raises :class:`PdfError`."""
    limits = limits or PdfLimits()
    if b"%PDF-" not in data[:1024]:
        raise PdfError("not a PDF (no %PDF- header)", "pdf_broken")
    return _POOL.extract(data, limits)


def _parse(data: bytes, max_pages: int, max_objects: int, max_chars: int) -> dict[str, Any]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    return {"ok": False, "code": "pdf_encrypted", "message": "PDF is encrypted"}
            except (DependencyError, FileNotDecryptedError, NotImplementedError):
                return {"ok": False, "code": "pdf_encrypted", "message": "PDF is encrypted"}
        objects = sum(len(v) for v in reader.xref.values()) + len(reader.xref_objStm)
        if objects > max_objects:
            return {"ok": False, "code": "pdf_too_many_objects",
                    "message": f"PDF has {objects} objects (limit {max_objects})"}
        declared = reader.root_object["/Pages"].get_object().get("/Count", 0)  # type: ignore[union-attr]
        if isinstance(declared, int) and declared > max_pages:
            return {"ok": False, "code": "pdf_too_many_pages",
                    "message": f"PDF declares {declared} pages (limit {max_pages})"}
        pages = len(reader.pages)
        if pages > max_pages:
            return {"ok": False, "code": "pdf_too_many_pages",
                    "message": f"PDF has {pages} pages (limit {max_pages})"}
        parts: list[str] = []
        total = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            parts.append(text)
            total += len(text)
            if total >= max_chars:
                break
        return {"ok": True, "text": "\n".join(parts)[:max_chars], "pages": pages}
    except FileNotDecryptedError:
        return {"ok": False, "code": "pdf_encrypted", "message": "PDF is encrypted"}
    except (MemoryError, LimitReachedError):
        return {"ok": False, "code": "pdf_too_large", "message": "PDF needs too much memory", "fatal": True}
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError, AssertionError, ZeroDivisionError) as exc:
        return {"ok": False, "code": "pdf_broken", "message": f"broken PDF: {type(exc).__name__}"}


def serve(answer: Callable[[bytes, dict[str, Any]], dict[str, Any]], too_large: str, broken: str,
          what: str) -> None:
    """A child's loop: read a header line and its bytes, write one JSON answer line, until EOF.
    ``too_large`` and ``broken`` are the codes of a MemoryError and of any other failure (after
    which the child stops: it is never reused). Shared with ``imagechild``, which loads this file
    by path (a child runs with ``python -I`` and cannot import leakwarden)."""
    import logging
    import warnings

    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = stdin.readline()
        if not header:
            return
        request = json.loads(header)
        data = stdin.read(int(request["size"]))
        try:
            result = answer(data, request)
        except MemoryError:
            result = {"ok": False, "code": too_large, "message": f"{what} needs too much memory", "fatal": True}
        except Exception as exc:  # the child must always answer in JSON
            result = {"ok": False, "code": broken, "message": f"broken {what}: {type(exc).__name__}", "fatal": True}
        del data
        stdout.write(json.dumps(result).encode() + b"\n")
        stdout.flush()
        if result.get("fatal"):
            return


def _answer(data: bytes, request: dict[str, Any]) -> dict[str, Any]:
    return _parse(data, int(request["max_pages"]), int(request["max_objects"]), int(request["max_chars"]))


def _serve() -> None:
    import pypdf  # noqa: F401  (import once, before the first document)

    serve(_answer, "pdf_too_large", "pdf_broken", "PDF")


if __name__ == "__main__" and sys.argv[1:] == ["--serve"]:
    _serve()
