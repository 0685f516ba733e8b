"""The outbox: events written in the same transaction as each change, read in order from a cursor
(``GET /v1/events``) and delivered to webhooks signed as Standard Webhooks specifies."""

from leakwarden.outbox.events import (
    EVENT_TYPES,
    action_event,
    decision_data,
    emit,
    emit_many,
    read,
    revised,
    sequence,
    standing_changed,
)

__all__ = ["EVENT_TYPES", "action_event", "decision_data", "emit", "emit_many", "read", "revised", "sequence",
           "standing_changed"]
