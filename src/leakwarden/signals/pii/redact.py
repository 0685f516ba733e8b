"""Rendering private values safely: masks for evidence, and redaction of whole texts."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from typing import Literal, get_args

from leakwarden.errors import InvalidInput
from leakwarden.signals.pii import keys
from leakwarden.signals.pii.finding import LABELS, Finding
from leakwarden.text.normalize import normalize

Style = Literal["mask", "label", "hash"]
STYLES: tuple[Style, ...] = get_args(Style)
#: Labels whose evidence keeps the last four digits visible (as printed receipts do).
_KEEP_LAST4 = frozenset({"US_SSN", "US_SSN_PARTIAL", "CREDIT_CARD", "IBAN", "PHONE"})
_SPACE = re.compile(r"\s+")


def normalized_value(finding: Finding) -> str:
    """The value as compared and hashed: folded digits, no separators or spaces, upper case."""
    value = normalize(finding.text).text
    if finding.label in ("EMAIL",):
        return value.lower()
    if finding.label in ("STREET_ADDRESS", "DATE_OF_BIRTH"):
        return _SPACE.sub(" ", value).strip().upper()
    return re.sub(r"[\s().+-]", "", value).upper()


def value_hash(finding: Finding, key: bytes | None = None) -> str:
    """HMAC-SHA-256 of the normalized value, hex, keyed with ``key`` or else with the deployment's
    key (:func:`~leakwarden.signals.pii.keys.hash_key`). Never a bare hash: the values are few
    enough (an SSN has under a billion) to be found again from one."""
    data = normalized_value(finding).encode()
    return hmac.new(key or keys.hash_key(), data, hashlib.sha256).hexdigest()


def masked_value(finding: Finding) -> str:
    """A rendering that is safe to store and show: ``***-**-1234``, ``j***@example.com``."""
    text = finding.text
    if finding.label == "EMAIL":
        local, _, domain = text.partition("@")
        return (local[:1] + "***@" + domain) if local else "***@" + domain
    keep = 4 if finding.label in _KEEP_LAST4 else 0
    out: list[str] = []
    for ch in reversed(text):
        if ch.isalnum() and not (keep and normalize(ch).text.isdigit()):
            out.append("*")
        else:
            if ch.isalnum():
                keep -= 1
            out.append(ch)
    return "".join(reversed(out))


def full_mask(finding: Finding) -> str:
    """Every letter and digit replaced: the separators stay, so the shape stays readable."""
    return "".join("*" if ch.isalnum() else ch for ch in finding.text)


def check_styles(styles: Style | Mapping[str, Style]) -> dict[str, Style]:
    if isinstance(styles, str):
        styles = {label: styles for label in LABELS}
    out: dict[str, Style] = {}
    for label, style in styles.items():
        if label not in LABELS:
            raise InvalidInput(f"unknown PII label {label!r}; known: {', '.join(LABELS)}")
        if style not in STYLES:
            raise InvalidInput(f"unknown redaction style {style!r} for {label}; use mask, label or hash")
        out[label] = style
    return out


def redact(
    text: str,
    findings: Sequence[Finding],
    style: Style | Mapping[str, Style] = "mask",
    *,
    default: Style = "mask",
    key: bytes | None = None,
) -> str:
    """``text`` with each finding replaced: ``mask`` (``***-**-****``), ``label``
    (``[US_SSN]``) or ``hash`` (``[US_SSN:1a2b3c4d5e6f]``, an HMAC keyed with ``key``, else with
    the deployment's key).
    ``style`` is one style for all labels or a mapping label → style (others use ``default``).
    """
    styles = check_styles(style)
    if default not in STYLES:
        raise InvalidInput(f"unknown redaction style {default!r}; use mask, label or hash")
    out: list[str] = []
    pos = 0
    for f in sorted(findings, key=lambda f: f.start):
        if f.start < pos or f.end > len(text) or text[f.start : f.end] != f.text:
            raise InvalidInput("findings do not match the text (overlapping or out of range)")
        out.append(text[pos : f.start])
        chosen = styles.get(f.label, default)
        if chosen == "mask":
            out.append(full_mask(f))
        elif chosen == "label":
            out.append(f"[{f.label}]")
        else:
            out.append(f"[{f.label}:{value_hash(f, key)[:12]}]")
        pos = f.end
    out.append(text[pos:])
    return "".join(out)
