"""Alternations of many literal words as a trie-shaped regex.

Python's regex engine tries the branches of ``a|b|c...`` one by one at each position; the same
words as a trie (``s(?:t(?:reet)?|uite)``) fail after a character or two, which makes scanning for
dozens of cue words several times faster.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any


def trie_regex(words: Iterable[str]) -> str:
    """A regex (no capturing groups) matching exactly the given literal words, longest first."""
    root: dict[str, Any] = {}
    for word in words:
        if not word:
            continue
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # end of a word
    return _render(root) or "(?!)"


def _render(node: dict[str, Any]) -> str:
    ends = "" in node
    branches = [re.escape(ch) + _render(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends:
        return f"(?:{body})?"
    return body
