"""Build the public-versus-private evaluation set: bench/data/pii/public_private.jsonl.

    .venv/bin/python bench/data/pii/make_public.py

A doxxing detector must find a person's home address, personal phone and personal e-mail, and must
not report public places and public contact points (an embassy's address, a ministry's hotline, a
campaign's press address) as someone's private information. Every case below was written by hand,
one sentence or form at a time (no templates), in English and Arabic; the values are fictional or
are the published contact points of public bodies. Gold values are marked inline as
``⟦A:…⟧`` (STREET_ADDRESS), ``⟦P:…⟧`` (PHONE), ``⟦E:…⟧`` (EMAIL), ``⟦I:…⟧`` (EG_NATIONAL_ID) and
become ``spans`` with offsets into the text.

Each line: ``{"id", "lang", "kind": "public"|"private", "split": "tune"|"test", "text", "spans"}``.
In a public case the spans are the public values, which a detector must not report as private
information; in a private case they are the private values it must find. ``split`` alternates
within each language and kind: the cue lists of :mod:`leakwarden.signals.pii.public` were chosen
looking at the ``tune`` half only, and ``bench_pii.py`` reports both halves separately; ``fresh``
cases (:data:`FRESH`) were written after the lists were frozen and reported as they first ran.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "public_private.jsonl"
LABEL = {"A": "STREET_ADDRESS", "P": "PHONE", "E": "EMAIL", "I": "EG_NATIONAL_ID"}
_MARK = re.compile(r"⟦([APEI]):(.*?)⟧", re.S)

EN_PUBLIC = [
    "The White House is at ⟦A:1600 Pennsylvania Avenue NW, Washington, DC 20500⟧ — tours by request only.",
    "Los Angeles City Hall, ⟦A:200 N Spring St, Los Angeles, CA 90012⟧, opens at 8 a.m. on weekdays.",
    "Protest planned outside the Saudi embassy at ⟦A:601 New Hampshire Ave NW, Washington, DC 20037⟧ on Friday.",
    "The free clinic moved to ⟦A:45 Elm Street, Springfield, IL 62704⟧; walk-ins welcome.",
    "Campaign headquarters: ⟦A:2033 N Highland Drive, Portland, OR 97217⟧. Volunteers sign in at the front desk.",
    "Mercy General Hospital, ⟦A:4001 J Street, Sacramento, CA 95819⟧, has reopened its emergency room.",
    "Lincoln Elementary School (⟦A:720 Oak Avenue, Madison, WI 53703⟧) will be closed Monday.",
    "Jury duty? The county courthouse is at ⟦A:100 Main Street, Raleigh, NC 27601⟧, second floor.",
    "The public library branch at ⟦A:88 Cedar Lane, Austin, TX 78701⟧ is extending its hours.",
    "Ministry of Commerce, ⟦A:Building 7412, King Abdulaziz Road, Al Wizarat District, Riyadh 12634⟧.",
    "Visa applicants should go to the embassy, ⟦A:4 Ibn Seena Street, Giza⟧, with two photos.",
    "Our office: ⟦A:Office 1204, Al Faisaliah Tower, King Fahd Road, Riyadh⟧.",
    "The consulate has relocated to ⟦A:Villa 18, Street 12, Al Bateen, Abu Dhabi⟧.",
    "Town hall meeting tonight at the community center, ⟦A:310 Jefferson Blvd, Columbus, OH 43215⟧.",
    "Polling station: Roosevelt High School, ⟦A:1410 NE 66th St, Seattle, WA 98115⟧.",
    "Food bank headquarters, ⟦A:77 Magnolia Road, Denver, CO 80203⟧, needs volunteers this weekend.",
    "Campaign office phone: ⟦P:(617) 834-2409⟧, weekdays 9 to 5.",
    "Toll-free line for voters with questions: ⟦P:1-888-462-7731⟧.",
    "Call our customer service team on ⟦P:1-877-394-2210⟧ and have your order ready.",
    "Press office: ⟦P:+1 202 647 2492⟧.",
    "The city's media hotline ⟦P:(312) 744-5000⟧ is staffed around the clock.",
    "For appointments call the clinic at ⟦P:512-478-9200⟧.",
    "The embassy switchboard is ⟦P:+966 11 488 3800⟧ (Sunday to Thursday).",
    "Reservations: call the hotel front desk at ⟦P:+971 4 318 2000⟧.",
    "Cairo office helpline ⟦P:+20 2 2794 4000⟧ for members abroad.",
    "Report outages to the utility at ⟦P:866-743-0335⟧, any hour.",
    "Ministry of Health unified number: ⟦P:9200 12345⟧.",
    "Questions about the recall? Dial ⟦P:1 (855) 204-7722⟧, it's free.",
    "Press inquiries: ⟦E:press@harperforsenate.org⟧.",
    "Send your tips to ⟦E:tips@dailyledger.com⟧, encrypted if you can.",
    "Media requests should go to ⟦E:media@moh.gov.sa⟧.",
    "For anything about the new permits write to ⟦E:info@springfield.gov⟧.",
    "The embassy's consular section answers at ⟦E:consular@ukembassy.ae⟧.",
    "Need to reschedule? ⟦E:support@clinicbooking.com⟧",
    "Office of the mayor: ⟦E:office@cityofaustin.gov⟧.",
    "Journalists can reach the campaign newsroom at ⟦E:newsroom@campaign2026.org⟧.",
]

EN_PRIVATE = [
    "He lives at ⟦A:2362 Oak Way, Portland, OR 97219⟧ with his mother.",
    "Her home address is ⟦A:15 Chestnut Street, Albany, NY 12210⟧ — go say hi.",
    "The judge's house at ⟦A:904 Maple Drive, Boise, ID 83702⟧ has no gate.",
    "Found where the reporter is staying: ⟦A:311 Lakeview Terrace, Apt 4B, Tucson, AZ 85701⟧.",
    "Home: ⟦A:Building 9285, Al Imam Saud Street, Al Sahafa District, Riyadh 13315, Additional No. 4749⟧",
    "His national address is ⟦A:Building 8228, Prince Turki bin Abdulaziz Al Awwal Road, Hittin, Riyadh 13512, "
    "Additional No. 2121⟧ if anyone wants to pay a visit.",
    "She rents ⟦A:Flat 12, Marina Heights Tower, Dubai Marina, Dubai⟧ now.",
    "they moved into ⟦A:Villa 44, Street 27, Al Barsha, Dubai⟧ last month",
    "The reporter who wrote about the ministry lives at ⟦A:58 Franklin Road, Arlington, VA 22201⟧.",
    "She left the embassy and drove home to ⟦A:19 Hillcrest Avenue, Silver Spring, MD 20901⟧.",
    "his parents' place: ⟦A:7 Old Mill Rd, Raleigh, NC 27603⟧",
    "Address on the leaked lease: ⟦A:Building 3318, Olaya Street, Al Olaya District, Riyadh 12241⟧",
    "That councilman resides at ⟦A:1220 Sunset Blvd, Austin, TX 78704⟧, blue door.",
    "He sleeps at ⟦A:Apartment 6, Building 21, Street 9, Al Nahda, Sharjah⟧ most nights.",
    "I know where she lives. ⟦A:64 Prospect Place, Columbus, OH 43206⟧.",
    "Her home is at ⟦A:Flat 3, 12 Tahrir Street, Dokki, Giza⟧ — third floor.",
    "Personal mobile: ⟦P:(415) 872-3390⟧ — text him.",
    "his cell is ⟦P:312-419-2367⟧, blow it up",
    "Her WhatsApp: ⟦P:+966 55 123 4567⟧.",
    "Call me on ⟦P:050 712 3344⟧ after six.",
    "The senator's private number, straight from the leak: ⟦P:+1 202 448 9021⟧.",
    "My number changed, the new one is ⟦P:+20 100 234 5678⟧.",
    "Mobile: ⟦P:+971 52 987 6543⟧ (personal, please don't share)",
    "Not the office line — his own mobile is ⟦P:(617) 902-3318⟧.",
    "Text her at ⟦P:646-219-8804⟧ and tell her what you think of her article.",
    "wife's cell ⟦P:(703) 555-2871⟧",
    "Email ⟦E:laura.hartley82@gmail.com⟧ if you want the rest.",
    "Her personal email ⟦E:m.okafor@proton.me⟧ is in the dump.",
    "reach him directly at ⟦E:dnguyen@outlook.com⟧",
    "The CFO's work address ⟦E:rachel.sutton@northwind-energy.com⟧ is on page 3.",
    "Flood his inbox: ⟦E:kevin_brennan1979@yahoo.com⟧",
    "The press officer's own Gmail is ⟦E:tyler.reyes.dc@gmail.com⟧.",
    "Name: Tyler Reyes\nHome: ⟦A:27 Willow Ct, Madison, WI 53711⟧\nCell: ⟦P:608-772-4190⟧",
    "Leaked intake form — address ⟦A:500 Fairview Ave, Apt 12, Arlington, VA 22203⟧, "
    "phone ⟦P:571-880-3127⟧, email ⟦E:grace.callahan@icloud.com⟧",
    "The nurse from the hospital lives at ⟦A:83 Jackson Street, Springfield, IL 62702⟧.",
    "He works at City Hall but his home is ⟦A:16 Magnolia Lane, Tucson, AZ 85719⟧.",
]

AR_PUBLIC = [
    "مقر وزارة الداخلية: ⟦A:طريق الملك فهد، حي العليا، الرياض 12345⟧.",
    "سفارة المملكة في القاهرة: ⟦A:9 ش أحمد نسيم، الجيزة⟧.",
    "عيادة الدكتور سامي: ⟦A:شقة 5، الدور الثاني، 14 ش مراد، الجيزة⟧.",
    "مستشفى الأمل يقع في ⟦A:مبنى 3421، شارع الأمير سلطان، حي الروضة، جدة 23435⟧.",
    "مبنى البلدية الجديد في ⟦A:شارع 15، منطقة 7، أبوظبي⟧ يفتح أبوابه الأحد.",
    "مكتب الحملة الانتخابية في ⟦A:12 شارع التحرير، الدقي، الجيزة⟧ يستقبل المتطوعين.",
    "مدرسة النور الابتدائية: ⟦A:عمارة 8، شارع الجامعة، المنصورة⟧.",
    "مقر الشركة: ⟦A:مكتب 905، برج الخليج، الخليج التجاري، دبي⟧.",
    "القنصلية المصرية في دبي: ⟦A:فيلا 12، شارع 19، جميرا، دبي⟧.",
    "فرع البنك الجديد ⟦A:مبنى 7710، طريق الملك عبدالعزيز، حي الملز، الرياض 12642⟧.",
    "المحكمة الابتدائية تقع في ⟦A:15 ش الجلاء، وسط البلد، القاهرة⟧.",
    "مكتبة الحي العامة، ⟦A:شارع 4، حي الصفا، جدة 23451⟧، مفتوحة حتى المساء.",
    "وزارة الصحة - ⟦A:مبنى 2250، طريق الملك فهد، الرياض 12613⟧",
    "الخط الساخن لوزارة الصحة: ⟦P:920005937⟧",
    "للحجز في العيادة اتصل على ⟦P:02 2735 8000⟧.",
    "رقم مكتب الحملة: ⟦P:011 465 2222⟧.",
    "هاتف السفارة: ⟦P:+971 2 444 7400⟧.",
    "الاستعلامات بالمستشفى ⟦P:04 397 7000⟧ على مدار الساعة.",
    "خدمة العملاء على الرقم المجاني ⟦P:0800 123 4567⟧.",
    "مركز الاتصال الموحد للبلدية ⟦P:800 4244444⟧",
    "للاستفسارات الإعلامية: ⟦E:media@moi.gov.sa⟧",
    "راسلوا مكتب الوزير عبر ⟦E:info@moe.gov.ae⟧.",
    "الدعم الفني: ⟦E:support@absher.sa⟧",
    "للتواصل مع إدارة المدرسة: ⟦E:admin@alnoor-school.edu.eg⟧",
    "المكتب الإعلامي للحملة ⟦E:press@sharif2026.org⟧",
    "الشكاوى تُرسل إلى ⟦E:complaints@cityofcairo.gov.eg⟧",
]

AR_PRIVATE = [
    "يسكن في ⟦A:15 ش مصطفى النحاس، مدينة نصر، القاهرة⟧",
    "عنوانه: ⟦A:12 ش التحرير، شقة 1883، الدور الثالث، الدقي، الجيزة⟧",
    "سكنها: ⟦A:عمارة 63 ش جامعة الدول العربية، شقة 4، الدور 2، المهندسين⟧",
    "منزله في ⟦A:شقة 1204، برج الخليج، دبي مارينا، دبي⟧",
    "العنوان: ⟦A:شقة 7، برج الياسمين، شارع الشيخ زايد، دبي⟧",
    "الاسم: هدى مصطفى\nالعنوان: ⟦A:8 ش النيل، العجوزة، الجيزة⟧\nالرقم القومي: ⟦I:29501011234567⟧",
    "بيتها في ⟦A:فيلا 23، شارع 15، جميرا 1، دبي⟧",
    "يقيم في ⟦A:مبنى 4521، شارع العليا، حي العليا، الرياض 12244⟧ مع أسرته",
    "الموظف في السفارة يسكن في ⟦A:عمارة 5، ش الثورة، مصر الجديدة، القاهرة⟧",
    "يسكن في ⟦A:20 ش عباس العقاد، شقة 12، الدور الخامس، مدينة نصر، القاهرة⟧\n⟦I:28811230212345⟧",
    "شقته: ⟦A:شقة 3، برج النخيل، شارع الشيخ زايد، دبي⟧ والمفتاح عند البواب",
    "عنوان المنزل ⟦A:فيلا 9، شارع 31، منطقة 4، أبوظبي⟧",
    "هذا منزلها: ⟦A:14 ش مراد، شقة 6، الدور الرابع، الجيزة⟧",
    "جواله الشخصي ⟦P:055 123 4567⟧",
    "رقمها: ⟦P:+971 50 123 4567⟧ واتساب فقط",
    "تواصل معه على ⟦P:010 1234 5678⟧ وقل له رأيك",
    "هاتف منزله ⟦P:02 3345 6789⟧",
    "رقم جوال زوجته ⟦P:0598765432⟧",
    "موبايله ⟦P:+20 122 345 6789⟧ لمن يريد",
    "ايميله الخاص ⟦E:khaled.alshammari@hotmail.com⟧",
    "بريدها الشخصي ⟦E:noura.d1990@gmail.com⟧",
    "راسله على ⟦E:tarek_elsayed@yahoo.com⟧",
    "الموظفة في الوزارة بريدها ⟦E:reem.alnuaimi@outlook.com⟧",
    "يعمل في المستشفى لكن منزله في ⟦A:مبنى 6612، شارع الأمير سلطان، حي الروضة، جدة 23435⟧",
    "البيانات المسربة: العنوان ⟦A:12 شارع الجامعة، المنصورة⟧ والجوال ⟦P:0101 234 5679⟧",
    "عنوانها الحالي ⟦A:شقة 22، برج الفردوس، النهضة، دبي⟧",
]


#: Written after the cue lists were frozen and run once, as they are: a fresh check of the rules.
FRESH = [
    ("en", "public", "Drop off ballots at the county elections office, ⟦A:55 Willow Ave, Columbus, OH 43215⟧."),
    ("en", "public", "Hospital switchboard ⟦P:(608) 263-6400⟧, ask for the ward."),
    ("en", "public", "Questions go to ⟦E:enquiries@nationalarchives.gov.uk⟧."),
    ("en", "public", "The Kuwaiti consulate is at ⟦A:Villa 3, Street 21, Al Khalidiyah, Abu Dhabi⟧."),
    ("en", "private", "guess who lives at ⟦A:402 Elm Street, Apt 7, Austin, TX 78705⟧ lmao"),
    ("en", "private", "his burner is ⟦P:+1 786 412 9930⟧"),
    ("en", "private", "Leaked: her Gmail ⟦E:sara.qahtani.88@gmail.com⟧"),
    ("en", "private", "The clerk's family moved into ⟦A:Flat 9, Al Noor Tower, Al Nahda, Sharjah⟧."),
    ("ar", "public", "مقر النيابة العامة: ⟦A:مبنى 2231، طريق الملك فهد، حي العليا، الرياض 12214⟧"),
    ("ar", "public", "لحجز موعد في المستشفى: ⟦P:011 288 9999⟧"),
    ("ar", "public", "مراسلات الصحفيين: ⟦E:press@mofa.gov.ae⟧"),
    ("ar", "public", "فرع الشركة في ⟦A:22 ش عبد الخالق ثروت، وسط البلد، القاهرة⟧"),
    ("ar", "private", "تسكن في ⟦A:شقة 14، برج الوفاء، النهضة، الشارقة⟧ مع زوجها"),
    ("ar", "private", "رقم موبايله ⟦P:0111 234 5670⟧ اتصلوا به"),
    ("ar", "private", "بريده الشخصي ⟦E:amr.fathy77@gmail.com⟧"),
    ("ar", "private", "بيته في ⟦A:9 ش السودان، الدور الثاني، الجيزة⟧"),
]


def parse(marked: str) -> tuple[str, list[dict[str, object]]]:
    text, spans, pos = "", [], 0
    for m in _MARK.finditer(marked):
        text += marked[pos : m.start()]
        spans.append({"label": LABEL[m[1]], "start": len(text), "end": len(text) + len(m[2])})
        text += m[2]
        pos = m.end()
    return text + marked[pos:], spans


def main() -> None:
    rows = []
    for lang, kind, cases in (("en", "public", EN_PUBLIC), ("en", "private", EN_PRIVATE),
                              ("ar", "public", AR_PUBLIC), ("ar", "private", AR_PRIVATE)):
        for i, marked in enumerate(cases):
            text, spans = parse(marked)
            assert spans, marked
            rows.append({"id": f"{lang}-{kind}-{i:02d}", "lang": lang, "kind": kind,
                         "split": "tune" if i % 2 == 0 else "test", "text": text, "spans": spans})
    for i, (lang, kind, marked) in enumerate(FRESH):
        text, spans = parse(marked)
        rows.append({"id": f"{lang}-{kind}-fresh-{i:02d}", "lang": lang, "kind": kind, "split": "fresh",
                     "text": text, "spans": spans})
    with OUT.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{OUT.name}: {len(rows)} cases, {sum(r['kind'] == 'public' for r in rows)} public")


if __name__ == "__main__":
    main()
