"""Build the PII evaluation set: bench/data/pii/eval.jsonl (seeded, reproducible).

    .venv/bin/python bench/data/pii/make_eval.py

Each line is ``{"id", "lang", "kind", "text", "spans": [{"label", "start", "end"}]}``. Documents are
assembled from natural sentence templates (posts, classified ads, forum replies, leaked dossiers,
news items, invoices) in English and Arabic, with fictional values that are valid where real ones
are (Luhn, mod 97, numbering plans), plus hard negatives that look like private information and are
not: order and tracking numbers, ZIP codes alone, dates that are not birth dates, fully redacted
values, Luhn-invalid card-like numbers, scores, ISBNs, prices, versions, coordinates.
Arabic documents mix Arabic-Indic and Persian digits, bidi marks (LRM/RLM/ALM) and tatweel.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from stdnum import iban, luhn

HERE = Path(__file__).parent
SEED = 20261122

AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
LRM, RLM, ALM, TATWEEL = "\u200e", "\u200f", "\u061c", "\u0640"

EN_FIRST = ["James", "Maria", "Robert", "Linda", "Michael", "Sarah", "David", "Karen", "Daniel", "Emily",
            "Jose", "Aisha", "Kevin", "Laura", "Brian", "Megan", "Omar", "Rachel", "Tyler", "Grace"]
EN_LAST = ["Whitfield", "Moreno", "Callahan", "Nguyen", "Patterson", "Okafor", "Brennan", "Delgado",
           "Hartley", "Kowalski", "Lindqvist", "Sutton", "Vasquez", "Abernathy", "Castillo", "Reyes"]
AR_NAMES = ["محمد العتيبي", "سارة القحطاني", "أحمد عبد الرحمن", "فاطمة الزهراني", "خالد الشمري", "نورة الدوسري",
            "عمر حسن", "منى إبراهيم", "يوسف المنصوري", "مريم الكعبي", "طارق السيد", "هدى مصطفى",
            "عبدالله الحربي", "ريم النعيمي", "حسام عبد العزيز", "ليلى فؤاد"]
US_STREETS = ["Maple", "Oak", "Pine", "Cedar", "Elm", "Washington", "Lincoln", "Jefferson", "Lakeview",
              "Hillcrest", "Sunset", "Park", "Madison", "Franklin", "Highland", "Riverside", "Willow",
              "Chestnut", "Magnolia", "Prospect", "Fairview", "Jackson", "Spring Valley", "Old Mill"]
US_SUFFIX = ["Street", "St", "Avenue", "Ave", "Road", "Rd", "Boulevard", "Blvd", "Lane", "Ln", "Drive",
             "Dr", "Court", "Ct", "Way", "Place", "Terrace", "Circle"]
US_CITIES = [("Springfield", "IL", "627"), ("Austin", "TX", "787"), ("Columbus", "OH", "432"),
             ("Portland", "OR", "972"), ("Arlington", "VA", "222"), ("Madison", "WI", "537"),
             ("Raleigh", "NC", "276"), ("Tucson", "AZ", "857"), ("Albany", "NY", "122"),
             ("Boise", "ID", "837"), ("Denver", "CO", "802"), ("Silver Spring", "MD", "209"),
             ("Des Moines", "Iowa", "503"), ("Sacramento", "California", "958")]
SA_STREETS_EN = ["King Fahd Road", "Prince Sultan Street", "Al Takhassusi Street", "King Abdulaziz Road",
                 "Olaya Street", "Prince Mohammed bin Abdulaziz Road", "Al Madinah Road", "Tahlia Street"]
SA_STREETS_AR = ["طريق الملك فهد", "شارع الأمير سلطان", "شارع التخصصي", "طريق الملك عبدالعزيز", "شارع العليا",
                 "طريق الأمير محمد بن عبدالعزيز", "طريق المدينة", "شارع التحلية"]
SA_DISTRICTS_EN = ["Al Olaya District", "Al Rawdah District", "Al Malaz District", "Al Nakheel District",
                   "Al Safa District", "Al Hamra District", "Al Yasmin District"]
SA_DISTRICTS_AR = ["حي العليا", "حي الروضة", "حي الملز", "حي النخيل", "حي الصفا", "حي الحمراء", "حي الياسمين",
                   "حي السلامة"]
SA_CITIES = [("Riyadh", "الرياض", "1"), ("Jeddah", "جدة", "2"), ("Dammam", "الدمام", "3"),
             ("Mecca", "مكة المكرمة", "2"), ("Khobar", "الخبر", "3")]
EG_STREETS_EN = ["Tahrir Street", "26 July Street", "Mohamed Farid Street", "Gameat El Dewal Street",
                 "Abbas El Akkad Street", "Mostafa El Nahhas Street", "Road 9", "El Haram Street"]
EG_STREETS_AR = ["شارع التحرير", "شارع ٢٦ يوليو", "شارع محمد فريد", "شارع جامعة الدول العربية",
                 "شارع عباس العقاد", "شارع مصطفى النحاس", "شارع ٩", "شارع الهرم"]
EG_AREAS = [("Dokki", "الدقي", "Giza", "الجيزة"), ("Zamalek", "الزمالك", "Cairo", "القاهرة"),
            ("Maadi", "المعادي", "Cairo", "القاهرة"), ("Nasr City", "مدينة نصر", "Cairo", "القاهرة"),
            ("Heliopolis", "مصر الجديدة", "Cairo", "القاهرة"), ("Mohandessin", "المهندسين", "Giza", "الجيزة")]
AE_AREAS = [("Jumeirah 1", "الجميرا ١", "Dubai", "دبي"), ("Al Barsha", "البرشاء", "Dubai", "دبي"),
            ("Al Nahda", "النهضة", "Sharjah", "الشارقة"), ("Al Khalidiyah", "الخالدية", "Abu Dhabi", "أبوظبي"),
            ("Deira", "ديرة", "Dubai", "دبي"), ("Khalifa City", "مدينة خليفة", "Abu Dhabi", "أبوظبي")]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "proton.me", "hotmail.com", "icloud.com",
           "mail.example.org", "campaign-hq.org", "newsroom.net", "uni.edu.eg", "company.com.sa"]
EN_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December"]
AR_MONTHS = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر",
             "نوفمبر", "ديسمبر"]
EG_GOV = ["01", "02", "12", "13", "16", "21", "24", "25", "88"]


class Gen:
    """Fictional values. Every generator returns the value as it appears in text."""

    def __init__(self, rnd: random.Random) -> None:
        self.r = rnd

    def d(self, n: int) -> str:
        return "".join(self.r.choice("0123456789") for _ in range(n))

    def ssn(self) -> str:
        area = self.r.choice([a for a in range(1, 900) if a != 666])
        a, g, s = f"{area:03d}", f"{self.r.randint(1, 99):02d}", f"{self.r.randint(1, 9999):04d}"
        return self.r.choice([f"{a}-{g}-{s}"] * 5 + [f"{a} {g} {s}"])

    def last4(self) -> str:
        return f"{self.r.randint(1, 9999):04d}"

    def masked_ssn(self) -> str:
        return self.r.choice(["XXX-XX-{}", "***-**-{}", "xxx-xx-{}", "XXX XX {}", "###-##-{}"]).format(self.last4())

    def luhn_complete(self, prefix: str, length: int) -> str:
        body = prefix + self.d(length - len(prefix) - 1)
        return body + luhn.calc_check_digit(body)

    def card(self) -> str:
        kind = self.r.choice(["visa", "visa", "mc", "mc2", "amex", "discover"])
        if kind == "amex":
            n = self.luhn_complete(self.r.choice(["34", "37"]), 15)
            sep = self.r.choice([" ", "-", ""])
            return sep.join([n[:4], n[4:10], n[10:]])
        prefix = {"visa": "4", "mc": str(self.r.randint(51, 55)), "mc2": str(self.r.randint(2221, 2720)),
                  "discover": "6011"}[kind]
        n = self.luhn_complete(prefix, 16)
        sep = self.r.choice([" ", " ", "-", ""])
        return sep.join(n[i : i + 4] for i in range(0, 16, 4))

    def bad_card(self) -> str:
        n = self.luhn_complete("4", 16)
        n = n[:-1] + str((int(n[-1]) + self.r.randint(1, 9)) % 10)
        return " ".join(n[i : i + 4] for i in range(0, 16, 4))

    def iban(self) -> str:
        cc, length = self.r.choice([("SA", 24), ("AE", 23), ("EG", 29), ("GB", 22), ("DE", 22)])
        if cc == "GB":
            bban = self.r.choice(["WEST", "BARC", "LOYD"]) + self.d(14)
        elif cc == "SA":
            bban = self.r.choice(["80", "10", "45"]) + self.d(18)
        else:
            bban = self.d(length - 4)
        check = iban.calc_check_digits(cc + "00" + bban)
        value = cc + check + bban
        if self.r.random() < 0.7:
            value = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
        return value

    def phone(self, region: str) -> str:
        r = self.r
        if region == "US":
            a, b, c = f"{r.choice([202, 212, 312, 415, 512, 617, 713, 303, 503])}", f"{r.randint(200, 989)}", self.d(4)
            return r.choice([f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"+1 {a} {b} {c}", f"{a}.{b}.{c}", f"+1-{a}-{b}-{c}"])
        if region == "SA":
            p, x = r.choice(["50", "53", "54", "55", "56", "59"]), self.d(7)
            return r.choice([f"+966 {p} {x[:3]} {x[3:]}", f"0{p} {x[:3]} {x[3:]}", f"0{p}{x}", f"00966{p}{x}",
                             f"+966{p}{x}"])
        if region == "AE":
            p, x = r.choice(["50", "52", "55", "56", "58"]), self.d(7)
            return r.choice([f"+971 {p} {x[:3]} {x[3:]}", f"0{p}-{x[:3]}-{x[3:]}", f"0{p} {x[:3]} {x[3:]}",
                             f"+971-{p}-{x}"])
        p, x = r.choice(["10", "11", "12", "15"]), self.d(8)
        return r.choice([f"+20 {p} {x[:4]} {x[4:]}", f"0{p} {x[:4]} {x[4:]}", f"0{p}{x}", f"+20{p}{x}",
                         f"0{p}-{x[:4]}-{x[4:]}"])

    def email(self, name: str | None = None) -> str:
        first, last = self.r.choice(EN_FIRST).lower(), self.r.choice(EN_LAST).lower()
        local = self.r.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{self.r.randint(1, 99)}",
                               f"{last}_{first}", f"{first}+news"])
        return f"{local}@{self.r.choice(DOMAINS)}"

    def masked_email(self) -> str:
        first = self.r.choice(EN_FIRST).lower()
        return f"{first[0]}{'*' * self.r.randint(3, 6)}@{self.r.choice(DOMAINS)}"

    def birth(self) -> date:
        return date(1950, 1, 1) + timedelta(days=self.r.randint(0, 365 * 52))

    def dob_en(self) -> str:
        b = self.birth()
        return self.r.choice([
            f"{b.month:02d}/{b.day:02d}/{b.year}", f"{b.isoformat()}", f"{EN_MONTHS[b.month - 1]} {b.day}, {b.year}",
            f"{b.day} {EN_MONTHS[b.month - 1]} {b.year}", f"{b.month}/{b.day}/{b.year}",
            f"{EN_MONTHS[b.month - 1][:3]} {b.day}, {b.year}"])

    def dob_ar(self) -> str:
        b = self.birth()
        return self.r.choice([f"{b.day} {AR_MONTHS[b.month - 1]} {b.year}", f"{b.day:02d}/{b.month:02d}/{b.year}",
                              f"{b.year}/{b.month:02d}/{b.day:02d}", f"{b.day} {AR_MONTHS[b.month - 1]} {b.year}م"])

    def other_date(self) -> str:
        d = date(2015, 1, 1) + timedelta(days=self.r.randint(0, 3650))
        return self.r.choice([d.isoformat(), f"{EN_MONTHS[d.month - 1]} {d.day}, {d.year}",
                              f"{d.month}/{d.day}/{d.year}"])

    def sa_id(self) -> str:
        return self.luhn_complete(self.r.choice("12"), 10)

    def eg_id(self) -> str:
        b = self.birth()
        century = "2" if b.year < 2000 else "3"
        return f"{century}{b.year % 100:02d}{b.month:02d}{b.day:02d}{self.r.choice(EG_GOV)}{self.d(5)}"

    def ae_id(self) -> str:
        n = self.luhn_complete(f"784{self.r.randint(1960, 2005)}", 15)
        return self.r.choice([f"{n[:3]}-{n[3:7]}-{n[7:14]}-{n[14]}"] * 3 + [n])

    def us_address(self) -> str:
        r = self.r
        num = str(r.randint(3, 9899))
        street = f"{r.choice(['', '', '', 'N ', 'S ', 'W ', 'E '])}{r.choice(US_STREETS)} {r.choice(US_SUFFIX)}"
        unit = r.choice(["", "", "", f", Apt {r.randint(1, 40)}{r.choice(['', 'B', 'C'])}", f" #{r.randint(2, 900)}",
                         f", Suite {r.randint(100, 900)}"])
        city, state, zip3 = r.choice(US_CITIES)
        tail = r.choice([f", {city}, {state} {zip3}{self.d(2)}", f", {city}, {state} {zip3}{self.d(2)}-{self.d(4)}",
                         f", {city}, {state}", f", {city}, {state} {zip3}{self.d(2)}"])
        return f"{num} {street}{unit}{tail}"

    def sa_address_en(self) -> str:
        r = self.r
        city, _, z = r.choice(SA_CITIES)
        b, add, post = self.d(4).lstrip("0") or "7", self.d(4), z + self.d(4)
        return r.choice([
            f"Building No. {b}, {r.choice(SA_STREETS_EN)}, {r.choice(SA_DISTRICTS_EN)}, {city} {post}, "
            f"Additional No. {add}",
            f"{b} {r.choice(SA_STREETS_EN)}, {r.choice(SA_DISTRICTS_EN)}, {city} {post}-{add}",
            f"{b} {r.choice(SA_STREETS_EN)}, {r.choice(SA_DISTRICTS_EN)}, {city}"])

    def sa_address_ar(self) -> str:
        r = self.r
        _, city, z = r.choice(SA_CITIES)
        b, add, post = self.d(4).lstrip("0") or "7", self.d(4), z + self.d(4)
        return r.choice([
            f"رقم المبنى {b}، {r.choice(SA_STREETS_AR)}، {r.choice(SA_DISTRICTS_AR)}، {city} {post}، "
            f"الرقم الإضافي {add}",
            f"{r.choice(SA_STREETS_AR)}، {r.choice(SA_DISTRICTS_AR)}، مبنى {b}، {city} {post}",
            f"مبنى رقم {b}، {r.choice(SA_DISTRICTS_AR)}، {city}"])

    def eg_address_en(self) -> str:
        r = self.r
        area, _, city, _ = r.choice(EG_AREAS)
        return r.choice([f"{r.randint(1, 120)} {r.choice(EG_STREETS_EN)}, {area}, {city}",
                         f"Building {r.randint(1, 90)}, {r.choice(EG_STREETS_EN)}, {area}, {city}, Egypt",
                         f"Flat {r.randint(1, 30)}, Building {r.randint(1, 90)}, {r.choice(EG_STREETS_EN)}, {area}"])

    def eg_address_ar(self) -> str:
        r = self.r
        _, area, _, city = r.choice(EG_AREAS)
        return r.choice([f"{r.randint(1, 120)} {r.choice(EG_STREETS_AR)}، {area}، {city}",
                         f"عمارة {r.randint(1, 90)}، {r.choice(EG_STREETS_AR)}، {area}، {city}",
                         f"شقة {r.randint(1, 30)}، عمارة {r.randint(1, 90)}، {r.choice(EG_STREETS_AR)}، {area}"])

    def ae_address_en(self) -> str:
        r = self.r
        area, _, city, _ = r.choice(AE_AREAS)
        return r.choice([f"Villa {r.randint(1, 90)}, Street {r.randint(1, 60)}, {area}, {city}",
                         f"Flat {r.randint(101, 3900)}, {r.choice(['Marina', 'Palm', 'Creek', 'Al Noor'])} Tower, "
                         f"{area}, {city}",
                         f"Villa {r.randint(1, 90)}, {area}, {city}, UAE"])

    def ae_address_ar(self) -> str:
        r = self.r
        _, area, _, city = r.choice(AE_AREAS)
        return r.choice([f"فيلا {r.randint(1, 90)}، شارع {r.randint(1, 60)}، {area}، {city}",
                         f"شقة {r.randint(101, 3900)}، برج {r.randint(1, 20)}، {area}، {city}",
                         f"فيلا رقم {r.randint(1, 90)}، {area}، {city}، الإمارات"])

    def dob_short(self) -> str:
        b = self.birth()
        return self.r.choice([f"{b.month}/{b.day}/{b.year % 100:02d}", f"{b.day}/{b.month}/{b.year}",
                              f"{b.day:02d}.{b.month:02d}.{b.year}", f"{b.day}-{b.month}-{b.year}"])

    def hijri(self) -> str:
        y, m, d = self.r.randint(1370, 1425), self.r.randint(1, 12), self.r.randint(1, 29)
        return self.r.choice([f"{y}/{m:02d}/{d:02d}هـ", f"{d:02d}/{m:02d}/{y} هـ"])

    def obfuscated_email(self) -> str:
        first, last = self.r.choice(EN_FIRST).lower(), self.r.choice(EN_LAST).lower()
        dom, tld = self.r.choice([("gmail", "com"), ("proton", "me"), ("yahoo", "com"), ("outlook", "com")])
        return self.r.choice([f"{first}.{last} at {dom} dot {tld}", f"{first}{last}[at]{dom}[dot]{tld}",
                              f"{first} (at) {dom} (dot) {tld}"])

    def phone_spaced(self, region: str = "US") -> str:
        value = self.phone(region)
        digits = re.sub(r"\D", "", value).lstrip("0")
        if region == "US":
            d = digits[-10:]
            return self.r.choice([f"{d[:3]} {d[3:6]} {d[6:]}", f"+1 ({d[:3]}) {d[3:6]}-{d[6:]}",
                                  f"1-{d[:3]}-{d[3:6]}-{d[6:]}"])
        cc = {"SA": "966", "AE": "971", "EG": "20"}[region]
        national = digits[len(cc):] if digits.startswith(cc) else digits.lstrip("0")
        groups = f"{national[:2]} {national[2:5]} {national[5:]}"
        return self.r.choice([f"0{groups}", f"+{cc} {groups}"])

    def phone_compact(self, region: str = "US") -> str:
        digits = re.sub(r"\D", "", self.phone(region)).lstrip("0")
        if region == "US":
            return "+1" + digits[-10:]
        cc = {"SA": "966", "AE": "971", "EG": "20"}[region]
        national = digits[len(cc):] if digits.startswith(cc) else digits.lstrip("0")
        return self.r.choice([f"+{cc}{national}", f"00{cc}{national}"])

    def sa_address_prose(self) -> str:
        _, city, _ = self.r.choice(SA_CITIES)
        street, district = self.r.choice(SA_STREETS_AR), self.r.choice(SA_DISTRICTS_AR)
        return self.r.choice([f"{city}، {district}، {street}، مبنى {self.r.randint(1, 9999)}",
                              f"{district}، {street}، {city}، الرمز البريدي {self.d(5)}"])

    def phone_bare(self, region: str) -> str:
        """A mobile number written as one run of digits with the trunk prefix: 05x (SA, AE), 01x (EG)."""
        if region == "EG":
            return f"01{self.r.choice('0125')}{self.d(8)}"
        p = self.r.choice(["50", "53", "54", "55", "56", "59"] if region == "SA" else ["50", "52", "55", "56", "58"])
        return f"0{p}{self.d(7)}"

    def us_address_loose(self) -> str:
        """A US street address typed carelessly: lower case, no commas, no ZIP code."""
        r = self.r
        city, state, _ = r.choice(US_CITIES)
        street = f"{r.randint(3, 9899)} {r.choice(['', '', 'n ', 'w ', 'e '])}{r.choice(US_STREETS).lower()} " \
                 f"{r.choice(US_SUFFIX).lower()}"
        return r.choice([street, f"{street} {city.lower()}", f"{street} {city.lower()} {state.lower()}",
                         f"{street}, {city.lower()}, {state.lower()}", f"{street} apt {r.randint(1, 40)}"])

    def ar_address_two(self) -> str:
        """Two address components only (street and district, or building and district)."""
        r = self.r
        street = r.choice(SA_STREETS_AR + EG_STREETS_AR)
        district = r.choice(SA_DISTRICTS_AR + [f"حي {a[1]}" for a in EG_AREAS])
        return r.choice([f"{street}، {district}", f"{district}، {street}", f"{district}، مبنى {r.randint(1, 9999)}",
                         f"{street} {district}"])

    def bad_iban(self) -> str:
        """IBAN-shaped, with a wrong check: a hard negative."""
        value = self.iban().replace(" ", "")
        wrong = f"{(int(value[2:4]) + self.r.randint(1, 90)) % 97 + 2:02d}"
        value = value[:2] + wrong + value[4:]
        return " ".join(value[i : i + 4] for i in range(0, len(value), 4))

    # ---- hard negatives (never labelled) ----
    def order(self) -> str:
        return self.r.choice([f"#{self.d(10)}", f"{self.d(4)}-{self.d(4)}-{self.d(4)}", f"A{self.d(8)}",
                              f"{self.d(3)}-{self.d(7)}-{self.d(7)}", self.d(10)])

    def tracking(self) -> str:
        return self.r.choice([f"1Z{self.d(3)}AA{self.d(10)}",
                              f"9400 {self.d(4)} {self.d(4)} {self.d(4)} {self.d(4)} {self.d(2)}",
                              f"RR{self.d(9)}SA", f"{self.d(12)}"])

    def isbn(self) -> str:
        body = "978" + self.d(9)
        total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body))
        n = body + str((10 - total % 10) % 10)
        return self.r.choice([f"978-{n[3]}-{n[4:7]}-{n[7:12]}-{n[12]}", n])

    def zip(self) -> str:
        return f"{self.r.choice(US_CITIES)[2]}{self.d(2)}"


def en_value(g: Gen, name: str) -> tuple[str, str | None]:
    r = g.r
    table: dict[str, Callable[[], tuple[str, str | None]]] = {
        "SSN": lambda: (g.ssn(), "US_SSN"),
        "SSNM": lambda: (g.masked_ssn(), "US_SSN_PARTIAL"),
        "SSN4": lambda: (g.last4(), "US_SSN_PARTIAL"),
        "ADDR": lambda: (r.choice([g.us_address, g.us_address, g.us_address, g.sa_address_en, g.eg_address_en,
                                   g.ae_address_en])(), "STREET_ADDRESS"),
        "USADDR": lambda: (g.us_address(), "STREET_ADDRESS"),
        "PHONE": lambda: (g.phone(r.choice(["US", "US", "US", "SA", "AE", "EG"])), "PHONE"),
        "EMAIL": lambda: (g.email(), "EMAIL"),
        "EMAILM": lambda: (g.masked_email(), "EMAIL"),
        "DOB": lambda: (g.dob_en(), "DATE_OF_BIRTH"),
        "SAID": lambda: (g.sa_id(), "SA_NATIONAL_ID"),
        "EGID": lambda: (g.eg_id(), "EG_NATIONAL_ID"),
        "AEID": lambda: (g.ae_id(), "AE_EMIRATES_ID"),
        "CARD": lambda: (g.card(), "CREDIT_CARD"),
        "IBAN": lambda: (g.iban(), "IBAN"),
        "CARDM": lambda: (r.choice(["**** **** **** ", "XXXX-XXXX-XXXX-", "•••• •••• •••• "]) + g.last4(),
                          "CREDIT_CARD"),
        "ADDRLC": lambda: (g.us_address().lower().replace(",", ""), "STREET_ADDRESS"),
        "DOB2": lambda: (g.dob_short(), "DATE_OF_BIRTH"),
        "OBEMAIL": lambda: (g.obfuscated_email(), "EMAIL"),
        "PHONE2": lambda: (g.phone_spaced(), "PHONE"),
        "PHONE3": lambda: (g.phone_compact(), "PHONE"),
        "IBANC": lambda: (g.iban().replace(" ", ""), "IBAN"),
        "TOLLFREE": lambda: (f"1-800-{r.randint(200, 999)}-{g.d(4)}", "PHONE"),
        "PHONEBARE": lambda: (g.phone_bare(r.choice(["SA", "AE", "EG"])), "PHONE"),
        "BADIBAN": lambda: (g.bad_iban(), None),
        "ZIP4": lambda: (f"{g.zip()}-{g.d(4)}", None),
        "ADDRLCCUE": lambda: (g.us_address_loose(), "STREET_ADDRESS"),
        "STREETONLY": lambda: (f"{r.choice(US_STREETS)} {r.choice(US_SUFFIX)}", None),
        "NAME": lambda: (f"{r.choice(EN_FIRST)} {r.choice(EN_LAST)}", None),
        "FIRST": lambda: (r.choice(EN_FIRST), None),
        "ORDER": lambda: (g.order(), None),
        "TRACK": lambda: (g.tracking(), None),
        "ISBN": lambda: (g.isbn(), None),
        "ZIP": lambda: (g.zip(), None),
        "DATE": lambda: (g.other_date(), None),
        "BADCARD": lambda: (g.bad_card(), None),
        "N": lambda: (str(r.randint(2, 98)), None),
        "BIG": lambda: (f"{r.randint(1, 999)},{g.d(3)},{g.d(3)}", None),
        "PRICE": lambda: (f"{r.randint(1, 9)},{g.d(3)}.{g.d(2)}", None),
        "CITY": lambda: (r.choice(US_CITIES)[0], None),
        "YEAR": lambda: (str(r.randint(1990, 2025)), None),
    }
    return table[name]()


AR_VALUE_EXTRA = {
    "ADDR": lambda g: (g.r.choice([g.sa_address_ar, g.sa_address_ar, g.eg_address_ar, g.ae_address_ar])(),
                       "STREET_ADDRESS"),
    "PHONE": lambda g: (g.phone(g.r.choice(["SA", "SA", "AE", "EG", "EG", "US"])), "PHONE"),
    "DOB": lambda g: (g.dob_ar(), "DATE_OF_BIRTH"),
    "NAME": lambda g: (g.r.choice(AR_NAMES), None),
    "FIRST": lambda g: (g.r.choice(AR_NAMES).split()[0], None),
    "CITY": lambda g: (g.r.choice(["الرياض", "جدة", "دبي", "القاهرة", "الإسكندرية", "أبوظبي"]), None),
    "DOB2": lambda g: (g.dob_short(), "DATE_OF_BIRTH"),
    "HIJRI": lambda g: (g.hijri(), "DATE_OF_BIRTH"),
    "PHONE2": lambda g: (g.phone_spaced(g.r.choice(["SA", "AE", "EG"])), "PHONE"),
    "PHONE3": lambda g: (g.phone_compact(g.r.choice(["SA", "AE", "EG"])), "PHONE"),
    "ADDRPROSE": lambda g: (g.sa_address_prose(), "STREET_ADDRESS"),
    "ADDR2": lambda g: (g.ar_address_two(), "STREET_ADDRESS"),
}

EN_TEMPLATES = [
    # doxxing posts
    "Everyone should know where {NAME} lives: {ADDR}. Go say hi.",
    "found it lol. {NAME}, SSN {SSN}, lives at {ADDR}",
    "Leaked from the campaign files: {NAME} — SSN: {SSNM}, home address {ADDR}, cell {PHONE}.",
    "His social security number is {SSN} and his DOB is {DOB}. Pass it on.",
    "The dossier lists her date of birth as {DOB} and the last four of her SSN as {SSN4}.",
    "SSN (last 4): {SSN4}\nAddress: {ADDR}\nPhone: {PHONE}",
    "Name: {NAME}\nDOB: {DOB}\nSSN: {SSN}\nEmail: {EMAIL}\nHome: {ADDR}",
    "candidate's ssn ends in {SSN4}, wife's cell is {PHONE}, they live at {ADDR}",
    "Per the leaked HR file, SS# {SSN}, born {DOB}, direct line {PHONE}.",
    "Redacted copy circulating: SSN {SSNM}, card {CARD}, IBAN {IBAN}.",
    # everyday posts with contact details
    "Selling my old bike, $120 OBO. Text me at {PHONE} or email {EMAIL}.",
    "For press inquiries contact {EMAIL} or call {PHONE} (weekdays).",
    "Lost dog near {CITY}! If found please call {PHONE}. Reward offered.",
    "New office: {USADDR}. Same phone, {PHONE}.",
    "Happy birthday to my best friend {FIRST}, born {DOB}! 🎉",
    "Reach our support team at {EMAIL}; ticket numbers look like {ORDER}.",
    "Wire the deposit to IBAN {IBAN} (account name {NAME}).",
    "Card on file: {CARD}, exp 09/27. Please don't share this.",
    "Can someone check why my payment with {CARD} failed? Order {ORDER}.",
    "Masked receipt: card {CARDM}, contact {EMAILM}.",
    "My Saudi ID is {SAID} and my iqama expired, any advice?",
    "Egyptian national ID {EGID} was printed on the flyer by mistake.",
    "Emirates ID: {AEID}. Visa stamped last week.",
    "She was born on {DOB} in {CITY} and moved to the coast later.",
    # hard negatives
    "Your order {ORDER} has shipped. Tracking number: {TRACK}.",
    "Invoice {ORDER} — total ${PRICE}. Thanks for your business!",
    "Final score: {N}-{N}. What a game in {CITY} tonight.",
    "The ISBN is {ISBN}, second edition, {YEAR}.",
    "Our new branch opens on {DATE} in ZIP code {ZIP}.",
    "The city has a population of {BIG} according to the {YEAR} census.",
    "SSN: XXX-XX-XXXX (fully redacted by the court).",
    "Card: **** **** **** **** — number withheld.",
    "Test card {BADCARD} fails the checksum, use another.",
    "The bill passed {N}-{N} on {DATE}; the vote count was {BIG}.",
    "Meeting moved to {DATE}. Room {N}, building {N}.",
    "Package {TRACK} delayed in {CITY}. Reference {ORDER}.",
    "Version 2.{N}.{N} released on {DATE}. See ticket {ORDER} for details.",
    "He joined the company on {DATE} and was promoted in {YEAR}.",
    "Coordinates 24.7136, 46.6753; elevation 612 m; ZIP {ZIP}.",
    "Account {ORDER}: balance ${PRICE} as of {DATE}.",
    "Call of Duty tournament: team {N} won {N}-{N}, prize ${PRICE}.",
    "Email addresses have the form name@domain; ours is redacted: ****@****.com.",
    "The court file names the defendant's address as [REDACTED] and SSN as ***-**-****.",
]

# Harder, looser wording: lower case, odd punctuation, forms seen in real posts.
EN_TEMPLATES += [
    "u can find him at {ADDRLC} lol",
    "ssn#: {SSN} dob {DOB2}",
    "Social: {SSN}. Mother's maiden name next.",
    "b-day: {DOB} — don't forget!!",
    "contact {OBEMAIL} for the full file",
    "call {PHONE2} ext. {N} after 5pm",
    "tel:{PHONE3}",
    "She moved to {USADDR} last spring, per the county records.",
    "Ship to: {NAME}, {USADDR}",
    "{CARD} exp {N}/2{N} cvv {N}{N}",
    "IBAN {IBANC} (BIC DEUTDEFF)",
    "DOB: {DOB2} | SSN: {SSNM} | {PHONE}",
    "Mr. {NAME} (born {DOB}) can be reached on {PHONE} or at {EMAIL}.",
    "Reply-To: <{EMAIL}>",
    "Our firm's EIN is 12-3456789 and our DUNS 80-123-4567.",
    "Call 911 in an emergency; poison control is {TOLLFREE}.",
    "Flight UA{N}{N} departs 10:45 from gate B{N}; seat 23A.",
    "Patent US 10,{N}{N}5,456 B2 and CVE-2024-3094 were discussed.",
    "UPC 036000291452, SKU 400-{N}{N}12-5678, lot {ORDER}.",
    "The ZIP+4 for the office is {ZIP}-0003 and the county FIPS is 11001.",
    "Windows 10 build 19045.{N}{N}{N}; error code 0x80070005.",
    "Her last post was on {DATE} and she turned {N} on her birthday last week.",
    "Born in {YEAR}, he graduated in {YEAR} and married on {DATE}.",
    "I live on {STREETONLY}, near the park. No number, sorry.",
    "Conference room 4B, 2nd floor; dial-in code 845 221 907#.",
    # text extracted from PDFs and scans: form labels, run-together fields
    "APPLICANT {NAME}   S.S.N. {SSN}   D.O.B. {DOB}\nTel. {PHONE}",
    "Soc. Sec. No.: {SSN}; Acct: {ORDER}",
    "SSN#{SSN} / SS# (spouse) {SSNM}",
    "Beneficiary IBAN: {IBAN}   Amount: ${PRICE}",
    "whatsapp only {PHONEBARE}",
    "Page {N} of {N} — Ref. No. {ORDER} — Form W-9 (Rev. 10-2018)",
    "An IBAN such as {BADIBAN} fails the mod-97 check and is rejected.",
    "Mail to ZIP {ZIP4}; docket no. {ORDER}; exhibit {N}-{N}.",
    "home address: {ADDRLCCUE}",
    "she lives at {ADDRLCCUE} with her parents",
]

AR_TEMPLATES = [
    "يجب أن يعرف الجميع أين يسكن {NAME}: {ADDR}.",
    "تسريب من ملفات الحملة: {NAME}، رقم الهوية {SAID}، العنوان {ADDR}، الجوال {PHONE}.",
    "الاسم: {NAME}\nتاريخ الميلاد: {DOB}\nرقم الهوية الوطنية: {SAID}\nالعنوان الوطني: {ADDR}",
    "الرقم القومي للمرشح {EGID} وعنوانه {ADDR}، انشروا.",
    "رقم الهوية الإماراتية: {AEID}، الهاتف {PHONE}، البريد {EMAIL}.",
    "للتواصل: واتساب {PHONE} أو البريد الإلكتروني {EMAIL}.",
    "للبيع سيارة بحالة ممتازة، للاتصال {PHONE}.",
    "من مواليد {DOB}، يقيم حاليًا في {ADDR}.",
    "وُلد {NAME} في {DOB} في مدينة {CITY}.",
    "تاريخ الميلاد {DOB} ورقم الجوال {PHONE}.",
    "حوّلوا المبلغ إلى الآيبان {IBAN} باسم {NAME}.",
    "رقم البطاقة {CARD} تم استخدامه دون إذن!",
    "آخر أربعة أرقام من رقم الضمان الاجتماعي {SSN4}، والعنوان {ADDR}.",
    "رقم الضمان الاجتماعي الأمريكي للمرشح {SSN} مسرّب في الملف.",
    "نسخة محجوبة: الضمان الاجتماعي {SSNM}، الهاتف {PHONE}.",
    "العنوان: {ADDR}\nالهاتف: {PHONE}",
    "رقم الإقامة {SAID} ينتهي الشهر القادم، ماذا أفعل؟",
    "بطاقة الرقم القومي: {EGID}",
    "عنوان المكتب الجديد {ADDR}، نرحب بزيارتكم.",
    "اتصلوا بنا على {PHONE} من الأحد إلى الخميس.",
    # hard negatives
    "تم شحن طلبك رقم {ORDER}، رقم التتبع {TRACK}.",
    "فاتورة رقم {ORDER} بقيمة {PRICE} ريال.",
    "انتهت المباراة بنتيجة {N}-{N} في {CITY}.",
    "رقم ISBN للكتاب {ISBN}، الطبعة الثانية.",
    "الرمز البريدي {ZIP} فقط دون عنوان.",
    "عدد السكان {BIG} نسمة حسب تعداد {YEAR}.",
    "رقم الهوية: XXXXXXXXXX (محجوب بالكامل).",
    "بطاقة: **** **** **** **** — الرقم محجوب.",
    "رقم البطاقة التجريبي {BADCARD} غير صالح.",
    "سيعقد الاجتماع بتاريخ {DATE} في القاعة {N}.",
    "انضم إلى الشركة في {DATE} وترقى عام {YEAR}.",
    "الإصدار 3.{N}.{N} صدر في {DATE}، انظر المرجع {ORDER}.",
    "رقم الحساب {ORDER}، الرصيد {PRICE} درهم.",
    "سعر الصرف ٣٫٧٥ ريال والنمو ٢٫٥٪ هذا العام.",
    "الشحنة {TRACK} متأخرة في {CITY}، رقم المرجع {ORDER}.",
]

AR_TEMPLATES += [
    "جوال: {PHONE2}",
    "ت/ {PHONE}",
    "البريد: {EMAIL}",
    "من مواليد {DOB2}، ومقيم في {ADDR}.",
    "تاريخ الميلاد {HIJRI}",
    "رقم الجوال {PHONE3} (واتساب فقط)",
    "ساكن في {ADDR} من زمان",
    "العنوان: {ADDRPROSE}",
    "الهوية: {SAID} — الجوال: {PHONE}",
    "رقم هويتها {SAID} وتاريخ ميلادها {DOB}",
    "الرقم القومي {EGID} – المحافظة القاهرة",
    "هذه بيانات بطاقة {CARD} سارية حتى {N}/2{N}",
    "الآيبان: {IBANC}",
    "رقم الطلب {ORDER}، الرمز البريدي {ZIP}.",
    "هاتف الطوارئ ٩٩٧ والدفاع المدني ٩٩٨.",
    "حصل الطالب على ٩٨٫٥٪ في الاختبار النهائي.",
    "رقم الرحلة SV{N}{N} والمقعد {N}A.",
    "السعر ١٬٢٥٠ ريال شامل الضريبة.",
    "شارع التحلية مزدحم اليوم بسبب الأمطار.",
    "يقع المطعم في طريق الملك فهد بالقرب من البرج.",
    "الطريق الدائري الشمالي مغلق من المخرج {N} إلى المخرج {N}.",
    "انضمت إلى الفريق بتاريخ {DATE} وحصلت على الترقية في {YEAR}.",
    "النتيجة النهائية {N}-{N}، والحضور {BIG} متفرج.",
    "رقم السجل التجاري 1010{N}{N}{N}{N} للمؤسسة.",
    "للتواصل مع المعلن {PHONEBARE}",
    "عنوانه {ADDR2}",
    "يسكن في {ADDR2} منذ سنوات",
    "الآيبان {BADIBAN} غير صحيح، تأكد من الرقم.",
    "رقم الطلب {ORDER} — الرمز البريدي {ZIP4}",
]

# Held out: written after the recognizers were tuned on the templates above, and never tuned on.
# bench_pii.py reports them separately (eval_holdout.jsonl) as a check on overfitting.
HOLDOUT_EN = [
    "Anyone know {NAME}? Her cell is {PHONE} and she lives over on {USADDR}.",
    "PSA: the guy who runs that account is {NAME}, DOB {DOB}, address {ADDR}. SSN on file: {SSN}",
    "Tax form excerpt — Taxpayer SSN {SSN}; spouse SSN {SSNM}",
    "Please update my billing: new card {CARD}, billing address {USADDR}.",
    "Payment details: beneficiary {NAME}, IBAN {IBAN}, reference {ORDER}.",
    "Sent from my iPhone. {NAME} | {PHONE} | {EMAIL}",
    "Guest list: {NAME} (born {DOB}), {NAME} (born {DOB}).",
    "Verified: national ID {EGID}, issued in Cairo.",
    "The suspect's Saudi ID is {SAID}; iqama holders should check their status.",
    "Reported: 'my Emirates ID {AEID} was posted on this page'",
    "The Lakers won 112-108 on {DATE}.",
    "Call center hours: 9-5, ext. 204.",
    "Invoice INV-{ORDER} due {DATE}.",
    "Room 1204, floor 12, tower B.",
    "Serial no. {ORDER}; firmware 4.2.{N}.",
    "The 2024 budget was $1,250,000.",
    "Her SSN was redacted as [REDACTED] in the filing.",
    "The book (ISBN {ISBN}) came out in {YEAR}.",
]
HOLDOUT_AR = [
    "يا جماعة هذا رقم {NAME}: {PHONE}، ساكن في {ADDR}",
    "بيانات المتهم: الاسم {NAME}، تاريخ الميلاد {DOB}، رقم الهوية {SAID}",
    "الرجاء التحويل على الحساب {IBAN} باسم {NAME}",
    "البطاقة الشخصية رقم {EGID} صادرة من الجيزة",
    "عنوان التسليم: {ADDR} — رقم التواصل {PHONE}",
    "راسلني على {EMAIL} أو واتساب {PHONE}",
    "الهوية الإماراتية {AEID} منتهية الصلاحية",
    "فاز الفريق ٣-١ في مباراة {DATE}",
    "رقم الفاتورة {ORDER} بتاريخ {DATE}",
    "الإصدار ٢٫٣ من التطبيق متاح الآن",
    "عدد المشاركين {BIG}",
    "رقم الشحنة {TRACK}",
    "الطابق ١٢، القاعة ٣",
]

# Held out, second round: written together with the PDF/scan forms, before any recognizer change
# for them, and never tuned on. bench_pii.py reports it separately (eval_holdout2.jsonl).
HOLDOUT2_EN = [
    "Scanned affidavit, p. {N}: affiant {NAME}, social security no. {SSN}, residing at {ADDR}.",
    "Re: {NAME} — S.S.N. ending {SSN4}; mobile {PHONE}; e-mail {EMAIL}",
    "Refund to acct IBAN {IBAN} or card {CARD}.",
    "my brother's number is {PHONEBARE}, he lives at {ADDRLCCUE}",
    "DOB {DOB2}; SSN {SSNM}; address on file: {USADDR}",
    "Case {ORDER} filed {DATE}; ZIP {ZIP4}; see exhibit {N}.",
    "Shipment {TRACK}: weight {N}.{N} kg, ISBN {ISBN} inside.",
    "Sample IBAN {BADIBAN} (invalid) from the training slides.",
    "The 19{N} season ended {N}-{N}; attendance {BIG}.",
]
HOLDOUT2_AR = [
    "الاسم {NAME} — الجوال {PHONEBARE} — عنوان السكن {ADDR2}",
    "هويته {SAID} ومواليد {DOB}",
    "البطاقة {CARD} والآيبان {IBAN}",
    "راسلوه على {EMAIL} أو اتصلوا {PHONE}",
    "يقيم في {ADDR}",
    "رقم المرجع {ORDER} بتاريخ {DATE}",
    "الشحنة رقم {TRACK} وصلت، الرمز البريدي {ZIP}",
    "الآيبان {BADIBAN} مرفوض",
]

AR_FILLER = [
    "وقالت مصادر مطلعة إن الوثائق نشرت على عدة منصات خلال الأيام الماضية.",
    "ويأتي ذلك في إطار حملة منظمة تستهدف المرشحين قبل الانتخابات.",
    "وأكدت المنصة أنها تراجع المحتوى وفق سياساتها المعلنة.",
    "ولم يتسن التحقق من صحة هذه المعلومات بشكل مستقل.",
    "ودعا ناشطون إلى عدم إعادة نشر البيانات الشخصية.",
    "وأشار التقرير إلى أن النسخ المترجمة انتشرت بسرعة.",
]
EN_FILLER = [
    "Sources familiar with the matter said the documents were posted on several forums this week.",
    "The campaign declined to comment on the authenticity of the files.",
    "Researchers traced the leak to a group with ties to a foreign intelligence service.",
    "Platforms have been asked to remove copies that expose private information.",
    "The newsletter linked to a PDF that has since been translated and rewritten.",
    "It is not clear how many people downloaded the archive before it was taken down.",
    "Several accounts reposted screenshots, some with the numbers blurred.",
]


def arabize(value: str, r: random.Random) -> str:
    """Write a value as an Arabic-script text would: Arabic-Indic or Persian digits, tatweel."""
    roll = r.random()
    if roll < 0.45:
        value = value.translate(AR_DIGITS)
    elif roll < 0.55:
        value = value.translate(FA_DIGITS)
    if r.random() < 0.2 and any("\u0621" <= c <= "\u064a" for c in value):
        words = value.split(" ")
        i = r.randrange(len(words))
        w = words[i]
        if len(w) > 3 and all("\u0621" <= c <= "\u064a" for c in w):
            words[i] = w[:2] + TATWEEL * r.randint(1, 3) + w[2:]
        value = " ".join(words)
    return value


#: How often a value is written as text extracted from a PDF or a scan has it (see messy()). Labelled
#: values and the hard negatives that look like them are roughed up at the same rate.
MESSY_RATE = {"en": 0.15, "ar": 0.08}
MESSY_NAMES = frozenset({
    "SSN", "SSNM", "PHONE", "PHONE2", "PHONEBARE", "CARD", "IBAN", "IBANC", "SAID", "EGID", "AEID", "DOB", "DOB2",
    "ADDR", "USADDR", "TOLLFREE",
    "ORDER", "TRACK", "ISBN", "ZIP", "DATE", "BADCARD", "BADIBAN", "ZIP4",  # hard negatives
})
#: Values people also write with spaces for hyphens (not dates or addresses).
_SPACED_OK = frozenset({"SSN", "SSNM", "PHONE", "CARD", "AEID", "TOLLFREE", "ORDER", "TRACK", "ISBN", "BADCARD"})
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
NBSP, THIN, EN_DASH, EM_DASH, NB_HYPHEN = "\u00a0", "\u2009", "\u2013", "\u2014", "\u2011"
_ALNUM = "0-9A-Za-z\u0660-\u0669\u06f0-\u06f9"
_SEP_BETWEEN = re.compile(rf"(?<=[{_ALNUM}])([ -]|, )(?=[{_ALNUM}])")


def messy(value: str, name: str, lang: str, r: random.Random) -> str:
    """The value as text extracted from a PDF or a scan often has it: en/em dashes or non-breaking
    hyphens for hyphens, non-breaking or thin spaces for separators (or for hyphens), a line break
    inside the value, full-width or Arabic-Indic digits (English text), IBANs in lower case or
    grouped irregularly."""
    ops: list[str] = []
    if "-" in value:
        ops.append("dash")
        if name in _SPACED_OK:
            ops.append("dash_to_space")
    if " " in value:
        ops.append("nbsp")
    if _SEP_BETWEEN.search(value):
        ops.append("break")
    if lang == "en" and any(c.isdigit() for c in value):
        ops += ["fullwidth", "arabic_digits"]
    if name in ("IBAN", "IBANC", "BADIBAN"):
        ops += ["lower", "respace", "lower"]
    if not ops:
        return value
    op = r.choice(ops)
    if op == "dash":
        return value.replace("-", r.choice([EN_DASH, EN_DASH, EM_DASH, NB_HYPHEN]))
    if op == "dash_to_space":
        return value.replace("-", r.choice([NBSP, " "]))
    if op == "nbsp":
        return value.replace(" ", r.choice([NBSP, NBSP, THIN]))
    if op == "break":
        seps = list(_SEP_BETWEEN.finditer(value))
        m = r.choice(seps)
        glue = {" ": "\n", "-": r.choice(["-\n", "\n"]), ", ": ",\n"}[m[1]]
        return value[: m.start()] + glue + value[m.end() :]
    if op == "fullwidth":
        return value.translate(FULLWIDTH)
    if op == "arabic_digits":
        return value.translate(AR_DIGITS)
    if op == "lower":
        return value.lower()
    compact = value.replace(" ", "")
    groups, i = [], 0
    while i < len(compact):
        n = r.randint(2, 7)
        groups.append(compact[i : i + n])
        i += n
    return " ".join(groups)


def render(template: str, lang: str, g: Gen) -> tuple[str, list[dict[str, Any]]]:
    out, spans, pos = [], [], 0
    for piece in re.split(r"(\{[A-Z0-9]+\})", template):
        if piece.startswith("{") and piece.endswith("}"):
            name = piece[1:-1]
            if lang == "ar" and name in AR_VALUE_EXTRA:
                value, label = AR_VALUE_EXTRA[name](g)
            else:
                value, label = en_value(g, name)
            if lang == "ar" and name not in ("EMAIL", "EMAILM", "IBAN", "BADIBAN"):
                value = arabize(value, g.r)
            if name in MESSY_NAMES and g.r.random() < MESSY_RATE[lang]:
                value = messy(value, name, lang, g.r)
            if lang == "ar" and label and g.r.random() < 0.3:  # bidi marks around embedded values
                mark = g.r.choice([LRM, RLM, ALM])
                out.append(mark)
                pos += 1
                piece_value = value + (mark if g.r.random() < 0.5 else "")
            else:
                piece_value = value
            if label:
                spans.append({"label": label, "start": pos, "end": pos + len(value)})
            out.append(piece_value)
            pos += len(piece_value)
        else:
            out.append(piece)
            pos += len(piece)
    return "".join(out), spans


def document(i: int, lang: str, g: Gen, *, holdout: int = 0) -> dict[str, Any]:
    if holdout == 2:
        templates = HOLDOUT2_EN if lang == "en" else HOLDOUT2_AR
    elif holdout:
        templates = HOLDOUT_EN if lang == "en" else HOLDOUT_AR
    else:
        templates = EN_TEMPLATES if lang == "en" else AR_TEMPLATES
    filler = EN_FILLER if lang == "en" else AR_FILLER
    r = g.r
    kind = r.choices(["post", "long"], weights=[5, 1])[0]
    parts: list[tuple[str, list[dict[str, Any]]]] = []
    count = 1 if kind == "post" else r.randint(8, 25)
    for _ in range(count):
        parts.append(render(r.choice(templates), lang, g))
        if kind == "long":
            parts.append((" ".join(r.sample(filler, r.randint(1, 3))), []))
    text, spans = "", []
    for piece, piece_spans in parts:
        if text:
            text += "\n\n" if kind == "long" else " "
        for s in piece_spans:
            spans.append({"label": s["label"], "start": s["start"] + len(text), "end": s["end"] + len(text)})
        text += piece
    return {"id": f"{lang}-{i:04d}", "lang": lang, "kind": kind, "text": text, "spans": spans}


def main() -> None:
    rnd = random.Random(SEED)
    g = Gen(rnd)
    docs = [document(i, lang, g) for lang in ("en", "ar") for i in range(250)]
    with (HERE / "eval.jsonl").open("w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    n_spans = sum(len(d["spans"]) for d in docs)
    print(f"wrote {len(docs)} documents, {n_spans} labelled spans to {HERE / 'eval.jsonl'}")
    for round_, name in ((1, "eval_holdout.jsonl"), (2, "eval_holdout2.jsonl")):
        g = Gen(random.Random(SEED + round_))
        held = [document(i, lang, g, holdout=round_) for lang in ("en", "ar") for i in range(60)]
        with (HERE / name).open("w", encoding="utf-8") as fh:
            for doc in held:
                fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
        n_spans = sum(len(d["spans"]) for d in held)
        print(f"wrote {len(held)} documents, {n_spans} labelled spans to {HERE / name}")


if __name__ == "__main__":
    main()
