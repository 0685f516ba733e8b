"""Doxxing is not spam: a comment that exposes a person's private information is read by the
private-information detector (``signals.pii``) and the policy, never as spam.

A spam model sees a phone number, an address and an urgent tone, and doxxing has all three. So when
the model's probability reaches the review band, the text is searched for a person's private
information (:func:`~leakwarden.signals.pii.find_pii`; published samples and public contact points
do not count):

* a home address, a date of birth, a government ID number or a card number: always;
* a phone number: only when the text says it is someone else's ("his number", "call her",
  "رقمه", "جوالها") and asks no one to get in touch ("WhatsApp", "للتواصل"): a testimonial that
  gives "his WhatsApp" is how contact-bait spam works. Such a comment (``PHONE_ONLY``) is still
  not called spam, but it is not cleared either: a policy does not act on a lone phone number, and
  "whoever wants his number, here it is" is a testimonial's bait in doxxing's words, so the
  detector marks it for review (a person tells them apart).

The search runs only on the comments the model doubts or flags, so a plain comment pays nothing.
"""

from __future__ import annotations

import re

from leakwarden.signals.pii import find_pii
from leakwarden.signals.pii.finding import ID_LABELS
from leakwarden.signals.spam.features import asks_contact

#: Labels that are a person's, whatever the text around them says.
PERSONAL_LABELS = frozenset({"STREET_ADDRESS", "DATE_OF_BIRTH", "CREDIT_CARD", *ID_LABELS})
#: the label of a phone number that the text says is someone else's (and nothing more personal)
PHONE_ONLY = "PHONE"

_THIRD_PERSON_PHONE = re.compile(
    r"\b(?:his|her|their)\s+(?:(?:personal|private|home|mobile|cell|work)\s+)?(?:phone|number|cell|mobile|"
    r"whatsapp|digits)\b|\b(?:call|text|ring|phone|message)\s+(?:him|her|them)\b|"
    r"(?:رقمه|رقمها|رقمهم|جواله|جوالها|هاتفه|هاتفها|موبايله|موبايلها|تلفونه|تلفونها|تليفونه|تليفونها|"
    r"اتصلوا\s+عليه|اتصلوا\s+عليها|كلموه|كلموها)",
    re.IGNORECASE)


def exposed_person(text: str) -> str | None:
    """The label of a person's private information that ``text`` exposes, or None."""
    phone = False
    for finding in find_pii(text):
        if finding.sample or finding.public:
            continue
        if finding.label in PERSONAL_LABELS:
            return finding.label
        phone = phone or finding.label == "PHONE"
    if phone and _THIRD_PERSON_PHONE.search(text) and not asks_contact(text):
        return PHONE_ONLY
    return None
