"""Every tampering case we could think of: does `audit verify` catch it, plain and with --checkpoint?

An intruder with write access to the database but not the audit key edits, deletes, truncates,
re-chains, forges, reorders and rolls back (``leakwarden.audit.drill``: 31 cases, issue 13's 22
among them). Printed per case: caught by plain ``audit verify``, caught with ``--checkpoint``, and
what verify said. ``--checkpoint`` must catch every case (exit 1 if not); a case plain verify misses
says why. Reference figure beside it: the same untouched database verifies clean both ways.

    .venv/bin/python bench/bench_tamper.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-tamper-"))
    for name, file in (("LEAKWARDEN_PII_HASH_KEY_FILE", "pii.key"), ("LEAKWARDEN_REVEAL_KEY_FILE", "reveal.key"),
                       ("LEAKWARDEN_AUDIT_KEY_FILE", "audit.key")):
        os.environ.setdefault(name, str(work / file))
    os.environ.setdefault("LEAKWARDEN_EMBEDDER", "none")
    from leakwarden.audit import drill

    started = time.perf_counter()
    scene = drill.prepare(work)
    clean = drill.run(drill.Case("untouched (reference)", lambda conn, scene: None), scene, work)
    print(f"untouched database: plain verify ok={clean.plain.ok}, with checkpoint ok={clean.anchored.ok} "
          f"({scene.checkpoint.size} events in the checkpoint)")
    print(f"{'case':62} {'plain':>6} {'--checkpoint':>13}  what verify said")
    missed_plain, missed_anchored = [], []
    for case in drill.CASES:
        outcome = drill.run(case, scene, work)
        plain, anchored = not outcome.plain.ok, not outcome.anchored.ok
        said = outcome.plain.problem if plain else outcome.anchored.problem
        print(f"{case.name[:62]:62} {'caught' if plain else 'MISSED':>6} {'caught' if anchored else 'MISSED':>13}  "
              f"{said}")
        if not plain:
            missed_plain.append(case)
        if not anchored:
            missed_anchored.append(case)
    total = len(drill.CASES)
    print(f"\nplain verify caught {total - len(missed_plain)}/{total}; with --checkpoint {total - len(missed_anchored)}"
          f"/{total} ({time.perf_counter() - started:.1f} s)")
    for case in missed_plain:
        print(f"plain verify misses '{case.name}': {case.plain_misses or 'UNEXPLAINED'}")
    return 1 if missed_anchored or not (clean.plain.ok and clean.anchored.ok) else 0


if __name__ == "__main__":
    sys.exit(main())
