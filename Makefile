# Two commands on a fresh machine:
#   make demo   installs leakwarden and replays the bundled hack-and-leak scenario on SQLite
#   make test   installs the dev dependencies and runs the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
HASH := $(shell sha1sum pyproject.toml | cut -c1-12)
BASE = $(VENV)/.base-$(HASH)
DEV = $(VENV)/.dev-$(HASH)

.PHONY: demo test install lint bench clean chromium spamassassin tesseract wrk

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(BASE): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $(BASE)

$(DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	touch $(DEV) $(BASE)

install: $(DEV) chromium tesseract

# The console's browser tests drive Debian's chromium with Playwright (never a browser download).
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# Images and scanned PDF pages are read by Debian's Tesseract (English and Arabic models ship in the
# packages); the fonts render bench/bench_images.py's screenshots. Without it, image OCR is skipped
# with a reason and images are still matched by PDQ hash.
tesseract:
	@command -v tesseract >/dev/null && test -f /usr/share/tesseract-ocr/5/tessdata/Arabic.traineddata \
		&& test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || (apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-eng tesseract-ocr-ara \
		tesseract-ocr-script-arab fonts-dejavu-core)

# bench/bench_spam.py compares comment spam with Debian's SpamAssassin, run locally (-L); without it
# the bench prints why it skipped that column.
spamassassin:
	@command -v spamassassin >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq spamassassin)

# bench/bench_scale.py loads the HTTP API with Debian's wrk (C, a Lua script for the POST body), so
# that the load generator costs little of the cores it shares with the API; without it the bench
# falls back to its Python generator and says so.
wrk:
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)

demo: $(BASE)
	$(BIN)/leakwarden demo --db var/demo.db

test: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: install wrk
	$(BIN)/python bench/run_all.py

clean:
	rm -rf var report decisions.ndjson
