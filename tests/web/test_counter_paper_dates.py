"""The papers a window hands over (受理回执, 一次性告知书) are official Chinese documents: every date on them, page
and PDF, reads 2026年12月1日 — never 2026-12-01, and never an English date when the clerk's screen is in English."""
from __future__ import annotations

import re

from conftest import login
from test_counter_pages import _intake, _pdf_text

ISO = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
LONG = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")
MONTHS = re.compile(r"January|February|March|April|May|June|July|August|September|October|November|December")


def _paper(page: str) -> str:
    return page.split('<article class="paper"', 1)[1].split("</article>", 1)[0]


def test_the_papers_write_their_dates_as_a_chinese_document_does_in_either_screen_language(app, world):
    client = login(app.test_client(), "edu_reviewer")
    key = _intake(client, world.person("张伟"), ["residence_permit", "household_register"])
    for language in ("zh_Hans_CN", "en"):
        client.post("/language", data={"language": language})
        for paper in ("receipt", "notice"):
            whole = client.get(f"/cases/{key}/{paper}").data.decode()
            assert ('class="js-print">Print<' if language == "en" else 'class="js-print">打印<') in whole
            page = _paper(whole)
            pdf = _pdf_text(client.get(f"/cases/{key}/{paper}.pdf"))
            for text in (page, pdf):
                assert len(LONG.findall(text)) >= 2, (language, paper, text)  # the time on it and the seal's date
                assert not ISO.search(text) and not MONTHS.search(text), (language, paper, text)
