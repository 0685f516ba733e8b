"""What a peer's own test suite expects, asked of leakwarden: Presidio's recognizer tables.

    .venv/bin/python bench/bench_pii_peer.py /path/to/presidio [--show-agreeing]

Presidio's recognizer tests are pytest ``parametrize`` tables (a text, the number of findings it
expects, spans, scores, settings). This reads them from a Presidio checkout with ``ast`` (nothing
is imported from Presidio and nothing is copied into this repository), runs ``find_pii`` on each
text with leakwarden's default regions, counts the findings of the matching label and compares
that count with the expected one. It prints agreement per entity and every disagreement, sorted
into deliberate design differences (each with its reason, see README "Private information") and
the rest.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from leakwarden.signals.pii import find_pii  # noqa: E402
from leakwarden.signals.pii.scan import DEFAULT_REGIONS  # noqa: E402

#: Presidio's test module (by a word in its file name) → its entity and leakwarden's label.
ENTITIES = {
    "us_ssn": ("US_SSN", "US_SSN"),
    "phone": ("PHONE_NUMBER", "PHONE"),
    "email": ("EMAIL_ADDRESS", "EMAIL"),
    "credit_card": ("CREDIT_CARD", "CREDIT_CARD"),
    "iban": ("IBAN_CODE", "IBAN"),
}
PHONE_SOURCE = "presidio-analyzer/presidio_analyzer/predefined_recognizers/generic/phone_recognizer.py"


@dataclass
class Case:
    entity: str
    label: str
    source: str  # file:line of the row
    text: str
    expected: int
    params: dict[str, Any]
    peer_regions: tuple[str, ...] = ()  # the phone regions Presidio's test of this row runs with
    found: list[tuple[str, float]] = field(default_factory=list)  # (text, confidence) of our label
    others: list[tuple[str, str]] = field(default_factory=list)  # (label, text) of other labels

    @property
    def agrees(self) -> bool:
        return len(self.found) == self.expected


# -- reading the tables --------------------------------------------------------------------------
def _names(node: ast.expr) -> list[str] | None:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return None
    if isinstance(value, str):
        return [n.strip() for n in value.split(",") if n.strip()]
    if isinstance(value, list | tuple) and all(isinstance(n, str) for n in value):
        return list(value)
    return None


def tables(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each row of each parametrize table in ``path`` as (line, {parameter: value}); rows that are
    not plain literals are skipped."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "parametrize" and len(node.args) >= 2):
            continue
        names = _names(node.args[0])
        rows = node.args[1]
        if not names or not isinstance(rows, ast.List | ast.Tuple):
            continue
        for row in rows.elts:
            try:
                values = ast.literal_eval(row)
            except ValueError:
                continue
            if not isinstance(values, tuple):
                values = (values,)
            if len(values) == len(names):
                yield row.lineno, dict(zip(names, values, strict=True))


def _string_tuple(node: ast.AST) -> tuple[str, ...]:
    """Every two-letter upper-case string constant under ``node`` (region codes)."""
    return tuple(n.value for n in ast.walk(node)
                 if isinstance(n, ast.Constant) and isinstance(n.value, str) and len(n.value) == 2
                 and n.value.isalpha() and n.value.isupper())


def presidio_phone_regions(checkout: Path, test_file: Path) -> tuple[str, ...]:
    """The regions a Presidio phone test module runs with: those its fixture names, and the
    recognizer's default regions (read from its source) unless the fixture replaces them."""
    defaults: tuple[str, ...] = ()
    source = checkout / PHONE_SOURCE
    if not source.exists():
        print(f"warning: {PHONE_SOURCE} not in the checkout: Presidio's default phone regions unknown",
              file=sys.stderr)
    else:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "DEFAULT_SUPPORTED_REGIONS" for t in node.targets):
                defaults = _string_tuple(node.value)
    regions: list[str] = []
    keep_defaults = True
    for node in ast.walk(ast.parse(test_file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.keyword) and node.arg == "supported_regions":
            regions.extend(_string_tuple(node.value))
            keep_defaults = "DEFAULT_SUPPORTED_REGIONS" in ast.unparse(node.value)
    if keep_defaults:
        regions[:0] = defaults
    # Presidio's "UK" is not an ISO 3166 code; phonenumbers knows the United Kingdom as GB.
    return tuple(dict.fromkeys("GB" if r == "UK" else r for r in regions))


def load_cases(checkout: Path) -> list[Case]:
    tests = checkout / "presidio-analyzer" / "tests"
    if not tests.is_dir():
        raise SystemExit(f"{tests} not found: give the root of a Presidio checkout")
    cases: list[Case] = []
    for path in sorted(tests.glob("test_*recognizer*.py")):
        key = next((k for k in ENTITIES if k in path.stem), None)
        if key is None:
            continue
        entity, label = ENTITIES[key]
        regions = presidio_phone_regions(checkout, path) if key == "phone" else ()
        for line, row in tables(path):
            names = list(row)
            text, expected = row[names[0]], row.get("expected_len")
            if not isinstance(text, str) or not isinstance(expected, int):
                continue
            params = {k: v for k, v in row.items() if k not in (names[0], "expected_len")}
            cases.append(Case(entity, label, f"{path.name}:{line}", text, expected, params, regions))
    return cases


# -- running and judging -------------------------------------------------------------------------
def run(case: Case, regions: tuple[str, ...] = DEFAULT_REGIONS, prefix: str = "") -> list[tuple[str, float]]:
    """leakwarden's findings of the case's label in its text (after ``prefix``)."""
    text = prefix + case.text
    return [(f.text, f.confidence) for f in find_pii(text, regions=regions) if f.label == case.label]


def _weak_ssn(case: Case) -> str | None:
    ranges = case.params.get("expected_score_ranges") or ()
    if case.label == "US_SSN" and len(case.found) < case.expected and ranges and \
            all(isinstance(r, tuple) and isinstance(r[1], float) and r[1] < 0.5 for r in ranges):
        return ("weak SSN shapes: Presidio expects a score under 0.5 for them; leakwarden reports nothing "
                "under 0.5, takes only ddd-dd-dddd groupings, and nine bare digits only after an SSN keyword")
    return None


def _leniency(case: Case) -> str | None:
    leniency = case.params.get("leniency")
    if leniency is not None and leniency != 1:
        return f"Presidio's non-default phone leniency {leniency} (its default, 1, is the setting compared)"
    return None


#: A keyword a person would write before a value of the label.
KEYWORDS = {"PHONE": "phone: ", "US_SSN": "SSN: ", "CREDIT_CARD": "card: "}


def _keyword_or_region(case: Case) -> str | None:
    """An experiment: the case agrees once the text has a keyword before it, or once leakwarden
    runs with the regions Presidio's test runs with (or both)."""
    if len(case.found) > case.expected or case.others:
        return None  # another label took the value: two labels competing is no keyword matter
    regions = tuple(dict.fromkeys(DEFAULT_REGIONS + case.peer_regions))
    added = ",".join(r for r in regions if r not in DEFAULT_REGIONS)
    if added and len(run(case, regions)) == case.expected:
        return f"default regions: agrees with --regions {','.join(DEFAULT_REGIONS)},{added}"
    keyword = KEYWORDS.get(case.label)
    if keyword and len(run(case, DEFAULT_REGIONS, keyword)) == case.expected:
        return f"keyword requirement: agrees as {keyword.strip()!r} + text"
    if keyword and added and len(run(case, regions, keyword)) == case.expected:
        return f"keyword requirement and default regions: agrees as {keyword.strip()!r} + text with --regions +{added}"
    return None


def _card_network(case: Case) -> str | None:
    digits = "".join(ch for ch in case.text if ch.isdigit())
    if case.label == "CREDIT_CARD" and len(case.found) < case.expected and digits[:1] == "1":
        return "card networks: a UATP (prefix 1) number is not taken for a payment card"
    return None


def _iban_case(case: Case) -> str | None:
    if case.label == "IBAN" and len(case.found) > case.expected and any(
            not t.isupper() and t.upper().replace(" ", "").isalnum() for t, _ in case.found):
        return "IBAN letters in either case are taken (as typed, and as OCR renders them)"
    return None


#: Deliberate differences, each a test on a disagreeing case that returns its reason.
DELIBERATE: list[Callable[[Case], str | None]] = [_weak_ssn, _leniency, _card_network, _iban_case, _keyword_or_region]


def judge(case: Case) -> str | None:
    """Why a disagreement is a deliberate design difference, or None if it is not one."""
    for rule in DELIBERATE:
        reason = rule(case)
        if reason:
            return reason
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkout", type=Path, help="root of a Presidio checkout (holds presidio-analyzer/tests)")
    ap.add_argument("--show-agreeing", action="store_true", help="list the agreeing cases too")
    args = ap.parse_args(argv)
    cases = load_cases(args.checkout)
    if not cases:
        raise SystemExit("no parametrize tables found")
    for case in cases:
        case.found = run(case)
        case.others = [(f.label, f.text) for f in find_pii(case.text) if f.label != case.label]

    by_entity: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_entity[case.entity].append(case)
    print(f"Presidio recognizer tables in {args.checkout}, leakwarden regions {','.join(DEFAULT_REGIONS)}\n")
    print(f"{'entity':<14} {'cases':>5} {'agree':>5} {'pos agree':>10} {'neg agree':>10} {'FP on neg':>10}")
    totals = [0, 0, 0, 0, 0, 0]
    for entity, group in by_entity.items():
        pos = [c for c in group if c.expected > 0]
        neg = [c for c in group if c.expected == 0]
        row = [len(group), sum(c.agrees for c in group), sum(c.agrees for c in pos), len(pos),
               sum(c.agrees for c in neg), len(neg)]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        fp = sum(1 for c in neg if c.found)
        print(f"{entity:<14} {row[0]:>5} {row[1]:>5} {row[2]:>5}/{row[3]:<4} {row[4]:>5}/{row[5]:<4} "
              f"{fp:>5}/{len(neg):<4}")
    fp_all = sum(1 for c in cases if c.expected == 0 and c.found)
    print(f"{'all':<14} {totals[0]:>5} {totals[1]:>5} {totals[2]:>5}/{totals[3]:<4} {totals[4]:>5}/{totals[5]:<4} "
          f"{fp_all:>5}/{totals[5]:<4}")

    deliberate: dict[str, list[Case]] = defaultdict(list)
    other: list[Case] = []
    for case in cases:
        if case.agrees:
            continue
        reason = judge(case)
        (deliberate[reason] if reason else other).append(case)

    def show(case: Case) -> str:
        got = ", ".join(f"{t!r} {c:.2f}" for t, c in case.found) or "nothing"
        if case.others and not case.agrees:
            got += "; as other labels: " + ", ".join(f"{label} {t!r}" for label, t in case.others)
        return f"    {case.source:<36} expected {case.expected}, found {len(case.found)} ({got}): {case.text!r}"

    n_delib = sum(map(len, deliberate.values()))
    print(f"\nDisagreements: {n_delib + len(other)} ({n_delib} deliberate differences, {len(other)} not)")
    for reason, group in deliberate.items():
        print(f"\n  deliberate difference: {reason} ({len(group)})")
        for case in group:
            print(show(case))
    if other:
        print(f"\n  not a deliberate difference ({len(other)})")
        for case in other:
            print(show(case))
    if args.show_agreeing:
        print("\n  agreeing")
        for case in cases:
            if case.agrees:
                print(show(case))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
