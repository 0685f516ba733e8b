"""leakwarden: check posts against a written policy, follow links, match leaked material, find
private information, enforce, and account for it."""

from leakwarden.engine import Engine
from leakwarden.errors import LeakwardenError
from leakwarden.model import Action, Decision, LinkChain, Post, Reason, Signal, Standing, Subject, Verdict
from leakwarden.policy.load import load_policy
from leakwarden.store.db import Database

__all__ = ["Action", "Database", "Decision", "Engine", "LeakwardenError", "LinkChain", "Post", "Reason",
           "Signal", "Standing", "Subject", "Verdict", "load_policy"]
__version__ = "0.1.0"
