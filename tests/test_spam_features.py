"""What the spam model reads: known sites' links as their own feature, and one featurizing pass that
gives what scikit-learn's HashingVectorizer gives (the shipped weights depend on it)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from leakwarden.signals.spam.features import (
    _DIGITS,
    N_CHAR,
    N_MEMORY,
    N_WORD,
    Comment,
    Featurizer,
    fold,
    is_known_host,
    masked,
)

COMMENTS = [
    Comment("Buy cheap pills https://rx-cheap.top/order?id=7 now!!! call +1 415 555 0102", "Best Pharmacy",
            "sales@rx-cheap.top", "https://rx-cheap.top"),
    Comment("The full ruling: https://www.supremecourt.gov/opinions/23pdf/22-451.pdf"),
    Comment("الشيخ الروحاني أبو علي لجلب الحبيب، للتواصل واتساب 00966555123456"),
    Comment("wallah el match kan ma7zan 😂😂"),
    Comment("ok"),
]


@pytest.mark.parametrize("host,known", [
    ("www.reuters.com", True),
    ("reuters.com", True),
    ("fakereuters.com", False),
    ("reuters.com.evil.top", False),
    ("www.ofwat.gov.uk", True),
    ("cisa.gov", True),
    ("www.cst.gov.sa", True),
    ("www.ox.ac.uk", True),
    ("mit.edu", True),
    ("www.aljazeera.net", True),
    ("en.wikipedia.org", True),
    ("best-vpn-coupons.shop", False),
    ("government-grants.online", False),
    ("localhost", False),
])
def test_known_hosts(host: str, known: bool) -> None:
    assert is_known_host(host) is known


def test_a_known_sites_link_is_its_own_token() -> None:
    text, tokens = masked(fold("Source: https://www.bbc.com/arabic/articles/c2026 and https://x2-bonus.top/claim"))
    assert tokens[0] == "lwknown" and "lwurl" in tokens and "lwtld_top" in tokens
    assert "lwknown" in text and "lwurl" in text and "bbc" not in text


def test_one_pass_equals_hashing_vectorizer() -> None:
    featurizer = Featurizer()
    rows = featurizer.rows(COMMENTS)
    texts, tokens = [], []
    for comment in COMMENTS:
        text, _ = masked(fold(comment.text))
        texts.append(_DIGITS.sub("0", text))
        tokens.append(featurizer._prepare(comment)[1])
    chars = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=N_CHAR, alternate_sign=False,
                              norm="l2", lowercase=False)
    words = HashingVectorizer(analyzer=lambda t: t, n_features=N_WORD, alternate_sign=False, norm="l2",
                              lowercase=False)
    memory = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), n_features=N_MEMORY, alternate_sign=False,
                               norm="l2", lowercase=False)
    expected = sp.hstack([chars.transform(texts), words.transform(tokens)], format="csr")
    assert np.abs((rows.model - expected).toarray()).max() < 1e-12
    assert np.abs((rows.memory - memory.transform(texts)).toarray()).max() < 1e-12
    assert (featurizer.transform(COMMENTS) != rows.model).nnz == 0
