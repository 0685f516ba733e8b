"""Load a policy from a preset name or a TOML/YAML file, with errors that say file, line and field."""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from leakwarden.errors import PolicyError
from leakwarden.policy.schema import Policy

PRESETS = Path(__file__).parent / "presets"
DEFAULT_POLICY = "strict"


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS.glob("*.toml"))


def resolve(name_or_path: str | None) -> Path:
    """A preset name (``strict``), or a path to a .toml/.yaml/.yml file."""
    value = name_or_path or os.environ.get("LEAKWARDEN_POLICY") or DEFAULT_POLICY
    preset = PRESETS / f"{value}.toml"
    if "/" not in value and "." not in value and preset.exists():
        return preset
    path = Path(value)
    if not path.exists():
        raise PolicyError(f"no preset or file named {value!r} (presets: {', '.join(preset_names())})",
                          file=value)
    return path


def load_policy(name_or_path: str | None = None) -> Policy:
    path = resolve(name_or_path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read the policy: {exc}", file=str(path)) from None
    return parse_policy(source, file=str(path), fmt="yaml" if path.suffix in (".yaml", ".yml") else "toml")


def parse_policy(source: str, *, file: str = "<policy>", fmt: str = "toml") -> Policy:
    data = _parse(source, file, fmt)
    if not isinstance(data, dict):
        raise PolicyError("a policy must be a table/mapping at the top level", file=file, line=1)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [str(p) for p in error["loc"]]
        field = ".".join(loc) or None
        message = error["msg"].removeprefix("Value error, ")
        raise PolicyError(message, file=file, line=_locate(source, fmt, error["loc"]), field=field) from None
    problem = signal_problem(policy)
    if problem is not None:
        where, why = problem
        raise PolicyError(why, file=file, line=_locate(source, fmt, where), field=".".join(str(p) for p in where))
    digest = hashlib.sha256(source.encode()).hexdigest()
    return policy.model_copy(update={"sha256": digest})


def signal_problem(policy: Policy) -> tuple[tuple[str | int, ...], str] | None:
    """The first condition that could never hold: an unknown signal kind, an attribute its
    detector never sets, a value the attribute never takes, subjects the detector never reads, or
    strengths that exclude each other. Returns where (a field path) and why."""
    from leakwarden.signals.catalog import signal_specs

    specs = signal_specs()
    for c, clause in enumerate(policy.clauses):
        for w, condition in enumerate(clause.when):
            at: tuple[str | int, ...] = ("clauses", c, "when", w)
            spec = specs.get(condition.signal)
            if spec is None:
                return (*at, "signal"), (f"unknown signal kind {condition.signal!r}; "
                                         f"known kinds: {', '.join(sorted(specs))}")
            for name, expected in condition.attrs.items():
                attr = spec.attrs.get(name)
                if attr is None:
                    return (*at, "attrs", name), (
                        f"signal {spec.kind!r} has no attribute {name!r}; "
                        f"its attributes: {', '.join(sorted(spec.attrs)) or 'none'}")
                why = attr.problem(expected)
                if why is not None:
                    return (*at, "attrs", name), f"attribute {name!r} of signal {spec.kind!r} {why}"
            if condition.subjects is not None and not set(condition.subjects) & spec.subjects:
                read = ", ".join(sorted(s.value for s in spec.subjects))
                return (*at, "subjects"), f"signal {spec.kind!r} is only found on {read}; these subjects never match"
            if condition.below_strength is not None and condition.below_strength <= condition.min_strength:
                return (*at, "below_strength"), "below_strength must be above min_strength, or nothing matches"
    return None


def _parse(source: str, file: str, fmt: str) -> Any:
    try:
        return _parse_text(source, file, fmt)
    except RecursionError:
        raise PolicyError(f"the {fmt.upper()} is nested too deeply", file=file) from None


def _parse_text(source: str, file: str, fmt: str) -> Any:
    if fmt == "yaml":
        try:
            return yaml.safe_load(source)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            problem = getattr(exc, "problem", None) or str(exc)
            raise PolicyError(f"invalid YAML: {problem}", file=file, line=line) from None
    try:
        return tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise PolicyError(f"invalid TOML: {exc}", file=file,
                          line=int(match.group(1)) if match else None) from None


def _locate(source: str, fmt: str, loc: tuple[Any, ...]) -> int | None:
    """The line of the field at ``loc`` (best effort; exact for YAML)."""
    if fmt == "yaml":
        return _locate_yaml(source, loc)
    return _locate_toml(source.splitlines(), loc)


def _locate_yaml(source: str, loc: tuple[Any, ...]) -> int | None:
    try:
        node: Any = yaml.compose(source)
    except yaml.YAMLError:
        return None
    line = 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, int):
            continue  # a single mapping given where a list is expected (``when: {...}``)
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if found is None:
                return node.start_mark.line + 1
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _locate_toml(lines: list[str], loc: tuple[Any, ...]) -> int | None:
    start, end = 0, len(lines)
    keys = [p for p in loc if isinstance(p, str)]
    if loc and isinstance(loc[0], str) and len(loc) > 1 and isinstance(loc[1], int):
        # an array of tables: find the n-th [[name]] header
        headers = [i for i, text in enumerate(lines) if text.strip() == f"[[{loc[0]}]]"]
        if loc[1] < len(headers):
            start = headers[loc[1]]
            later = [i for i, t in enumerate(lines) if i > start and t.strip().startswith("[")]
            end = later[0] if later else len(lines)
            keys = [p for p in loc[2:] if isinstance(p, str)]
            if not keys:
                return start + 1
    for key in reversed(keys):
        pattern = re.compile(rf"(^|[\s{{,]){re.escape(key)}\s*=")
        for i in range(start, end):
            if pattern.search(lines[i]):
                return i + 1
    return start + 1 if start else None
