"""In English the inbox, the task page with its form, the case page and the team page name processes, steps, fields
and options as the designer translated them (the case's history too) in the BPMN (name:en, label:en, options:en); in Chinese as the BPMN
names them."""
from conftest import login
from world import opened


def _english(app, username):
    client = login(app.test_client(), username)
    client.post("/language", data={"language": "en", "next": "/inbox"})
    return client


def test_english_names_come_from_the_bpmn(app, world):
    out = world.start("admission_review", world.person().admission())
    decide = opened(out)["decide"]
    en = _english(app, "edu_reviewer")
    inbox = en.get("/inbox?view=department").data.decode()
    assert "Decision by the Education Bureau" in inbox and "教育局审定" not in inbox
    assert "School admission by points (joint review)" in inbox
    task = en.get(f"/tasks/{decide}").data.decode()
    assert "<h1>Decision by the Education Bureau</h1>" in task
    assert "Reasons (required when refused or waiting-listed)" in task and ">Waiting list</option>" in task
    assert 'value="waitlist"' in task, "the values stay the same"
    case = en.get(f"/cases/{out.business_key}").data.decode()
    assert "School admission by points (joint review)" in case and "Decision by the Education Bureau" in case
    timeline = case.split('<ol class="timeline">')[1].split("</ol>")[0]
    assert "· Decision by the Education Bureau" in timeline and "教育局审定" not in timeline  # the history too
    team = _english(app, "edu_supervisor").get("/team").data.decode()
    assert "Decision by the Education Bureau" in team

    zh = login(app.test_client(), "edu_head")  # the others chose English; it is remembered per user
    page = zh.get(f"/tasks/{decide}").data.decode()
    assert "<h1>教育局审定</h1>" in page and ">列入候补</option>" in page and "Decision by" not in page
