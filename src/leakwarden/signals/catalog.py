"""Every Signal kind a policy may name, with the attributes its detector sets.

A policy is validated against this catalog when it loads: a condition on an unknown kind, on an
attribute the detector never sets, or on a value the attribute never takes, could never fire, so
it is an error naming the file, line and field. Each built-in detector declares its
:class:`SignalSpec` as its class attribute ``signal``, next to the code that sets the attributes
(``UrlRuleDetector.signal``, ``PiiDetector.signal``, ``BankDetector.signal``, ``SpamDetector.signal``).

A library user with a detector of a new kind registers its spec (``register_signal``) before
loading a policy that names it; an :class:`~leakwarden.engine.Engine` does that for every detector
it is given that has a ``signal`` attribute.
"""

from __future__ import annotations

import importlib
import logging
import threading

from leakwarden.signals.base import SignalSpec

log = logging.getLogger(__name__)

#: The built-in detectors, by module and class: each declares ``signal``.
BUILTIN_DETECTORS = (
    ("leakwarden.signals.urlrules", "UrlRuleDetector"),
    ("leakwarden.signals.pii.detector", "PiiDetector"),
    ("leakwarden.signals.bank.detector", "BankDetector"),
    ("leakwarden.signals.spam.detector", "SpamDetector"),
)


_lock = threading.Lock()
_specs: dict[str, SignalSpec] = {}


def _declared(module: str, name: str) -> SignalSpec | None:
    try:
        detector = getattr(importlib.import_module(module), name, None)
    except ImportError as exc:  # an optional detector that is not installed: its kind stays unknown
        log.warning("detector %s.%s is unavailable: %s", module, name, type(exc).__name__)
        return None
    spec = getattr(detector, "signal", None)
    return spec if isinstance(spec, SignalSpec) else None


def _builtin() -> dict[str, SignalSpec]:
    specs: dict[str, SignalSpec] = {}
    for module, name in BUILTIN_DETECTORS:
        spec = _declared(module, name)
        if spec is not None:
            specs[spec.kind] = spec
    return specs


def signal_specs() -> dict[str, SignalSpec]:
    """Every known kind: the built-in detectors' and those registered."""
    with _lock:
        if not _specs:
            _specs.update(_builtin())
        return dict(_specs)


def register_signal(spec: SignalSpec) -> None:
    """Make a new Signal kind known to policies (a custom detector's)."""
    signal_specs()
    with _lock:
        _specs[spec.kind] = spec
