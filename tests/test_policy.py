"""Policy files: presets load, bad files fail with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from leakwarden.errors import PolicyError
from leakwarden.model import Evidence, Signal, SubjectKind, Verdict
from leakwarden.policy.evaluate import evaluate
from leakwarden.policy.load import load_policy, parse_policy, preset_names

GOOD = """name = "mine"
version = "1"

[[clauses]]
id = "pii"
when = { signal = "pii", attrs = { unredacted = true } }
verdict = "remove"
actions = ["remove", "strike"]
"""


def test_presets_load() -> None:
    assert {"strict", "share-block"} <= set(preset_names())
    for name in preset_names():
        assert load_policy(name).clauses


@pytest.mark.parametrize("source,fmt,line,field,words", [
    (GOOD.replace('verdict = "remove"', 'verdict = "obliterate"'), "toml", 7, "clauses.0.verdict", "allow"),
    (GOOD.replace('signal = "pii", ', ""), "toml", 6, "clauses.0.when.0.signal", "Field required"),
    (GOOD.replace('version = "1"\n', ""), "toml", None, "version", "Field required"),
    (GOOD.replace('"strike"]', '{ type = "suspend" }]'), "toml", 8, "clauses.0.actions.1", "duration"),
    (GOOD.replace("[[clauses]]", "[[clauses]\n"), "toml", 4, None, "invalid TOML"),
    ("name: mine\nversion: '1'\nclauses:\n  - id: x\n    when: {signal: pii}\n    verdict: nope\n", "yaml", 6,
     "clauses.0.verdict", "allow"),
    ("name: mine\nversion: [unclosed\n", "yaml", 3, None, "invalid YAML"),
    (GOOD + GOOD.split("\n\n", 1)[1], "toml", None, None, "two clauses have the id"),
    # a clause that could never fire: unknown kinds, attributes and values, impossible subjects or strengths
    (GOOD.replace("unredacted = true", "dosier = true"), "toml", 6, "clauses.0.when.0.attrs.dosier",
     "signal 'pii' has no attribute 'dosier'; its attributes: count, dossier, labels"),
    (GOOD.replace('signal = "pii"', 'signal = "piii"'), "toml", 6, "clauses.0.when.0.signal",
     "unknown signal kind 'piii'; known kinds: bank, pii, "),
    (GOOD.replace("unredacted = true", 'dossier = "yes"'), "toml", 6, "clauses.0.when.0.attrs.dossier",
     "attribute 'dossier' of signal 'pii' is true or false, not 'yes'"),
    (GOOD.replace("unredacted = true", 'labels = ["US_SSN", "US_SNN"]'), "toml", 6, "clauses.0.when.0.attrs.labels",
     "is one of US_SSN, US_SSN_PARTIAL"),
    (GOOD.replace("unredacted = true", "labels = []"), "toml", 6, "clauses.0.when.0.attrs.labels",
     "an empty list matches nothing"),
    (GOOD.replace("unredacted = true", "count = 1.5"), "toml", 6, "clauses.0.when.0.attrs.count", "is an integer"),
    (GOOD.replace('signal = "pii", attrs = { unredacted = true }', 'signal = "url_rule", attrs = { action = "allow" }'),
     "toml", 6, "clauses.0.when.0.attrs.action", "is one of block, warn; not 'allow'"),
    (GOOD.replace('signal = "pii", attrs = { unredacted = true }', 'signal = "bank", attrs = { method = "fuzzy" }'),
     "toml", 6, "clauses.0.when.0.attrs.method", "is one of exact, near_duplicate, excerpt, semantic"),
    (GOOD.replace('signal = "pii", attrs', 'signal = "url_rule", subjects = ["post_text"], attrs').replace(
        "unredacted = true", "source = true"), "toml", 6, "clauses.0.when.0.subjects", "only found on link"),
    (GOOD.replace('signal = "pii",', 'signal = "pii", min_strength = 0.8, below_strength = 0.5,'), "toml", 6,
     "clauses.0.when.0.below_strength", "nothing matches"),
    ("name: mine\nversion: '1'\nclauses:\n  - id: x\n    when:\n      signal: pii\n      attrs:\n"
     "        unredacted: true\n        dosier: true\n    verdict: remove\n", "yaml", 9,
     "clauses.0.when.0.attrs.dosier", "has no attribute 'dosier'"),
    ("name: mine\nversion: '1'\nclauses:\n  - id: x\n    when: [{signal: pii}, {signal: bnak}]\n    verdict: remove\n",
     "yaml", 5, "clauses.0.when.1.signal", "unknown signal kind 'bnak'"),
    ("a: " + "[" * 20_000 + "]" * 20_000, "yaml", None, None, "nested too deeply"),
    ("a = " + "[" * 20_000 + "]" * 20_000, "toml", None, None, "nested too deeply"),
])
def test_bad_policies_say_where(source: str, fmt: str, line: int | None, field: str | None, words: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(source, file="mine." + fmt, fmt=fmt)
    error = caught.value
    assert error.file == "mine." + fmt
    if line is not None:
        assert error.line == line
    assert error.field == field
    assert words in error.message


def test_a_custom_detector_declares_its_signal(tmp_path: Path) -> None:
    """A library user's detector of a new kind: the engine makes its kind known to policies."""
    from leakwarden.engine import Engine
    from leakwarden.model import Post, Subject
    from leakwarden.signals.base import Attr, SignalSpec

    brigade = SignalSpec(kind="test_brigade", subjects=frozenset({SubjectKind.POST_TEXT}),
                         attrs={"campaign": Attr(str)})

    class BrigadeDetector:
        kind, subjects, signal = brigade.kind, brigade.subjects, brigade

        def detect(self, subject: Subject) -> list[Signal]:
            return [Signal(kind=self.kind, strength=1.0, subject_kind=subject.kind, attrs={"campaign": "x"})] \
                if "pile on" in subject.text else []

    path = tmp_path / "brigade.toml"
    path.write_text(GOOD.replace('signal = "pii", attrs = { unredacted = true }',
                                 'signal = "test_brigade", attrs = { campaign = "x" }'))
    engine = Engine(f"sqlite:///{tmp_path}/s.db", policy=str(path), detectors=[BrigadeDetector()])
    assert engine.check(Post(id="p", author="a", text="pile on")).verdict is Verdict.REMOVE
    typo = tmp_path / "typo.toml"
    typo.write_text(path.read_text().replace("campaign", "campain"))
    with pytest.raises(PolicyError, match="signal 'test_brigade' has no attribute 'campain'; its attributes: campaign"):
        load_policy(str(typo))


def test_a_policy_file_by_path(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(GOOD)
    assert load_policy(str(path)).label == "mine@1"
    with pytest.raises(PolicyError, match="no preset or file"):
        load_policy(str(tmp_path / "missing.toml"))


def signal(kind: str, strength: float = 1.0, **attrs: object) -> Signal:
    return Signal(kind=kind, strength=strength, subject_kind=SubjectKind.POST_TEXT, attrs=attrs,
                  evidence=[Evidence(summary="x")])


@pytest.mark.parametrize("signals,verdict,clauses", [
    ([], Verdict.ALLOW, []),
    ([signal("pii", unredacted=True, labels=["US_SSN"])], Verdict.REMOVE, ["private-information"]),
    ([signal("pii", 0.5, unredacted=True, labels=["US_SSN"])], Verdict.ALLOW, ["uncertain-private-information"]),
    ([signal("pii", unredacted=True, labels=["EMAIL"])], Verdict.ALLOW, []),
    ([signal("pii", redacted=True, unredacted=False, labels=["US_SSN_PARTIAL"])], Verdict.LABEL,
     ["redacted-private-information"]),
    ([signal("pii", unredacted=True, dossier=True, labels=["STREET_ADDRESS", "US_SSN_PARTIAL"])], Verdict.REMOVE,
     ["dossier", "private-information"]),
    ([signal("url_rule", action="warn")], Verdict.LABEL, ["warned-link"]),
    ([signal("bank", 0.9, item="dossier", review=False)], Verdict.REMOVE, ["hacked-material"]),
    ([signal("bank", 0.9, item="dossier", review=True)], Verdict.ALLOW, ["possible-hacked-material"]),
])
def test_strict_clauses(signals: list[Signal], verdict: Verdict, clauses: list[str]) -> None:
    outcome = evaluate(load_policy("strict"), signals)
    assert outcome.verdict is verdict
    assert outcome.fired == clauses
    assert all(r.policy_version == "strict@2026.11.30" for r in outcome.reasons)


def test_a_changed_policy_is_audited_once_and_decisions_keep_their_version(tmp_path: Path) -> None:
    from leakwarden.audit import log as audit
    from leakwarden.engine import Engine
    from leakwarden.model import Post

    path = tmp_path / "mine.toml"
    path.write_text(GOOD)
    url = f"sqlite:///{tmp_path}/p.db"
    first = Engine(url, policy=str(path), detectors=[])
    first.ingest(Post(id="p1", author="a", text="hello"))
    Engine(url, policy=str(path), detectors=[])  # the same file again: nothing new to record
    path.write_text(GOOD.replace('version = "1"', 'version = "2"'))
    second = Engine(url, policy=str(path), detectors=[])
    second.ingest(Post(id="p2", author="a", text="hello"))
    with second.db.session() as s:
        loaded = [e.subject_id for e in audit.events(s, kind="policy.loaded")]
        versions = {e.subject_id: audit.payload_of(e)["policy_version"] for e in audit.events(s, kind="decision")}
    assert loaded == ["mine@1", "mine@2"]
    assert versions == {"p1": "mine@1", "p2": "mine@2"}
