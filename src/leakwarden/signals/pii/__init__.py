"""Private information (PII): find it, judge it, redact it, in English and Arabic.

>>> from leakwarden.signals.pii import find_pii, redact
>>> text = "SSN: XXX-XX-4821, home 12 Oak Street, Springfield, IL 62704"
>>> [f.label for f in find_pii(text)]
['US_SSN_PARTIAL', 'STREET_ADDRESS']
>>> redact(text, find_pii(text), "label")
'SSN: [US_SSN_PARTIAL], home [STREET_ADDRESS]'
"""

from leakwarden.signals.pii.detector import PiiDetector, is_dossier
from leakwarden.signals.pii.find import find_pii
from leakwarden.signals.pii.finding import LABELS, Finding, Label
from leakwarden.signals.pii.redact import STYLES, Style, masked_value, redact, value_hash

__all__ = [
    "LABELS",
    "STYLES",
    "Finding",
    "Label",
    "PiiDetector",
    "Style",
    "find_pii",
    "is_dossier",
    "masked_value",
    "redact",
    "value_hash",
]
