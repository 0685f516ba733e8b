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
    ([signal("bank", 0.9, item="dossier")], Verdict.REMOVE, ["hacked-material"]),
])
def test_strict_clauses(signals: list[Signal], verdict: Verdict, clauses: list[str]) -> None:
    outcome = evaluate(load_policy("strict"), signals)
    assert outcome.verdict is verdict
    assert outcome.fired == clauses
    assert all(r.policy_version == "strict@2026.11.1" for r in outcome.reasons)


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
