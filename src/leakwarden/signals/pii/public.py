"""Public places and public contact points: found, but no one's private information.

An embassy's address, a ministry's hotline, a toll-free number or ``press@campaign.org`` is found
like any address, phone or e-mail, and then marked ``public``: reported with confidence
:data:`PUBLIC_CONFIDENCE`, left out of the detector's ``labels``, ``unredacted`` and ``dossier``,
so that policies do not treat it as doxxing. The judgment runs once, in :func:`find.find_pii`,
on the findings every recognizer produced:

* an e-mail is public when its local part is a role (``press@``, ``info@``, ``media-relations@``),
  whatever the domain; a named person's address (``jane.doe@state.gov``) stays private;
* a phone number is public when its number type is not a person's line (toll-free, shared-cost,
  universal access or premium-rate: 800/888/877/866 in the US, 800 in SA and AE, 9200 in SA);
* an address or a phone number is public when the words before it, in its own sentence or line,
  introduce a public place or contact point (an office, embassy, ministry, city hall, clinic,
  hospital, school, headquarters, hotline, press or customer-service line...) and no word of a
  private one (lives at, his home, personal, mobile, منزله) comes after that cue; an address whose
  unit is an office (``Office 1204``, ``مكتب 905``) is a workplace. The nearest cue decides: "the
  reporter who covers the ministry lives at ..." is a home address.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from leakwarden.signals.pii.contact import PUBLIC_NUMBER_TYPES
from leakwarden.signals.pii.context import Cues, cue_pattern
from leakwarden.signals.pii.scan import Candidate, Scan

#: The confidence of a public finding: the lowest a default search (min_confidence 0.5) keeps, as
#: for a published sample value.
PUBLIC_CONFIDENCE = 0.5
#: How far before a value its introducing words are looked for (within its sentence or line).
WINDOW = 80

#: Words that introduce a public place or a public contact point.
PUBLIC_CUES = cue_pattern([
    # places
    "office", "offices", "headquarters", "HQ", "head office", "embassy", "consulate", "consular",
    "ministry", "city hall", "town hall", "courthouse", "court", "council", "municipality", "department",
    "agency", "authority", "clinic", "hospital", "medical center", "school", "high school", "university",
    "college", "library", "museum", "community center", "center", "centre", "polling station",
    "polling place", "food bank", "police station", "fire station", "post office", "branch", "bank",
    "hotel", "store", "shop", "restaurant", "pharmacy", "mosque", "church", "stadium", "airport",
    "White House", "Capitol", "parliament", "campaign", "company", "firm", "charity", "foundation",
    "utility", "business", "our address", "visit us",
    # contact points
    "press", "media", "newsroom", "hotline", "helpline", "help line", "help desk", "helpdesk", "toll-free",
    "toll free", "free", "customer service", "customer care", "customer support", "support", "switchboard",
    "front desk", "reception", "reservations", "bookings", "appointments", "call center", "call centre",
    "main line", "information line", "tip line", "unified number", "poison control", "non-emergency",
    "مقر", "المقر", "وزارة", "الوزارة", "سفارة", "السفارة", "قنصلية", "القنصلية", "عيادة", "العيادة",
    "مستشفى", "المستشفى", "بلدية", "البلدية", "أمانة", "الأمانة", "مكتب", "المكتب", "مدرسة", "المدرسة",
    "جامعة", "الجامعة", "مكتبة", "المكتبة", "محكمة", "المحكمة", "فرع", "الفرع", "بنك", "البنك", "مصرف",
    "المصرف", "شركة", "الشركة", "مركز", "المركز", "هيئة", "الهيئة", "مجلس", "المجلس", "إدارة", "الإدارة",
    "حملة", "الحملة", "فندق", "الفندق", "صيدلية", "الصيدلية", "مسجد", "المسجد", "متحف", "المتحف",
    "قسم الشرطة", "الديوان", "النيابة",
    "الخط الساخن", "خط ساخن", "خدمة العملاء", "الرقم المجاني", "رقم مجاني", "مجاني", "المجاني",
    "الدعم الفني", "الاستعلامات", "استعلامات", "مركز الاتصال", "الرقم الموحد", "رقم موحد", "الحجز", "حجز",
    "الإعلامي", "الإعلامية", "الاستفسارات", "الشكاوى", "البلاغات", "الاستقبال",
])
#: Words that make what follows a person's own: a home, a personal line or address.
PRIVATE_CUES = cue_pattern([
    "lives", "live", "living", "lived", "resides", "reside", "residence", "home", "house",
    "apartment", "flat", "stays", "staying", "sleeps", "rents", "moved into", "personal", "private", "own",
    "my", "me", "cell", "cellphone", "mobile", "whatsapp", "wife", "husband", "mother", "father",
    "parents", "family",
    "يسكن", "تسكن", "ساكن", "ساكنة", "يقيم", "تقيم", "مقيم", "مقيمة", "يعيش", "تعيش", "منزل", "المنزل",
    "بيت", "البيت", "سكن", "السكن", "شقته", "شقتها", "عنوانه", "عنوانها", "الشخصي", "الشخصية", "شخصي",
    "الخاص", "الخاصة", "خاص", "جوال", "الجوال", "موبايل", "الموبايل", "محمول", "المحمول", "رقمه", "رقمها",
    "زوجته", "زوجها", "واتساب", "ايميله", "ايميلها", "إيميله", "إيميلها", "بريده", "بريدها",
])
#: The local part of a role address, or its first word (``press.office``, ``media-relations``).
ROLE_MAILBOXES = frozenset({
    "press", "media", "info", "information", "contact", "contactus", "office", "support", "help",
    "helpdesk", "hello", "admin", "administration", "enquiries", "enquiry", "inquiries", "inquiry",
    "communications", "comms", "pr", "newsroom", "news", "webmaster", "sales", "service", "services",
    "customerservice", "customercare", "care", "feedback", "complaints", "hr", "jobs", "careers",
    "recruitment", "consular", "consulate", "embassy", "visa", "visas", "reception", "appointments",
    "bookings", "booking", "reservations", "team", "noreply", "no-reply", "donotreply", "postmaster",
    "abuse", "security", "privacy", "legal", "tips", "tip", "editor", "editors", "letters", "donate",
    "donations", "volunteer", "volunteers", "events", "general", "secretariat", "registrar", "admissions",
    "frontdesk", "billing", "marketing", "partnerships", "membership", "desk", "hotline", "ombudsman",
})
#: Where a sentence or a line ends: the words before it do not introduce what follows.
_BOUNDARY = re.compile(r"[.!?;؛]\s|\n")
#: An address whose unit is an office is a workplace.
_OFFICE_UNIT = cue_pattern(["Office", "Suite", "مكتب", "المكتب"])
_LOCAL_WORDS = re.compile(r"[._+-]")


def mark_public(scan: Scan, found: Sequence[Candidate]) -> list[Candidate]:
    """``found`` (resolved, in text order) with public places and contact points marked public."""
    out: list[Candidate] = []
    for c in found:
        why = _public_reason(scan, c, found) if c.label in ("STREET_ADDRESS", "PHONE", "EMAIL") else None
        if why is None or c.sample:
            out.append(c)
        else:
            out.append(replace(c, public=True, confidence=min(c.confidence, PUBLIC_CONFIDENCE),
                               context=f"{c.context}; public: {why}"))
    return out


def _public_reason(scan: Scan, c: Candidate, found: Sequence[Candidate]) -> str | None:
    text = scan.text
    if c.label == "EMAIL":
        return _role_mailbox(text[c.start : c.end])
    if c.label == "PHONE":
        kind = _number_type(c.context)
        if kind:
            return f"{kind} number"
    elif _OFFICE_UNIT.search(text, c.start, c.end):
        return "an office address"
    return _introduced_as_public(text, c, found)


def _role_mailbox(address: str) -> str | None:
    local = address.split("@", 1)[0].lower()
    if local in ROLE_MAILBOXES or _LOCAL_WORDS.split(local, 1)[0] in ROLE_MAILBOXES:
        return "role mailbox"
    return None


def _number_type(context: str) -> str | None:
    """The public number type the phone recognizer named in the context (``valid US toll-free number``)."""
    return next((kind for kind in PUBLIC_NUMBER_TYPES.values() if f" {kind} number" in context), None)


def _introduced_as_public(text: str, c: Candidate, found: Sequence[Candidate]) -> str | None:
    """The nearest cue before the value, in its sentence or line and outside other findings, when
    that cue is a public one."""
    ws = max(0, c.start - WINDOW)
    for m in _BOUNDARY.finditer(text, ws, c.start):
        ws = m.end()
    others = [(o.start, o.end) for o in found if o is not c and o.start < c.start and o.end > ws]

    def last(pattern: Cues) -> re.Match[str] | None:
        hit = None
        for m in pattern.finditer(text, ws, c.start):
            if not any(s < m.end() and m.start() < e for s, e in others):
                hit = m
        return hit

    public = last(PUBLIC_CUES)
    if public is None:
        return None
    private = last(PRIVATE_CUES)
    if private is not None and private.start() >= public.end():
        return None
    return f"introduced as {public[0]!r}"
