"""The browser tab's title: the page's own title before "· JointReview", and just "JointReview" for a page without one."""
from __future__ import annotations

import re

from conftest import login
from flask import render_template_string


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def test_a_page_without_a_title_is_just_jointreview(app):
    with app.test_request_context("/"):
        for child in ('{% extends "base.html" %}', '{% extends "base.html" %}{% block title %}  {% endblock %}'):
            assert _title(render_template_string(child)) == "JointReview"
        page = render_template_string('{% extends "base.html" %}{% block title %}Inbox{% endblock %}')
        assert _title(page) == "Inbox · JointReview"


def test_the_inbox_and_team_pages_say_which_list_they_show(app, demo):
    client = login(app.test_client(), "edu_head")
    assert _title(client.get("/inbox?view=mine").data.decode()) == "我的待办 · JointReview"
    page = client.get("/inbox?view=department").data.decode()
    assert _title(page) == "本部门待签收 · JointReview"
    assert '<a href="/inbox?view=department">本部门待签收</a>' in page, "the menu names the list as its tab and title do"
    assert _title(client.get("/team").data.decode()) == "本科室 · 教育局 · JointReview"


def test_the_case_and_step_pages_name_the_case_and_what_it_is(app, world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    client = login(app.test_client(), "edu_reviewer")
    assert _title(client.get(f"/cases/{out.business_key}").data.decode()) == f"{out.business_key} · 部门函询 · JointReview"
    step = out.opened[0]["id"]
    assert _title(client.get(f"/tasks/{step}").data.decode()) == f"撰写函询 · {out.business_key} · JointReview"
