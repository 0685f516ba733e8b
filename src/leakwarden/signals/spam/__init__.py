"""Comment spam: a multilingual linear model (scikit-learn) with a campaign memory, learning from
reviewers' reports. See :class:`~leakwarden.signals.spam.detector.SpamDetector`."""

from leakwarden.signals.spam.detector import SPAM_SIGNAL, SpamDetector, SpamScore, comment_context
from leakwarden.signals.spam.features import Comment

__all__ = ["SPAM_SIGNAL", "Comment", "SpamDetector", "SpamScore", "comment_context"]
