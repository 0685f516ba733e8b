"""Context cues: the words near a value that say what it is (or what it is not).

Cues are written in their natural spelling and folded like the text they are matched against
(:mod:`leakwarden.text.normalize`), so ``المبنى`` also matches ``المبنی`` or ``المبـــنى``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator

from leakwarden.signals.pii.trie import trie_regex
from leakwarden.text.normalize import normalize


def fold(word: str) -> str:
    return normalize(word).text


#: Arabic proclitics written joined to the next word: wa-, fa-, bi-, li-, ka- and with al-.
_AR_CLITIC = r"(?:وبال|فبال|وال|فال|بال|كال|لل|و|ف|ب|ل|ك)?"
#: Possessive pronoun suffixes: -ha (her), -hu (his), -hum (their), -i (my), -ka (your).
_AR_SUFFIX = r"(?:هما|هم|ها|ه|ي|ك|كم|نا)?"


class Cues:
    """Whole-word cue matching, case-insensitive. Arabic cues also match with a joined proclitic
    (``للاتصال`` for ``اتصال``) or a possessive suffix (``ميلادها`` for ``ميلاد``). Text without
    Arabic script is searched with the Latin cues only, which is cheaper."""

    def __init__(self, words: Iterable[str]) -> None:
        folded = {fold(w) for w in words}
        # Latin cues are matched case-insensitively: one spelling per word in the trie.
        latin = trie_regex({w.lower() for w in folded if not _is_arabic(w)})
        arabic = [w for w in folded if _is_arabic(w)]
        alts = ["(?:" + latin + ")"]
        if arabic:
            alts.append(_AR_CLITIC + "(?:" + trie_regex(arabic) + ")" + _AR_SUFFIX)
        firsts = "".join(sorted({c for w in folded for c in (w[0].lower(), w[0].upper())}
                                | (set("وفبلك") if arabic else set())))  # proclitics
        self.full = re.compile(
            f"(?=[{re.escape(firsts)}])" + r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.IGNORECASE
        )
        latin_firsts = "".join(sorted({c for w in folded if not _is_arabic(w) for c in (w[0].lower(), w[0].upper())}))
        # The first-character check before the look-behind: most positions fail it at once.
        self.latin = re.compile(
            f"(?=[{re.escape(latin_firsts)}])" + r"(?<!\w)(?:" + latin + r")(?!\w)", re.IGNORECASE
        )

    def _pick(self, text: str, pos: int, endpos: int) -> re.Pattern[str]:
        ascii_only = text.isascii() if pos == 0 and endpos >= len(text) else text[pos:endpos].isascii()
        return self.latin if ascii_only else self.full

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self._pick(text, pos, endpos).search(text, pos, endpos)

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        return self._pick(text, pos, endpos).finditer(text, pos, endpos)


def cue_pattern(words: Iterable[str]) -> Cues:
    return Cues(words)


def _is_arabic(word: str) -> bool:
    return "\u0600" <= word[:1] <= "\u06ff"


def last_cue(pattern: Cues, text: str, pos: int, window: int) -> re.Match[str] | None:
    """The cue closest before ``pos`` within ``window`` characters, if any."""
    found = None
    for m in pattern.finditer(text, max(0, pos - window), pos):
        found = m
    return found


def cue_after(pattern: Cues, text: str, pos: int, window: int) -> re.Match[str] | None:
    return pattern.search(text, pos, min(len(text), pos + window))


SSN_CUES = cue_pattern([
    "SSN", "SSNs", "SS#", "SS #", "social", "SSN/TIN", "SS no", "SS number", "SSN#", "social security",
    "social-security",
    "soc sec", "soc. sec.", "social sec", "TIN", "S.S.N.", "S.S.N", "S.S. No.", "S.S. #", "soc. sec. no.",
    "social security no.", "SS No.",
    "الضمان الاجتماعي", "رقم الضمان", "الضمان الإجتماعي", "رقم التأمين الاجتماعي",
])
PARTIAL_CUES = cue_pattern([
    "last four", "last 4", "last-four", "ending in", "ending with", "ends in", "ends with", "last four digits",
    "final four", "last digits", "ending", "ends",
    "آخر أربعة", "اخر اربعة", "آخر ٤", "آخر 4", "الأرقام الأخيرة", "الأربعة الأخيرة", "ينتهي بـ", "ينتهي ب",
    "ينتهي", "المنتهي", "تنتهي",
])
DOB_CUES = cue_pattern([
    "DOB", "D.O.B", "D.O.B.", "b-day", "bday", "b'day", "date of birth", "birth date", "birthdate", "born",
    "born on", "birthday", "b.",
    "تاريخ الميلاد", "تاريخ ميلاد", "تاريخ الولادة", "مواليد", "من مواليد", "المولود", "المولودة", "ولد",
    "ولدت", "وُلد", "وُلدت", "الميلاد", "يوم ميلاده", "عيد ميلاد",
])
#: Words between a birth cue and a date that mean the date is about something else.
DOB_BREAKERS = cue_pattern([
    "joined", "hired", "married", "died", "moved", "graduated", "elected", "appointed", "arrested",
    "since", "until", "registered", "started", "signed", "posted", "updated", "and", "but", "while",
    "انضم", "عين", "تزوج", "توفي", "انتقل", "تخرج", "منذ", "حتى", "سجل", "بدأ", "لكن", "بينما",
])
PHONE_CUES = cue_pattern([
    "phone", "tel", "tel.", "telephone", "mobile", "cell", "cellphone", "call", "text", "whatsapp",
    "contact", "fax", "reach", "ph", "ph.", "mob", "mob.", "hotline",
    "هاتف", "الهاتف", "هاتفه", "هاتفها", "جوال", "الجوال", "جواله", "جوالها", "موبايل", "الموبايل",
    "محمول", "المحمول", "اتصل", "اتصلوا", "اتصال", "واتساب", "واتس", "رقمه", "رقمها", "تليفون", "تلفون",
    "line", "direct line", "landline", "office", "home phone", "mobile no", "ت", "ج", "خلوي", "نقال",
    "تواصل", "التواصل", "رقم التواصل", "رقم الاتصال", "رقم الجوال", "رقم الهاتف", "رقم الموبايل",
])
NOT_PHONE_CUES = cue_pattern([
    "order", "order no", "order number", "invoice", "tracking", "tracking number", "shipment", "parcel",
    "ISBN", "ISSN", "ref", "ref.", "reference", "case", "ticket", "account", "acct", "serial", "SKU",
    "item", "part", "model", "transaction", "receipt", "booking", "confirmation", "PNR", "batch", "lot",
    "policy", "claim", "membership", "member", "customer", "score", "scored", "population", "votes",
    "code", "pin", "dial-in", "passcode", "zip", "zip code", "zip+4", "postal", "postcode", "fips", "EIN",
    "DUNS", "flight", "seat", "gate", "patent", "build", "UPC", "EAN", "version",
    "رقم الطلب", "الطلب", "الرمز", "رمز", "الرحلة", "السجل التجاري",
 "طلب", "فاتورة", "الفاتورة", "الشحنة", "شحنة", "التتبع", "تتبع", "المرجع",
    "مرجع", "القضية", "التذكرة", "الحساب", "الحجز", "الإيصال", "المعاملة", "العضوية",
])
CARD_CUES = cue_pattern([
    "card", "credit card", "debit card", "visa", "mastercard", "amex", "american express", "discover",
    "cc", "card number", "card no", "بطاقة", "البطاقة", "بطاقة ائتمان", "بطاقة الائتمان", "فيزا",
    "ماستركارد", "رقم البطاقة",
])
ID_CUES = cue_pattern([
    "national id", "national ID number", "ID", "ID no", "ID number", "ID #", "identity", "identity number",
    "iqama", "iqama number", "civil id", "civil registry", "national number", "Emirates ID", "EID",
    "NID", "national identification",
    "الهوية", "هوية", "رقم الهوية", "الهوية الوطنية", "هويته", "هويتها", "الإقامة", "إقامة", "رقم الإقامة",
    "السجل المدني", "سجل مدني", "بطاقة الأحوال", "الرقم القومي", "رقم قومي", "الرقم الوطني",
    "بطاقة الرقم القومي", "القومي", "بطاقة الهوية", "الهوية الإماراتية", "رقم الهوية الإماراتية",
    "البطاقة الشخصية", "بطاقته", "بطاقتها",
])
HOME_CUES = cue_pattern([
    "lives at", "living at", "resides at", "home address", "address", "addr", "addr.", "residence",
    "his home", "her home", "their home", "home at", "house at", "apartment at", "located at", "moved to",
    "live at", "find him at", "find her at", "find them at", "staying at", "stays at",
    "يسكن", "تسكن", "يسكن في", "تسكن في", "يقيم", "تقيم", "العنوان", "عنوان", "عنوانه", "عنوانها",
    "عنوان السكن", "منزله", "منزلها", "السكن", "مقر السكن", "العنوان الوطني",
    "ساكن", "ساكنة", "ساكن في", "ساكنة في", "مقيم", "مقيمة", "مقيم في", "مقيمة في", "يعيش", "تعيش", "يعيش في",
    "تعيش في", "عنوان التسليم", "عنوان المنزل", "يقيم في", "تقيم في",
])
