"""Run every benchmark in turn, with settings that finish in a few minutes on 2 cores.

    .venv/bin/python bench/run_all.py            # each bench's own defaults are larger: run them alone
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
RUNS = [
    ("URL rules: canonicalize + match vs naive dict", ["bench_urlrules.py", "--rules", "1000000", "--urls", "200000"]),
    ("check() latency", ["bench_check.py", "--posts", "3000"]),
    ("PII vs Presidio", ["bench_pii.py"]),
    ("links: safe fetcher vs plain httpx", ["bench_links.py", "--seconds", "2"]),
    ("bank matching", ["bench_bank.py"]),
    ("bank evaluation (quality at shipped thresholds)", ["eval_bank.py"]),
    ("comment spam vs SpamAssassin and a link baseline", ["bench_spam.py"]),
    ("outbox: ingest, feed and webhook dispatch", ["bench_outbox.py", "--posts", "200", "--deliveries", "200"]),
    ("shadow policies and backtests", ["bench_shadow.py", "--posts", "1000"]),
    ("even-handedness report vs transparency report and audit verify", ["bench_consistency.py"]),
    ("scale-out: broker, workers, PostgreSQL, the API under load", ["bench_scale.py", "--quick"]),
    ("hardening (issue 10): each attack, before and after", ["bench_hardening.py"]),
    ("images: OCR, private information, known material, PDQ", ["bench_images.py", "--quick"]),
]


def main() -> int:
    failed = 0
    for title, args in RUNS:
        print(f"\n=== {title}: {' '.join(args)}", flush=True)
        failed += subprocess.call([sys.executable, str(HERE / args[0]), *args[1:]]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
