"""The campaign memory: comments reviewers reported, and how close a new comment is to them.

A campaign posts the same spam again and again, reworded and with new domains. The linear model
learns a report slowly (one row among thousands); the memory learns it at once: a new comment whose
masked character n-grams (``Featurizer.memory_rows``: links, numbers, e-mails and phones masked) have
a cosine similarity of at least ``near`` with a reported spam is spam of that campaign.

Reports are kept per site. A spam report counts on every site (spam campaigns hit many sites),
at a lower threshold on the site that reported it; a ham report counts in full only on its own site
(one site's legitimate forex talk is not another's), where it outweighs spam reports that are less
similar; the linear model takes a ham report at a fifth of a spam report's weight.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from leakwarden.signals.spam.features import N_MEMORY


@dataclass(frozen=True)
class Match:
    feedback_id: int
    site: str
    similarity: float
    label: int  # 1 spam, 0 ham
    same_site: bool


class CampaignMemory:
    """Reported comments as rows of one sparse matrix; ``nearest`` is one sparse product."""

    def __init__(self, near: float = 0.6, near_same_site: float = 0.5) -> None:
        self.near = near
        self.near_same_site = near_same_site
        self._rows: list[sp.csr_matrix] = []
        self._matrix: sp.csr_matrix = sp.csr_matrix((0, N_MEMORY))
        self._ids: list[int] = []
        self._sites: list[str] = []
        self._labels: list[int] = []
        self._dirty = False
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, feedback_id: int, site: str, label: int, row: sp.csr_matrix) -> None:
        with self._lock:
            self._rows.append(row)
            self._ids.append(feedback_id)
            self._sites.append(site)
            self._labels.append(label)
            self._dirty = True

    def _current(self) -> sp.csr_matrix:
        if self._dirty:
            self._matrix = sp.vstack(self._rows, format="csr") if self._rows else sp.csr_matrix((0, N_MEMORY))
            self._dirty = False
        return self._matrix

    def nearest(self, row: sp.csr_matrix, site: str) -> tuple[Match | None, Match | None]:
        """The closest spam report that counts here, and the closest ham report of this site."""
        with self._lock:
            if not self._ids:
                return None, None
            sims = np.asarray((self._current() @ row.T).todense()).ravel()
            ids, sites, labels = self._ids, self._sites, self._labels
        best_spam: Match | None = None
        best_ham: Match | None = None
        for i in np.argsort(-sims)[:50]:
            sim = float(sims[i])
            if sim <= 0:
                break
            same = sites[i] == site
            match = Match(ids[i], sites[i], sim, labels[i], same)
            if labels[i] == 1 and best_spam is None and sim >= (self.near_same_site if same else self.near):
                best_spam = match
            elif labels[i] == 0 and best_ham is None and same and sim >= self.near_same_site:
                best_ham = match
            if best_spam is not None and best_ham is not None:
                break
        return best_spam, best_ham
