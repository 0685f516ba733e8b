"""The demo's fictional case: the dossier, the newsletter, and the posts, in order."""

from __future__ import annotations

from dataclasses import dataclass, field

DOSSIER_LINES = (
    "CONFIDENTIAL - OPPOSITION RESEARCH FILE - HARPER FOR SENATE",
    "Subject: Daniel Harper, candidate for the 9th district. Prepared 14 August 2026.",
    "Home address: 1482 Maple Ridge Drive, Columbus, OH 43215.",
    "SSN (last four, from a 2019 loan application): XXX-XX-4471.",
    "Personal phone: (614) 555-0192.",
    "Summary: Harper moved into the district in March 2021 after selling a house in Dayton.",
    "Between 2022 and 2025 his consulting firm, Ridgeline Strategy LLC, received 312,000 dollars",
    "from the Ohio Valley Ports Authority while Harper sat on its advisory board.",
    "Two former staff members say Harper asked them to delay the firm's disclosure filings until",
    "after the primary. The campaign's internal poll of 1 August 2026 shows Harper at 41 percent",
    "against 38 percent for his opponent, with 21 percent undecided.",
    "Recommended lines of attack: the ports contracts, the late filings, and the Dayton house sale.",
)
DOSSIER = "\n".join(DOSSIER_LINES)

NEWSLETTER_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>The Harper Files</title></head>
<body><article><h1>The Harper Files</h1>
<p>We obtained the Harper campaign's own opposition research on its candidate. We publish it in full,
because voters deserve to know what the campaign knew about the ports contracts and the late filings.</p>
<p>Read the full dossier: <a href="http://files.example:{port}/harper-dossier.pdf">harper-dossier.pdf</a></p>
</article></body></html>"""

ABOUT_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>About</title></head>
<body><article><h1>About this newsletter</h1><p>Independent reporting on Ohio politics since 2019.
Subscribe for weekly analysis of campaigns, budgets and the statehouse.</p></article></body></html>"""

PAGES = {"/p/harper-files": NEWSLETTER_PAGE, "/about": ABOUT_PAGE}

QUOTE = ("Between 2022 and 2025 his consulting firm, Ridgeline Strategy LLC, received 312,000 dollars "
         "from the Ohio Valley Ports Authority while Harper sat on its advisory board. Two former staff "
         "members say Harper asked them to delay the firm's disclosure filings until after the primary.")

ARABIC_TRANSLATION = (
    "ملف سري - أبحاث المعارضة - حملة هاربر لمجلس الشيوخ. الموضوع: دانيال هاربر، المرشح عن الدائرة التاسعة. "
    "انتقل هاربر إلى الدائرة في مارس ٢٠٢١ بعد بيع منزل في دايتون. بين عامي ٢٠٢٢ و٢٠٢٥ تلقت شركته "
    "الاستشارية، ريدجلاين ستراتيجي، مبلغ ٣١٢ ألف دولار من هيئة موانئ وادي أوهايو بينما كان هاربر عضوًا في "
    "مجلسها الاستشاري. ويقول موظفان سابقان إن هاربر طلب منهما تأخير إفصاحات الشركة إلى ما بعد الانتخابات "
    "التمهيدية. ويُظهر استطلاع الحملة الداخلي في ١ أغسطس ٢٠٢٦ حصول هاربر على ٤١ بالمئة مقابل ٣٨ بالمئة "
    "لمنافسه، و٢١ بالمئة من المترددين."
)

REWRITE = (
    "SHOCKING: What Harper's Own Campaign Found\n"
    "A poll taken inside the Harper camp on August 1, 2026 put the candidate at 41% to his rival's 38%, "
    "with 21% still undecided. The same file shows that Ridgeline Strategy LLC, Harper's consultancy, "
    "collected $312,000 from the Ohio Valley Ports Authority from 2022 to 2025, a period in which Harper "
    "served on the authority's advisory board. According to two people who used to work for him, Harper "
    "wanted the firm's disclosure paperwork held back until the primary was over. Harper only moved into "
    "the district in March 2021, once he had sold his Dayton home."
)


@dataclass(frozen=True)
class Step:
    """One thing that happens. ``kind`` is post | rule | retro | request | reinstate."""

    kind: str
    note: str
    platform: str = "A"
    post: dict[str, object] = field(default_factory=dict)
    args: dict[str, object] = field(default_factory=dict)


def steps(port: int) -> list[Step]:
    page = f"http://newsletter.example:{port}/p/harper-files"
    short = f"http://sho.rt:{port}/h4rp3r"
    return [
        Step("post", "an ordinary post", post={"id": "a1", "author": "voter_jane",
                                               "text": "Polls open at 7am on Tuesday. Bring an ID!"}),
        Step("post", "the journalist links his newsletter (page → PDF)",
             post={"id": "a2", "author": "journo_mike", "text": f"The Harper Files, in full: {page}"}),
        Step("post", "the same page through a shortener",
             post={"id": "a3", "author": "journo_mike", "text": f"In case you missed it {short}"}),
        Step("rule", "a moderator marks the newsletter as a source of the hacked material",
             args={"kind": "domain", "value": "newsletter.example", "action": "block", "source": True,
                   "reason": "hosts the stolen Harper campaign dossier"}),
        Step("post", "an account that shared the page before the rule",
             post={"id": "a0", "author": "early_bird", "text": f"wow {page}"}),
        Step("retro", "the rule is applied to posts already stored"),
        Step("post", "a quote of the dossier in a post",
             post={"id": "a4", "author": "amplifier", "text": f"Read this from the leak: \"{QUOTE}\""}),
        Step("post", "the dossier translated into Arabic",
             post={"id": "a5", "author": "content_farm_ar", "text": ARABIC_TRANSLATION, "lang": "ar"}),
        Step("post", "a content-farm rewrite", post={"id": "a6", "author": "content_farm_en", "text": REWRITE}),
        Step("post", "the home address and partial SSN pasted as text",
             post={"id": "a7", "author": "doxxer", "text": "Harper lives at 1482 Maple Ridge Drive, Columbus, "
                                                            "OH 43215. SSN ends 4471. Go say hi."}),
        Step("post", "an Arabic post about the election",
             post={"id": "a8", "author": "voter_layla", "lang": "ar",
                   "text": "تبدأ مناظرة المرشحين مساء الخميس على القناة المحلية، لا تفوتوها"}),
        Step("post", "the journalist posts a third copy", post={
            "id": "a9", "author": "journo_mike", "text": f"They can't stop this: {page}?ref=x"}),
        Step("request", "the campaign asks both platforms to remove the dossier",
             args={"kind": "campaign", "requester": "Harper for Senate", "asked": "remove the dossier and links",
                   "outcome": "complied", "done": "links blocked; posts removed under the strict policy",
                   "concerns": {"urls": [page], "accounts": ["journo_mike"]}}),
        Step("request", "a government office asks to remove a critical post",
             args={"kind": "government", "requester": "Office of the State Secretary",
                   "asked": "remove post a1 as misleading", "outcome": "rejected",
                   "done": "no policy violation found", "concerns": {"posts": ["a1"]}}),
        Step("reinstate", "a moderator reinstates the early sharer after review",
             args={"account": "early_bird", "note": "shared before the leak was known"}),
    ]
