"""What the spam model reads: known sites' links as their own feature, and one featurizing pass that
gives what scikit-learn's HashingVectorizer gives (the shipped weights depend on it); links written
so as not to look like links, and the ways spam asks to be contacted without one."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from leakwarden.signals.spam.features import (
    _DIGITS,
    _URL,
    META_WEIGHT,
    N_CHAR,
    N_MEMORY,
    N_WORD,
    Comment,
    Featurizer,
    contact_tokens,
    fold,
    is_known_host,
    masked,
    unobfuscated,
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
    texts, tokens, metas = [], [], []
    for comment in COMMENTS:
        text, _ = masked(fold(comment.text))
        texts.append(_DIGITS.sub("0", text))
        _, words_of, meta_of = featurizer._prepare(comment)
        tokens.append(words_of)
        metas.append(meta_of)
    chars = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=N_CHAR, alternate_sign=False,
                              norm="l2", lowercase=False)
    words = HashingVectorizer(analyzer=lambda t: t, n_features=N_WORD, alternate_sign=False, norm="l2",
                              lowercase=False)
    memory = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), n_features=N_MEMORY, alternate_sign=False,
                               norm="l2", lowercase=False)
    meta = HashingVectorizer(analyzer=lambda t: t, n_features=N_WORD, alternate_sign=False, norm=None, binary=True,
                             lowercase=False)
    expected = sp.hstack([chars.transform(texts), words.transform(tokens) + META_WEIGHT * meta.transform(metas)],
                         format="csr")
    assert np.abs((rows.model - expected).toarray()).max() < 1e-12
    assert np.abs((rows.memory - memory.transform(texts)).toarray()).max() < 1e-12
    assert (featurizer.transform(COMMENTS) != rows.model).nnz == 0


@pytest.mark.parametrize("text,plain", [
    ("visit w w w . cheap-pills . com today", "visit www.cheap-pills.com today"),
    ("cheappills dot com", "cheappills.com"),
    ("cheap-pills[.]net and pills(dot)xyz", "cheap-pills.net and pills.xyz"),
    ("زوروا pills نقطه com", "زوروا pills.com"),
    ("the dot com bubble", "the dot com bubble"),  # no name before the dot: not a link
    ("see page 4. com­ments below", "see page 4. com­ments below"),
    ("replica watches >> watches-replica (dot) shop", "replica watches >> watches-replica.shop"),
    ("www(.)iptv-gulf(.)store", "www.iptv-gulf.store"),
    ("visit h t t p s : / / boostgram . pro", "visit https://boostgram.pro"),
    ("hxxps://bit[.]ly/3xRamad4n", "https://bit.ly/3xRamad4n"),
    ("our group t dot me / hdmovies", "our group t.me/hdmovies"),
    ("موقعنا shop دوت com", "موقعنا shop.com"),
])
def test_obfuscated_links_are_made_plain(text: str, plain: str) -> None:
    assert unobfuscated(fold(text))[0] == fold(plain)


def test_an_obfuscated_link_is_a_link_and_says_so() -> None:
    _, tokens = masked(fold("best prices at w w w . rx-cheap . top"))
    assert tokens[:3] == ["lwobfuscated", "lwurl", "lwtld_top"]
    assert "lwobfuscated" not in masked(fold("https://rx-cheap.top"))[1]


@pytest.mark.parametrize("text", ["join t.me/IPL_sure_tips now", "wa.me/971501234567", "our group t dot me / hdmovies"])
def test_a_one_letter_host_with_a_path_is_a_link(text: str) -> None:
    assert "lwurl" in masked(fold(text))[1]


def test_a_one_letter_host_without_a_path_is_not_a_link() -> None:
    assert "lwurl" not in masked(fold("plan b.co is not a site, nor is t.me alone"))[1]


@pytest.mark.parametrize("text,present,absent", [
    ("add me on snap: lina_xo99 🔥", {"m_platform", "m_handle_like", "m_platform_handle"}, {"m_earn"}),
    ("تابعوني على تيك توك fawzi.goals", {"m_platform", "m_platform_handle"}, set()),
    ("Add us on discord: recover_team#0420", {"m_platform_handle"}, set()),
    ("I make $400 a day from home. Reply 'INFO' below", {"m_income_rate", "m_earn_from_home", "m_reply_bait"},
     {"m_platform"}),
    ("اللي يبي يربح 5000 درهم فالسيمانه يكتب 'مهتم'", {"m_income_rate", "m_earn", "m_reply_bait"}, set()),
    ("ارباح يوميه، كلمني خاص", {"m_earn", "m_private_message"}, set()),
    ("Join my VIP group, link in my profile", {"m_private_message"}, set()),
    ("للتواصل واتساب 0551234567", {"m_asks_contact", "m_contact_drop", "m_platform"}, set()),
    # ham: the same words used for real, no way out
    ("الوظائف في القطاع الخاص افضل", set(), {"m_private_message", "m_contact_drop"}),
    ("We rolled back to 2.3.9 and pinned it", set(), {"m_handle_like"}),
    ("My rent went up by £250 last year", set(), {"m_income_rate", "m_earn"}),
    ("We chat on WhatsApp every day with the kids", {"m_platform"}, {"m_contact_drop", "m_handle_like"}),
    # the answer held back so that the reader writes first
    ("Paid off my mortgage in 3 years. Ask me how", {"m_ask_me_how"}, set()),
    ("Comment below and I'll send you the guide", {"m_ask_me_how"}, set()),
    ("اللي عايز يعرف ازاي يكلمني", {"m_ask_me_how"}, set()),
    ("اللي يبي التفاصيل يرسل لي", {"m_ask_me_how"}, set()),
    ("I asked my bank how the rate is set", set(), {"m_ask_me_how"}),
    ("Please reply to the consultation before Friday", set(), {"m_ask_me_how"}),
    # a number to call as the way to act
    ("Emergency plumber, no callout fee. Call 0161 496 0000", {"m_call_number"}, set()),
    ("مؤسسة نقل عفش، جوال 0551234567", {"m_call_number"}, set()),
    ("The station phone line was down for 3 hours", set(), {"m_call_number"}),
    ("My mobile bill went from 1200 to 1450 a year", set(), {"m_call_number"}),
])
def test_contact_tokens(text: str, present: set[str], absent: set[str]) -> None:
    tokens = set(contact_tokens(fold(text)))
    assert present <= tokens and not absent & tokens, tokens


@pytest.mark.parametrize("text,links", [
    # a bare domain is a link under any generic top-level domain of the Public Suffix List ...
    ("won big at royal-slots.vip last night", ["royal-slots.vip"]),
    ("claim it at free-gift.click before midnight", ["free-gift.click"]),
    ("rates on best-yield.finance/apply", ["best-yield.finance/apply"]),
    ("cheap-pills.top and rx-now.com", ["cheap-pills.top", "rx-now.com"]),
    # ... but not a file name, and not two-letter codes that are file extensions
    ("edit setup.py and README.md, then run build.sh", []),
    ("the patch is in fix.zip, the video in demo.mov", []),
    ("we use Node.js and Vue.js", []),
    ("e.g. the council, i.e. the mayor", []),
])
def test_bare_domains_are_links(text: str, links: list[str]) -> None:
    assert [m[0] for m in _URL.finditer(text)] == links


@pytest.mark.parametrize("text,present", [
    ("Use my code KAVYA250 on the app and get a bonus", True),
    ("سجل في التطبيق بكود الدعوة RAKAN50 واحصل على رصيد", True),
    ("كود خصم فعال 100% : NOON7 على كل الطلبات", True),
    ("my postcode is LS6 1AB and the bus is the X43", False),  # no word that names a code
    ("zip code 43215", False),  # digits alone
    ("use code kavya250", False),  # as written, a code is in capitals
])
def test_a_promotion_code_beside_its_word_is_a_meta_token(text: str, present: bool) -> None:
    _, _, meta = Featurizer()._prepare(Comment(text))
    assert ("m_promo_code" in meta) is present
