"""What the spam model sees: a comment turned into hashed features (no vocabulary to ship).

A comment is its text and, when the caller knows them (the Akismet route does), its author's name,
e-mail and URL. The text is folded as the other detectors fold it (``text.normalize``: Arabic
letter and digit forms, bidi controls, tatweel, diacritics), lower-cased, and its URLs, e-mail
addresses and phone numbers are replaced by placeholder tokens that keep what matters for spam (a
link, its top-level domain, the words of its host and path) and drop what a campaign changes from
one comment to the next (the exact domain, the number).

Three blocks of features, each hashed (scikit-learn's ``HashingVectorizer``):

* character n-grams (2-5, inside word boundaries) of the folded text: they suit Arabic, whose
  words take prefixes and suffixes, and survive misspellings and spun text;
* words and word pairs (l2-normed together);
* *meta* tokens, each worth ``META_WEIGHT`` whatever the comment's length, in the same columns as
  the words: how many links, where they point (and whether one was written as ``x dot com``), the
  author's fields, length, capitals, repeated punctuation, the script, and the ways spam asks to
  be found without a link (:func:`contact_tokens`: a messaging platform, a handle, "DM me" or
  "بالخاص", "reply 'INFO'" or "اكتب 'مهتم'", an income per day or week, "earn from home"), and a
  promotion or referral code beside its word ("code KAVYA250", "كود الدعوة RAKAN50");
* for the campaign memory only (:mod:`leakwarden.signals.spam.memory`): character 3-5-grams of
  the text with links and numbers masked, so a reworded copy with new domains stays close.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.utils import murmurhash3_32

from leakwarden.text.normalize import normalize

N_CHAR = 2**18
N_WORD = 2**18
N_FEATURES = N_CHAR + N_WORD
N_MEMORY = 2**18
META_WEIGHT = 0.6  # each meta token's value (leave-one-writer-out: 0.4 to 1.0 did alike; 0, or l2-normed, worse)
MAX_FEATURE_CHARS = 5_000  # the head of a long text says whether it is spam

# Country codes that a bare ``name.cc`` is read as a link with; other two-letter codes are too often
# file extensions (``setup.py``, ``README.md``, ``run.sh``) to count without ``http``.
_COUNTRY_TLDS = ("io", "co", "me", "ru", "cn", "tk", "ml", "ga", "cf", "gq", "pw", "ly", "sa", "ae", "eg", "us", "uk",
                 "in", "pk")


@functools.cache
def generic_tlds() -> frozenset[str]:
    """The generic top-level domains of the Public Suffix List (``tldextract``'s bundled copy: no
    network), three letters or more, less those that are also file extensions Python knows
    (``.zip``, ``.mov``, ``.java``): ``name.vip``, ``name.click`` or ``name.finance`` is a link
    written without ``http``, ``app.zip`` maybe not. The ones spam used most are kept in any case."""
    import mimetypes

    import tldextract

    suffixes = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None).tlds
    extensions = {ext.lstrip(".") for ext in (*mimetypes.MimeTypes(filenames=()).types_map[True],
                                              *mimetypes.MimeTypes(filenames=()).types_map[False])}
    tops = {s for s in suffixes if "." not in s and s.isascii() and s.isalpha() and len(s) >= 3}
    return frozenset((tops - extensions) | {"com", "net", "org", "info", "biz", "xyz", "top", "online", "site",
                                            "club", "shop", "store", "live"})


def _alternation(words: set[str]) -> str:
    """A regular expression matching any of ``words``, as a trie (``(?:a(?:pp|rt)|c(?:om)...)``):
    a flat alternation of a thousand names is tried one by one and made the link pattern four times
    slower; the trie is as fast as the old list of thirty."""
    tree: dict[str, dict] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [re.escape(ch) + emit(node[ch]) for ch in sorted(node) if ch]
        if not branches:
            return ""
        ends = "" in node
        body = branches[0] if len(branches) == 1 and not ends else "(?:" + "|".join(branches) + ")"
        return body + ("?" if ends else "")

    return emit(tree)


_BARE_TLDS = _alternation({*generic_tlds(), *_COUNTRY_TLDS})
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'()\[\]]+|\b[a-z0-9][a-z0-9-]{1,62}\.(?:" + _BARE_TLDS + r")\b(?:/[^\s<>\"']*)?"
    r"|\b(?:t|wa|x)\.(?:me|com)/[^\s<>\"']+",  # one-letter hosts (a Telegram or WhatsApp link) with a path
    re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# a quotation of 12+ characters on one line: straight, curly or angle quotes; a single quote only
# where no letter touches it from outside ("don't ... it's" is not a quotation)
_QUOTED = re.compile(r'"[^"\n]{12,}"|“[^”\n]{12,}”|«[^»\n]{12,}»|‘[^’\n]{12,}’|'
                     r"(?<!\w)'[^'\n]{12,}'(?!\w)")
_PHONE = re.compile(r"(?:\+|00)?\d[\d\s().-]{7,}\d")
_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"[^\W\d_]{2,}|\d+", re.UNICODE)
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_LATIN = re.compile(r"[A-Za-z]")
_HOST_WORD = re.compile(r"[a-z]{3,}")
_REPEAT = re.compile(r"([!?$€£*])\1{2,}")
_HANDLE = re.compile(r"(?<![\w.])@[a-z_][\w.]{2,}|\bt\.me/|\bwa\.me/", re.IGNORECASE)
# Patterns named in this note run on folded (lower-case) text only, so they go without re.IGNORECASE,
# which doubles the cost of these word lists: _MONEY, _SPACED_WWW, _SPELT_DOT, _PLATFORM,
# _PRIVATE_MESSAGE, _REPLY_BAIT, _INCOME, _EARN, _FROM_HOME.
_MONEY = re.compile(r"[$€£₹]\s?\d|\d[\d,.]*\s?(?:k\b|usd|aed|sar|egp|inr|dollars?|pounds?|rs\.?|دولار|ريال|"
                    r"جنيه|درهم|الف|ألف)")
_PERCENT = re.compile(r"\d+\s?%")
# A promotion or referral code beside the word that names it ("use my code KAVYA250", "كود الدعوة RAKAN50"):
# a token of capitals with a digit, read on the text as written (before folding lower-cases it).
_CODE_WORD = r"(?i:\b(?:code|promo|coupon|voucher|referral|invite)\b|كود|كوبون|رمز|الإحالة|الاحالة|الدعوة|الدعوه|برومو)"
_CODE_TOKEN = r"(?<![\w@./#-])(?=[A-Z0-9]*[A-Z])(?=[A-Z0-9]*\d)[A-Z0-9]{3,16}(?![\w@./-])"
_PROMO_CODE = re.compile(_CODE_WORD + r"\W{0,3}(?:\S+\s+){0,6}?\W{0,3}" + _CODE_TOKEN + "|" + _CODE_TOKEN
                         + r"\W{0,3}(?:\S+\s+){0,2}?\W{0,3}" + _CODE_WORD)
_FREE_MAIL = frozenset({"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "mail.ru", "yandex.ru",
                        "protonmail.com", "icloud.com", "aol.com", "gmx.com", "live.com"})


@dataclass(frozen=True)
class Comment:
    """One comment as the spam model reads it. Only ``text`` is required."""

    text: str
    author: str = ""
    email: str = ""
    url: str = ""


def fold(text: str) -> str:
    """NFKC, the detectors' Arabic and digit folding, lower case."""
    return normalize(unicodedata.normalize("NFKC", text[:MAX_FEATURE_CHARS])).text.lower()


def lang_of(text: str) -> str:
    """``ar``, ``en`` (any Latin script) or ``other``, by the letters the text has most of."""
    arabic, latin = len(_ARABIC.findall(text)), len(_LATIN.findall(text))
    if not arabic and not latin:
        return "other"
    return "ar" if arabic >= latin else "en"


_PUBLIC_LABELS = frozenset({"gov", "gouv", "gob", "govt", "mil", "edu"})
KNOWN_DOMAINS = Path(__file__).parent / "data" / "known_domains.txt"


@functools.cache
def known_domains() -> frozenset[str]:
    """The sites whose links are weak evidence of spam (``data/known_domains.txt``)."""
    lines = KNOWN_DOMAINS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def is_known_host(host: str) -> bool:
    """A public body's host (``gov``, ``mil``, ``edu``, ``ac.<cc>`` ...) or a listed site's."""
    labels = host.lower().strip(".").split(".")
    if len(labels) < 2:
        return False
    if any(label in _PUBLIC_LABELS for label in labels[1:]) or (len(labels) >= 3 and labels[-2] == "ac"):
        return True
    known = known_domains()
    return any(".".join(labels[i:]) in known for i in range(len(labels) - 1))


def _host_path(url: str) -> tuple[str, str]:
    low = url.lower()
    host = re.sub(r"^(?:https?://)?(?:www\.)?", "", low).split("/", 1)[0].split(":", 1)[0]
    path = low.split(host, 1)[1] if host and host in low else ""
    return host, path


def _url_tokens(url: str) -> list[str]:
    """What a link says about spam: a known site's link is one token of its own (``lwknown``);
    any other link is ``lwurl`` with its top-level domain and the words of its host and path."""
    host, path = _host_path(url)
    if is_known_host(host):
        return ["lwknown"]
    tld = host.rsplit(".", 1)[-1] if "." in host else "none"
    tokens = ["lwurl", f"lwtld_{tld}"]
    tokens += [f"lwhost_{w}" for w in _HOST_WORD.findall(host.rsplit(".", 1)[0])[:6]]
    tokens += [f"lwpath_{w}" for w in _HOST_WORD.findall(path)[:8]]
    if path.strip("/"):
        tokens.append("lwurl_path")
    if re.search(r"\?.*=", url):
        tokens.append("lwurl_query")
    return tokens


_TLDS = (r"(?:com|net|org|info|biz|xyz|top|online|site|club|shop|store|live|io|co|me|ru|cn|pw|ly|sa|ae|eg|us|uk|in|pk|"
         r"pro|vip|click|bet|cc|tk|dz|kw|qa|iq|lb)")
_SPACED_WWW = re.compile(r"\bw\s+w\s+w\s*(?:\.|\s+dot\s+|\[\.\]|\(\.\))\s*|\bwww\s*(?:\s+dot\s+|\[\.\]|\(\.\))\s*")
# "h t t p s : / /", "hxxps://", "https : //": a scheme written so as not to look like one
_SPELT_SCHEME = re.compile(r"\bh\s*(?:t\s*t|xx)\s*p(\s*s)?\s*:\s*/\s*/\s*")
_SPELT_DOT = re.compile(r"\b([a-z0-9][a-z0-9-]*)\s*(?:\[\s*(?:\.|dot)\s*\]\s*|\(\s*(?:\.|dot)\s*\)\s*|"
                        r"\{\s*(?:\.|dot)\s*\}\s*|\s+dot\s+|\s+\.\s*|\s*\.\s+|\s+(?:نقطه|دوت)\s+)(?=" + _TLDS
                        + r"\b)")
# "t dot me / name", "t.me / name": a one-letter host's link, the path written apart
_SPELT_SHORT = re.compile(r"\b(t|wa)\s*(?:\.|\[\.\]|\(\.\)|\s+dot\s+)\s*me\s*/\s*(?=[a-z0-9_+])")


_NOT_A_NAME = frozenset({"the", "a", "an", "of", "and", "or", "to", "in", "on", "at", "its", "this", "that"})


def unobfuscated(folded: str) -> tuple[str, bool]:
    """Links written to slip past filters made plain again: ``w w w . x . com``, ``x dot com``,
    ``x[.]com``, ``x (dot) com``, ``x نقطه com``, ``x دوت com``, ``h t t p s : / /``, ``hxxps://``,
    ``t dot me / name``. The flag says whether there was one."""
    text = _SPACED_WWW.sub("www.", folded)
    text = _SPELT_SCHEME.sub(lambda m: "https://" if m[1] else "http://", text)
    text = _SPELT_SHORT.sub(lambda m: f"{m[1]}.me/", text)
    text = _SPELT_DOT.sub(lambda m: m[0] if m[1] in _NOT_A_NAME else f"{m[1]}.", text)
    return text, text != folded


def masked(folded: str) -> tuple[str, list[str]]:
    """The folded text with URLs, e-mails and phone numbers as placeholders; the URL tokens (with
    ``lwobfuscated`` when a link was written so as not to look like one)."""
    url_tokens: list[str] = []
    folded, obfuscated = unobfuscated(folded)
    if obfuscated:
        url_tokens.append("lwobfuscated")

    def url(m: re.Match[str]) -> str:
        tokens = _url_tokens(m[0])
        url_tokens.extend(tokens)
        return f" {tokens[0]} "

    text = _URL.sub(url, folded)
    text = _EMAIL.sub(" lwemail ", text)
    text = _PHONE.sub(" lwphone ", text)
    return text, url_tokens


_BAIT_WORDS = re.compile(
    r"whats\s?app|watsap|telegram|viber|signal\s+me|dm\s+me|inbox\s+me|text\s+me|call\s+me|contact\s+(?:me|us|him|her)|"
    r"واتس|وتس|تلغرام|تليجرام|تلقرام|للتواصل|تواصل|راسلني|كلمني|الخاص|بالخاص", re.IGNORECASE)


# Ways spam asks to be found without a link (every pattern reads folded text: lower case, Arabic
# alef, yeh and teh marbuta folded). Each is one feature among many: the model weighs it.
_PLATFORM = re.compile(
    r"\b(?:whats\s?app|watsapp|telegram|snap(?:chat)?|insta(?:gram)?|ig|tik\s?tok|discord|youtube|twitch|facebook|"
    r"fb|viber|wechat|signal)\b|واتس|وتساب|تلغرام|تيليجرام|تليجرام|تلقرام|تلجرام|سناب|انستا|انستقرام|انستغرام|"
    r"تيك\s?توك|يوتيوب|ديسكورد|فيسبوك|فيس\s?بوك")
_HANDLE_LIKE = re.compile(r"(?<![\w@./#-])@?\s?(?=[a-z0-9_.#]*[a-z]{2})(?=[a-z0-9_.#]*[_.#0-9])"
                          r"[a-z][a-z0-9]*(?:[_.#][a-z0-9]+)+(?![\w@/-])|(?<![\w@./-])[a-z]{3,}[0-9]{2,}(?![\w@./-])")
_PRIVATE_MESSAGE = re.compile(
    r"\b(?:dm|pm|inbox|message|text|msg)\s+(?:me|us)\b|\bin\s+(?:my|the)\s+(?:dms?|inbox)\b|\blink\s+in\s+(?:my\s+)?"
    r"(?:bio|profile)\b|(?:^|\s)(?:بال|فال|عال|على\s?ال|في\s?ال|ع\s?ال)?خاص(?:\s|$|[.،!؟])|بالبايو|في\s?البايو|"
    r"الرابط\s+(?:في|ب)\s?(?:ال)?(?:بايو|وصف|بروفايل)")
_REPLY_BAIT = re.compile(
    r"\b(?:reply|comment|type|write|text|send|search)\s+(?:the\s+word\s+)?[\"'“‘«(]|"
    r"\b(?:search|google|look\s+up)\b.{0,40}\b(?:on\s+google|on\s+youtube|on\s+insta)|"
    r"(?:اكتب|يكتب|تكتب|اكتبي|ابعت|ارسل|ابعث|علق|يعلق)\S*\s+(?:لي\s+)?(?:ب?كلمه\s+)?[\"'“‘«(]|"
    r"(?:ابحث|دور|ابحثوا|ابحثي)\S*\s+(?:في|على|عن|ب)\s?(?:جوجل|قوقل|غوغل|يوتيوب|سناب|انستا)|"
    r"(?:اكتب|يكتب|تكتب|اكتبي|ابعت)\S*\s+(?:لي\s+)?(?:كلمه\s+)?(?:مهتم|مهتمه|تم|نعم)\b")
_RATE = (r"(?:a|per|an|each|every)\s+(?:day|week|month|hour)|daily|weekly|monthly|hourly|"
         r"/\s?(?:day|week|month|hr|hour)|يوميا|اسبوعيا|شهريا|(?:في|ب|بال|فال|كل|ف)\s?(?:ال)?(?:يوم|اسبوع|شهر|سيمانه|نهار|ساعه)")
_INCOME = re.compile(r"(?:[$€£₹]\s?\d[\d,.]*k?|\d[\d,.]*\s?(?:k\b|usd|dollars?|pounds?|aed|sar|egp|"
                     r"دولار|ريال|جنيه|درهم|الف|دينار|%))\s*(?:\S+\s+){0,3}?(?:" + _RATE + r")")
_EARN = re.compile(r"\b(?:earn|earning|make|making|made|profit|profits|income|returns?|double)\b|"
                   r"اربح|يربح|نربح|تربح|ربحت|ارباح|اكسب|يكسب|كسبت|دخل\s(?:اضافي|ثابت|ممتاز|شهري|يومي)|تكسب|ابرح|"
                   r"\b(?:arba7|aksab|ksabt|rb7)")
_FROM_HOME = re.compile(r"\bfrom\s+(?:home|your\s+phone|my\s+phone|the\s+comfort)|\bwork\s+from\s+home\b|"
                        r"من\s?(?:ال)?(?:بيت|البيت|منزل|الدار|الموبايل|الجوال)|mn\s?el\s?beit")

# "Ask me how", "reply and I'll tell you", "check my profile": the answer is held back so that the
# reader writes first (the pitch goes on in private, out of the moderator's sight).
_ASK_ME_HOW = re.compile(
    r"\bask\s+me\s+(?:how|for)\b|\b(?:reply|comment|message|dm|write)\b.{0,30}\b(?:i\s?(?:'ll|will)|and\s+i)\s+"
    r"(?:tell|send|show|explain|share)|\b(?:check|see|visit)\s+(?:out\s+)?my\s+(?:profile|bio|page)\b|"
    r"(?:اسالني|اسالوني|اسالنى)|(?:اللي|الي|اللى|من)\s+(?:يبي|يبغى|يبغي|عايز|عاوز|حاب|بدو|يريد)\s+(?:رقمه|رقمها|الرقم|"
    r"التفاصيل|الطريقه|يعرف\s+(?:الطريقه|كيف|ازاي))|(?:وا|و)?(?:اشرح|اقول|اقولك|ارسل|ابعت|ابعتلك|هقولك|ها?قولك)\S*\s+"
    r"(?:لك|لكم|لكي)?\s?(?:الطريقه|التفاصيل|كل\s+حاجه|كل\s+شي)")
# A number to call given as the way to act (a service or a sale advertised under someone else's article).
_CALL_NUMBER = re.compile(
    r"(?:\b(?:call|ring|phone|tel|mobile|whats\s?app)\b|اتصل|اتصلي|اتصلوا|جوال|الجوال|موبايل|للحجز|للطلب|"
    r"للاستفسار|للتواصل)\W{0,3}(?:\S+\s+){0,3}?(?:\+|00)?\d[\d\s().-]{7,}\d")

_CONTACT_FLAGS = ((_PRIVATE_MESSAGE, "m_private_message"), (_REPLY_BAIT, "m_reply_bait"), (_INCOME, "m_income_rate"),
                  (_ASK_ME_HOW, "m_ask_me_how"), (_CALL_NUMBER, "m_call_number"))


def contact_tokens(folded: str) -> list[str]:
    """Meta tokens for the ways a comment asks to be contacted or paid that are not links."""
    tokens = []
    platform = _PLATFORM.search(folded)
    if platform:
        tokens.append("m_platform")
    if _HANDLE_LIKE.search(_URL.sub(" ", _EMAIL.sub(" ", folded))):
        tokens.append("m_handle_like")
        if platform:
            tokens.append("m_platform_handle")
    tokens += [token for pattern, token in _CONTACT_FLAGS if pattern.search(folded)]
    if _EARN.search(folded):
        tokens.append("m_earn")
        if _FROM_HOME.search(folded):
            tokens.append("m_earn_from_home")
    if asks_contact(folded):
        tokens.append("m_asks_contact")
        if _PHONE.search(folded) or _HANDLE.search(folded) or _EMAIL.search(folded) or "m_handle_like" in tokens:
            tokens.append("m_contact_drop")
    return tokens


def asks_contact(text: str) -> bool:
    """Words that ask to be contacted ("WhatsApp", "DM me", "للتواصل")."""
    return bool(_BAIT_WORDS.search(text[:MAX_FEATURE_CHARS]))


def has_bait(text: str) -> bool:
    """Does the text carry a way out: a link, an e-mail address, a phone number, a handle, or words
    that ask to be contacted? Outside comments, spam needs one of these to be worth sending."""
    head = text[:MAX_FEATURE_CHARS]
    return bool(_URL.search(head) or _EMAIL.search(head) or _PHONE.search(head) or _HANDLE.search(head)
                or _BAIT_WORDS.search(head))


def _bucket(n: int, edges: tuple[int, ...]) -> int:
    return sum(n >= e for e in edges)


def meta_tokens(comment: Comment, folded: str, text: str, url_tokens: list[str]) -> list[str]:
    raw = comment.text[:MAX_FEATURE_CHARS]
    n_urls = url_tokens.count("lwurl")
    words = _WORD.findall(text)
    tokens = [f"m_nurl_{min(n_urls, 4)}", f"m_nknown_{min(url_tokens.count('lwknown'), 2)}",
              f"m_len_{_bucket(len(raw), (20, 60, 150, 400, 1000))}",
              f"m_words_{_bucket(len(words), (3, 8, 20, 60))}", f"m_lang_{lang_of(raw)}"]
    letters = [c for c in raw if c.isalpha()]
    if letters:
        upper = sum(c.isupper() for c in letters) / len(letters)
        tokens.append(f"m_caps_{_bucket(int(upper * 100), (10, 30, 60))}")
    if "lwemail" in text:
        tokens.append("m_email")
    if "lwphone" in text:
        tokens.append("m_phone")
    if _HANDLE.search(raw):
        tokens.append("m_handle")
    tokens += [token for pattern, token in ((_MONEY, "m_money"), (_PERCENT, "m_percent")) if pattern.search(folded)]
    if _REPEAT.search(raw):
        tokens.append("m_repeat_punct")
    if _PROMO_CODE.search(raw):
        tokens.append("m_promo_code")
    tokens += contact_tokens(folded)
    if raw.count("\n") >= 3:
        tokens.append("m_many_lines")
    if sum(1 for c in raw if ord(c) > 0x1F000) >= 2:
        tokens.append("m_emoji")
    if comment.author:
        name = fold(comment.author)
        tokens.append("m_author")
        tokens += [f"m_author_w_{w}" for w in _WORD.findall(name)[:6]]
        if _URL.search(name) or any(ch.isdigit() for ch in name):
            tokens.append("m_author_odd")
        tokens.append(f"m_author_len_{_bucket(len(name.split()), (2, 3, 5))}")
    else:
        tokens.append("m_no_author")
    if comment.email:
        domain = comment.email.rsplit("@", 1)[-1].lower().strip()
        tokens.append("m_email_free" if domain in _FREE_MAIL else "m_email_other")
        tokens.append(f"lwtld_mail_{domain.rsplit('.', 1)[-1]}")
        local = comment.email.split("@", 1)[0]
        if sum(ch.isdigit() for ch in local) >= 3:
            tokens.append("m_email_digits")
    if comment.url:
        tokens.append("m_author_url")
        tokens += [f"a_{t}" for t in _url_tokens(comment.url)]
    return tokens


_CODES: dict[str, int] = {}  # token → murmurhash3_32(token, 0): n-grams recur across comments
_CODES_MAX = 1 << 18  # cleared when full (~40 MB at most); dict operations need no lock


def _code(token: str) -> int:
    code = int(murmurhash3_32(token, 0))
    if len(_CODES) >= _CODES_MAX:
        _CODES.clear()
    _CODES[token] = code
    return code


def _codes(tokens: list[str]) -> np.ndarray:
    """scikit-learn's murmurhash3_32 of each token (seed 0, signed), as ``HashingVectorizer`` hashes."""
    known = _CODES.get
    return np.array([known(t) or _code(t) for t in tokens], dtype=np.int64)


def _hashed(tokens: list[str], n_features: int, codes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and l2-normed counts of ``tokens`` hashed into ``n_features`` columns: what
    scikit-learn's ``HashingVectorizer`` (``alternate_sign=False``, ``norm="l2"``) makes of them,
    without its per-call checks (they cost more than the hashing on a short comment). ``codes``:
    the tokens' :func:`_codes`, when the caller has them."""
    if not tokens:
        return np.zeros(0, dtype=np.int32), np.zeros(0)
    columns, counts = np.unique(np.abs(_codes(tokens) if codes is None else codes) % n_features,
                                return_counts=True)
    values = counts.astype(np.float64)
    return columns.astype(np.int32), values / np.sqrt((values * values).sum())


def _flags(tokens: list[str], n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices of ``tokens`` hashed into ``n_features`` columns, each worth ``META_WEIGHT``
    whatever the length of the comment (a phone number weighs the same in ten words as in a hundred)."""
    if not tokens:
        return np.zeros(0, dtype=np.int32), np.zeros(0)
    columns = np.unique(np.abs(_codes(tokens)) % n_features)
    return columns.astype(np.int32), np.full(len(columns), META_WEIGHT)


def _stack(rows: list[tuple[np.ndarray, np.ndarray]], n_features: int) -> sp.csr_matrix:
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(c) for c, _ in rows])
    columns = np.concatenate([c for c, _ in rows]) if rows else np.zeros(0, dtype=np.int32)
    values = np.concatenate([v for _, v in rows]) if rows else np.zeros(0)
    matrix = sp.csr_matrix((values, columns, indptr), shape=(len(rows), n_features))
    matrix.sum_duplicates()
    return matrix


@dataclass(frozen=True)
class Rows:
    """One pass over some comments: rows for the linear model and for the campaign memory."""

    model: sp.csr_matrix
    memory: sp.csr_matrix


class Featurizer:
    """Comment → sparse row for the linear model, and → row for the campaign memory. Stateless.

    One pass per comment: the text is folded and masked once; its character n-grams (2-5, inside
    word boundaries) feed the model, and those of 3-5 characters the memory."""

    def __init__(self) -> None:
        self._char_ngrams = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5),
                                              lowercase=False).build_analyzer()

    def _prepare(self, comment: Comment) -> tuple[list[str], list[str], list[str]]:
        folded = fold(comment.text)
        text, url_tokens = masked(folded)
        text = _DIGITS.sub("0", text)
        words = _WORD.findall(text)
        tokens = words + [f"{a}_{b}" for a, b in itertools.pairwise(words)]
        meta = url_tokens + meta_tokens(comment, folded, text, url_tokens)
        return self._char_ngrams(text), tokens, self._quoted(comment, meta)

    def _quoted(self, comment: Comment, meta: list[str]) -> list[str]:
        """A comment that quotes another text (a scam it warns of, a claim it answers): the meta
        tokens that only the quotation gives it (a link, a phone number, "DM me") are marked
        ``q_``, so that they weigh as what the commenter quotes, not what the commenter offers."""
        quotes = _QUOTED.findall(comment.text[:MAX_FEATURE_CHARS])
        if sum(len(q.split()) for q in quotes) < 3:
            return meta
        _, _, own = self._prepare(dataclasses.replace(comment, text=_QUOTED.sub(" ", comment.text)))
        kept = set(own)
        return [m if m in kept else f"q_{m}" for m in meta] + ["m_quote"]

    def rows(self, comments: list[Comment]) -> Rows:
        model, memory = [], []
        for comment in comments:
            grams, tokens, meta = self._prepare(comment)
            codes = _codes(grams)  # hashed once: the model's n-grams, and the memory's (3-5 characters)
            char_cols, char_values = _hashed(grams, N_CHAR, codes)
            word_cols, word_values = _hashed(tokens, N_WORD)
            meta_cols, meta_values = _flags(meta, N_WORD)
            model.append((np.concatenate([char_cols, word_cols + N_CHAR, meta_cols + N_CHAR]),
                          np.concatenate([char_values, word_values, meta_values])))
            longer = np.fromiter((len(g) >= 3 for g in grams), dtype=bool, count=len(grams))
            memory.append(_hashed([g for g in grams if len(g) >= 3], N_MEMORY, codes[longer]))
        return Rows(_stack(model, N_FEATURES), _stack(memory, N_MEMORY))

    def transform(self, comments: list[Comment]) -> sp.csr_matrix:
        return self.rows(comments).model

    def memory_rows(self, comments: list[Comment]) -> sp.csr_matrix:
        return self.rows(comments).memory
