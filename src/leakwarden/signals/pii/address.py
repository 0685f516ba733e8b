"""Street addresses: US style, and the Saudi, Egyptian and Emirati styles, in English and Arabic.

An address is a run of address components (a street line, a building or unit, a district, a
city with its postal code, a Saudi additional number or a Makani number) separated by commas or
spaces. A run counts when it has a number and a street or building component, plus at least one
more component, or when a home-address cue introduces it. A US street line ("1600 Pennsylvania
Ave NW") counts on its own when it ends in a state and ZIP code, or when usaddress parses it as
a street address.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import usaddress

from leakwarden.signals.pii import context as cues
from leakwarden.signals.pii.context import fold
from leakwarden.signals.pii.scan import Candidate, Scan
from leakwarden.signals.pii.trie import trie_regex


def _alts(words: str | list[str], *, folded: bool = True) -> str:
    items = words.split("|") if isinstance(words, str) else words
    return "|".join(re.escape(fold(w) if folded else w) for w in sorted(set(items), key=len, reverse=True))


_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|"
    "OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|Alabama|Alaska|Arizona|Arkansas|California|Colorado|"
    "Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|"
    "Maryland|Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|"
    "New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|"
    "Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|"
    "West Virginia|Wisconsin|Wyoming"
)
_SUFFIX = (
    "Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|"
    "Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Alley|Loop|Row|Pike|Path|Crescent|Plaza|"
    "Corniche|Hills|Run|Point|Pt"
)
_NAME = r"(?:[A-Z][a-zA-Z'’.-]*|\d{1,3}(?:st|nd|rd|th)|al|el|bin|ibn|of)"
_DIR = r"(?:North|South|East|West|NE|NW|SE|SW|N|S|E|W)\.?"
_UNIT = r"(?:,?\s*(?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Rm|Room|#)\.?\s*#?\s*[A-Za-z0-9-]{1,6})"
_US_LINE = (
    rf"\d(?<![\w-]\d)\d{{0,5}}[A-Z]?(?:-\d{{1,4}})?\s+(?:{_DIR}\s+)?(?:{_NAME}\s+){{1,4}}?(?:{_SUFFIX})\.?"
    rf"(?:\s+{_DIR}(?![a-z]))?{_UNIT}?"
)
_US_TAIL = rf",?\s+(?:[A-Z][a-zA-Z.'-]+\s){{0,3}}[A-Z][a-zA-Z.'-]+,\s*(?:{_US_STATES})\.?(?:\s+\d{{5}}(?:-\d{{4}})?)?"

_CITIES_EN = (
    "Riyadh|Jeddah|Jedda|Mecca|Makkah|Medina|Madinah|Al Madinah|Dammam|Khobar|Al Khobar|Dhahran|Taif|Tabuk|"
    "Abha|Buraidah|Jubail|Yanbu|Dubai|Abu Dhabi|Sharjah|Ajman|Al Ain|Fujairah|Ras Al Khaimah|Umm Al Quwain|"
    "Cairo|New Cairo|Giza|Alexandria|Mansoura|Tanta|Aswan|Luxor|Port Said|Suez|Ismailia|Zagazig|Asyut|"
    "Assiut|Hurghada|Sharm El Sheikh|Dokki|Zamalek|Maadi|Heliopolis|Nasr City|Mohandessin|Garden City|"
    "Sheikh Zayed|6th of October|6th of October City|Deira|Bur Dubai|Dubai Marina|Business Bay|Al Barsha|"
    "Jumeirah|Jumeirah 1|Jumeirah 2|Jumeirah 3|Al Nahda|Al Khalidiyah|Khalifa City|Al Reem Island|Olaya|"
    "Al Olaya|Al Malaz"
)
_COUNTRIES_EN = "Saudi Arabia|KSA|UAE|U.A.E.|United Arab Emirates|Egypt|USA|U.S.A.|United States"
_EN = [
    ("building", r"(?:Building|Bldg|Villa|Flat|Apartment|Apt|House|Office|Unit|Floor)\.?\s*"
                 r"(?:No\.?|Number|#)?\s*:?\s*\d{1,5}[A-Z]?(?![0-9])"),
    ("street", rf"(?:\d{{1,5}}[A-Z]?\s+)?(?:{_NAME}\s+){{0,6}}?(?:Street|St|Road|Rd|Avenue|Ave)\.?"
               r"(?:\s+\d{1,4}(?!\d))?"),
    ("street", r"(?:Street|St\.?|Road|Rd\.?)\s+(?:No\.?\s*)?\d{1,4}(?!\d)"),
    ("district", rf"(?:{_NAME}\s+){{1,3}}(?:District|Dist\.?|Neighbou?rhood|Quarter|Area)"),
    ("district", r"(?:District|Area|Block|Zone)\s+\d{1,3}(?!\d)"),
    ("tower", rf"(?:{_NAME}\s+){{1,3}}(?:Tower|Towers|Residence|Residences|Building|Compound|Mall)"),
    ("city", rf"(?:{_alts(_CITIES_EN, folded=False)})(?:\s+\d{{5}}(?:-\d{{4}})?(?!\d))?"),
    ("country", rf"(?:{_alts(_COUNTRIES_EN, folded=False)})"),
    ("number", r"(?:Additional\s+(?:No\.?|Number)|Postal\s+Code|P\.?\s?O\.?\s+Box|Makani(?:\s+No\.?)?)"
               r"\s*:?\s*\d{4,5}(?:\s?\d{5})?(?!\d)"),
    ("short", r"[A-Z]{4}\d{4}"),
]

_W = r"[\u0621-\u064a]+"
# Words that end a street or district name: prepositions and the like, and the words that start
# the next component ("شارع التحلية حي العليا" is a street and a district).
_STOP = _alts("في|منذ|مع|من|الى|إلى|على|عند|حيث|قرب|بجوار|خلف|امام|أمام|و|او|أو|ثم|كان|كانت|هو|هي|يوم|بعد|قبل|"
              "حي|الحي|منطقة|ضاحية|مبنى|عمارة|فيلا|شقة|شارع|طريق|ش|برج|الدور|الطابق")
_WORD = rf"(?:(?!(?:{_STOP})(?!\w)){_W}|\d{{1,3}}(?!\d))"
_CITIES_AR = (
    "الرياض|جدة|مكة المكرمة|مكة|المدينة المنورة|الدمام|الخبر|الظهران|الطائف|تبوك|أبها|بريدة|الجبيل|ينبع|"
    "دبي|أبوظبي|أبو ظبي|الشارقة|عجمان|العين|الفجيرة|رأس الخيمة|أم القيوين|القاهرة|القاهرة الجديدة|الجيزة|"
    "الإسكندرية|المنصورة|طنطا|أسوان|الأقصر|بورسعيد|السويس|الإسماعيلية|الزقازيق|أسيوط|الغردقة|الدقي|"
    "الزمالك|المعادي|مصر الجديدة|مدينة نصر|المهندسين|جاردن سيتي|التجمع الخامس|الشيخ زايد|السادس من أكتوبر|"
    "6 أكتوبر|ديرة|بر دبي|دبي مارينا|الخليج التجاري|البرشاء|جميرا|الجميرا|النهضة|الخالدية|مدينة خليفة|"
    "جزيرة الريم|العليا|الملز|النخيل|الروضة|الصفا|السلامة|الحمراء|المروج|الياسمين"
)
_COUNTRIES_AR = (
    "السعودية|المملكة العربية السعودية|الإمارات|الإمارات العربية المتحدة|مصر|جمهورية مصر العربية"
)
_AR_BUILDING = (
    "رقم المبنى|المبنى رقم|مبنى رقم|مبنى|المبنى|عمارة رقم|عمارة|العمارة|فيلا رقم|فيلا|الفيلا|شقة رقم|شقة|الشقة|"
    "منزل رقم|منزل|بيت رقم|بيت|برج|مكتب رقم|مكتب"
)
#: Street words; "ش" is the Egyptian abbreviation of شارع ("12 ش التحرير"), a word on its own.
_AR_STREET = "شارع|ش.|ش|طريق|الطريق|ممر|سكة|زقاق|جادة|محور"
_AR_NUMBER = "الرقم الإضافي|رقم إضافي|الرمز البريدي|رمز بريدي|صندوق بريد|ص.ب.|ص.ب|ص ب|مكاني|رقم مكاني"
_AR = [
    ("building", rf"(?:{_alts(_AR_BUILDING)})\s*:?\s*(?:رقم\s*)?\d{{1,5}}(?!\d)"),
    ("building", rf"(?:{_alts('الدور|الطابق')})\s+(?:\d{{1,2}}|{_W})"),
    ("street", rf"(?:\d{{1,5}}\s+)?(?:{_alts(_AR_STREET)})(?:(?<=\.)|(?!\w))\s*(?:رقم\s*)?"
               rf"(?:\d{{1,4}}(?:\s+{_WORD}){{0,2}}|{_WORD}(?:\s+{_WORD}){{0,3}})"),
    ("district", rf"(?:{_alts('حي|الحي|منطقة|ضاحية|المنطقة')})\s+(?:{_WORD})(?:\s+{_WORD}){{0,2}}"),
    # A tower or compound by name ("برج الخليج"); with a number it is a building ("برج 5").
    ("tower", rf"(?:{_alts('برج|البرج|أبراج|مجمع|مجمّع')})\s+{_WORD}(?:[ \t]+{_WORD}){{0,2}}"),
    ("city", rf"(?:{_alts(_CITIES_AR)})(?!\w)(?:\s+\d{{1,2}}(?!\d))?(?:\s*\d{{5}}(?:-\d{{4}})?(?!\d))?"),
    ("country", rf"(?:{_alts(_COUNTRIES_AR)})(?!\w)"),
    ("number", rf"(?:{_alts(_AR_NUMBER)})\s*:?\s*\d{{4,5}}(?:\s?\d{{5}})?(?!\d)"),
]

# Components start a word with a digit, a capital or an Arabic letter: checking that first makes
# the scan skip most positions of ordinary text cheaply.
def _component_pattern(parts: list[tuple[str, str]], first: str, offset: int) -> re.Pattern[str]:
    alts = "|".join(f"(?P<{kind}{offset + i}>{rx})" for i, (kind, rx) in enumerate(parts))
    return re.compile(rf"(?=[{first}])(?<![\w])(?:{alts})")


# Components start a word with a digit, a capital or an Arabic letter: checking that first lets the
# scan skip most positions of ordinary text cheaply. Arabic components are looked for only in
# text with Arabic script.
_COMPONENTS_EN = _component_pattern(_EN, "0-9A-Z", 0)
_COMPONENTS_AR = _component_pattern(_AR, "0-9\u0621-\u064a", len(_EN))
_KIND = {f"{kind}{i}": kind for i, (kind, _) in enumerate(_EN + _AR)}
_US = re.compile(rf"(?P<line>{_US_LINE})(?P<tail>{_US_TAIL})?(?![a-z])")
# Written carelessly: any case, no commas, but ending in a state and a ZIP code.
_US_LOOSE = re.compile(
    rf"\d(?<![\w-]\d)\d{{0,5}}\s+(?:{_DIR}\s+)?(?:[a-z0-9'.-]+\s+){{1,4}}?(?:{_SUFFIX})\.?(?:\s+{_DIR})?"
    rf"(?:,?\s*(?:apt|apartment|suite|ste|unit|#)\.?\s*#?\s*[a-z0-9-]{{1,6}})?,?"
    rf"(?:\s+[a-z.'-]+){{1,3}},?\s+(?:{_US_STATES})\.?,?\s+\d{{5}}(?:-\d{{4}})?(?![\w-])",
    re.IGNORECASE,
)
_GAP = re.compile(r"[\s,،\-–]{0,4}")
#: A name that no component pattern knows (a district written without "District": "Hittin",
#: "العجوزة"), set off by commas between two components: part of the address, not its end.
_BRIDGE = re.compile(
    r"[ \t]*[,،][ \t]*(?:(?:[A-Z][a-zA-Z'’-]*|al|el|bin|ibn)(?:[ \t]+(?:[A-Z][a-zA-Z'’-]*|al|el|bin|ibn|of)){0,3}"
    rf"|(?:(?!(?:{_STOP})(?!\w)){_W})(?:[ \t]+(?:(?!(?:{_STOP})(?!\w)){_W})){{0,2}})[ \t]*[,،][ \t]*"
)
_YEARLIKE = re.compile(r"(?:19|20)\d\d\s")


def _components(text: str, arabic: bool, ws: int, we: int) -> list[tuple[int, int, str]]:
    found = [(m.start(), m.end(), _KIND[m.lastgroup or ""]) for m in _COMPONENTS_EN.finditer(text, ws, we)]
    if arabic:
        found.extend((m.start(), m.end(), _KIND[m.lastgroup or ""]) for m in _COMPONENTS_AR.finditer(text, ws, we))
        found.sort()
        kept: list[tuple[int, int, str]] = []
        for comp in found:
            if not kept or comp[0] >= kept[-1][1]:
                kept.append(comp)
        found = kept
    return found


def _looks_like_us_street(line: str) -> bool:
    """usaddress's verdict on a street line: a CRF parse, the costliest step here, so it is run
    only on lines the street pattern already matched, once per line per text."""
    try:
        _, kind = usaddress.tag(line)
    except usaddress.RepeatedLabelError:
        return False
    return bool(kind == "Street Address")


#: usaddress parses per text at most: a long document full of street-like lines costs a bounded
#: amount. Beyond it a line without a cue is kept at a lower confidence, unparsed.
PARSE_BUDGET = 64

# Written carelessly after a strong cue ("lives at", "home address:"): any case, no commas, no ZIP
# code; a city and a state may follow. Tried only right after a cue.
_US_CUED = re.compile(
    rf"\d(?<![\w-]\d)\d{{0,5}}\s+(?:{_DIR}\s+)?(?:[a-z0-9'.-]+\s+){{0,3}}?[a-z0-9'.-]+\s+(?:{_SUFFIX})\.?"
    rf"(?:\s+{_DIR})?(?![\w-])"
    rf"(?:,?\s*(?:apt|apartment|suite|ste|unit|\#)\.?\s*\#?\s*[a-z0-9-]{{1,6}}(?![\w-]))?"
    rf"(?P<tail>(?P<comma>,)?(?:\s+[a-z.'-]+){{1,3}}(?P<comma2>,)?\s+(?P<state>{_US_STATES})\.?(?![\w-]))?",
    re.IGNORECASE,
)
#: Two-letter states that are also common English words: after a comma-less city they need the
#: line to end there to count as a state.
_STATE_WORDS = frozenset({"or", "in", "me", "hi", "oh", "ok", "la", "de", "al", "co", "ma", "pa", "id", "ne", "mo"})
#: Between a home cue and the address it introduces: spaces, a colon or comma, "in" (في).
_RIGHT_AFTER = re.compile(r"[\s:,\-]*(?:في\s+|in\s+)?")
_CUE_GAP = re.compile(r"[\s:,\-]*")
_LINE_END = re.compile(r"\s*(?:$|[\n.,;!?)])")


#: Every run of address components that can count has a street, building or postal-number
#: component, and each of those starts with or ends in one of these words (capitalized, as the
#: component patterns are), or is a Saudi short address. Only the text within reach of them is
#: scanned for components: texts without any skip the scan, and long documents scan a small part.
_LATIN_ANCHORS = [
    "Street", "St", "Road", "Rd", "Avenue", "Ave", "Building", "Bldg", "Villa", "Flat", "Apartment", "Apt",
    "House", "Office", "Unit", "Floor", "Additional", "Postal", "Box", "Makani",
]
_ARABIC_ANCHORS = {fold(w) for w in (*_AR_BUILDING.split("|"), *_AR_STREET.split("|"), "الدور", "الطابق", "إضافي",
                                     "بريد", "ص.ب", "ص ب", "مكاني") if w != "ش"}
_ANCHORS_EN = re.compile("(?:" + trie_regex(_LATIN_ANCHORS) + ")(?![a-z])")  # begins a word: checked after
_ANCHORS_AR = re.compile(trie_regex(_ARABIC_ANCHORS) + r"|(?<!\w)ش(?!\w)")
#: How far from an anchor word an address may reach.
_REACH = 300
#: A five-digit run: the ZIP code that a carelessly written US address (_US_LOOSE) ends with.
_ZIP = re.compile(r"\d(?<!\d\d)\d{4}(?!\d)")
_SHORT_ADDRESS = re.compile(r"[A-Z]{4}\d{4}")


def street_address(scan: Scan) -> Iterator[Candidate]:
    text = scan.text
    if not scan.has_digits and not (scan.has_arabic and cues.HOME_CUES.search(text)):
        return  # without a number, only a cued run of Arabic components can be an address
    spans: list[tuple[int, int, float, str]] = []
    if "US" in scan.regions and scan.has_digits:
        # The US street pattern starts with a digit, so the regex engine skips through a whole
        # text quickly; usaddress runs only on the lines it matches.
        spans.extend(_us_streets(text))
        if 5 in scan.runs:
            # Any case, no commas, but a state and a ZIP code: looked for only before 5-digit runs.
            for ws, we in _merge([m.end() for m in _ZIP.finditer(text)], 160, 6, len(text)):
                for m in _US_LOOSE.finditer(text, ws, we):
                    spans.append((m.start(), m.end(), 0.9, "US street, state, ZIP"))
        spans.extend(_us_after_cue(scan))
    comps: list[tuple[int, int, str]] = []
    for ws, we in _windows(scan):
        comps.extend(_components(text, scan.has_arabic, ws, we))
    i = 0
    while i < len(comps):
        j = i
        while j + 1 < len(comps) and (_GAP.fullmatch(text, comps[j][1], comps[j + 1][0])
                                       or _BRIDGE.fullmatch(text, comps[j][1], comps[j + 1][0])):
            j += 1
        run = comps[i : j + 1]
        i = j + 1
        kinds = [k for _, _, k in run]
        start, end = run[0][0], run[-1][1]
        has_number = any(ch.isdigit() for ch in text[start:end])
        anchored = any(k in ("street", "building", "number", "short") for k in kinds)
        home = cues.last_cue(cues.HOME_CUES, text, start, 40)
        placed = len(set(kinds)) >= 2 and anchored
        if has_number and placed and (len(run) >= 3 or home or "city" in kinds or "number" in kinds):
            conf = 0.95 if len(run) >= 3 else 0.85
        elif has_number and home and anchored:
            conf = 0.75
        elif placed and home and _RIGHT_AFTER.fullmatch(text, home.end(), start):
            conf = 0.8  # "يسكن في شارع التحلية، حي العليا": no number, but a cue and two components
        else:
            continue
        spans.append((start, end, conf, "address: " + "+".join(dict.fromkeys(kinds))))
    for start, end, conf, why in spans:
        yield Candidate("STREET_ADDRESS", start, end, conf, why)


def _windows(scan: Scan) -> list[tuple[int, int]]:
    """The stretches of text within reach of an anchor word, merged; none when there is no anchor."""
    text = scan.text
    spots = [m.start() for m in _ANCHORS_EN.finditer(text) if not text[m.start() - 1 : m.start()].isalpha()]
    spots.extend(m.start() for m in _SHORT_ADDRESS.finditer(text))
    if scan.has_arabic:
        spots.extend(m.start() for m in _ANCHORS_AR.finditer(text))
    return _merge(spots, _REACH, _REACH, len(text))


def _merge(spots: list[int], before: int, after: int, size: int) -> list[tuple[int, int]]:
    windows: list[tuple[int, int]] = []
    for spot in sorted(spots):
        ws, we = max(0, spot - before), min(size, spot + after)
        if windows and ws <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(we, windows[-1][1]))
        else:
            windows.append((ws, we))
    return windows


def _us_streets(text: str) -> Iterator[tuple[int, int, float, str]]:
    """US street lines: with a city and state, or on their own when usaddress agrees (at most
    PARSE_BUDGET new lines parsed per text)."""
    budget = PARSE_BUDGET
    parsed: dict[str, bool] = {}  # per text, so that a long document repeating a line parses it once
    for m in _US.finditer(text):
        home = cues.last_cue(cues.HOME_CUES, text, m.start(), 40)
        if m["tail"]:
            yield m.start(), m.end(), 0.95, "US street, city, state"
        elif home or not _YEARLIKE.match(m["line"]):
            line = m["line"]
            if line not in parsed:
                if budget <= 0:
                    yield m.start(), m.end(), 0.6, "US street (parse budget spent)"
                    continue
                budget -= 1
                parsed[line] = _looks_like_us_street(line)
            if parsed[line]:
                yield m.start(), m.end(), (0.9 if home else 0.75), "US street (usaddress)"


#: Every Latin home cue contains one of these: where none is, there is no cue to look for.
_HOME_HINT = re.compile("live|resid|home|addr|find|stay|house|apartment|located|moved")


def _home_cues(scan: Scan) -> Iterator[re.Match[str]]:
    text, low = scan.text, scan.lower
    if scan.has_arabic or len(low) != len(text):
        yield from cues.HOME_CUES.finditer(text)
        return
    for ws, we in _merge([m.start() for m in _HOME_HINT.finditer(low)], 15, 30, len(text)):
        yield from cues.HOME_CUES.finditer(text, ws, we)


def _us_after_cue(scan: Scan) -> Iterator[tuple[int, int, float, str]]:
    """A US street line written in any case right after a strong home-address cue."""
    text = scan.text
    for cue in _home_cues(scan):
        pos = _CUE_GAP.match(text, cue.end()).end()  # type: ignore[union-attr]
        if pos >= len(text) or not text[pos].isdigit():
            continue
        m = _US_CUED.match(text, pos)
        if m is None:
            continue
        end = m.end()
        if m["tail"]:
            state = m["state"].lower()
            # "portland or lol" is a city and a state; "oak st or near the park" is not.
            if state in _STATE_WORDS and not (m["comma2"] or _LINE_END.match(text, end)):
                end = m.start("tail")
        yield m.start(), end, 0.85, f"keyword: {cue[0]} + US street"
