"""Intake through a broker: posts published to a stream, decided, enforced and recorded by workers.

``broker`` is the seam (adapters: ``jetstream``, ``redis_streams``), ``client`` publishes from code
that is not async, ``worker`` consumes. The embedded default (no broker) needs none of it.
"""

from leakwarden.intake.broker import COMPLETE, POSTS, Broker, BrokerUnavailable, DeadLetter, open_broker
from leakwarden.intake.client import IntakeClient

__all__ = ["COMPLETE", "POSTS", "Broker", "BrokerUnavailable", "DeadLetter", "IntakeClient", "open_broker"]
