"""改派 on the team page: the batch moves each step that may go and says, step by step, why the others stayed; the
list offers only who may take the selected steps; the form sits above the list; the busiest members come first."""
from __future__ import annotations

import json
import re

from sqlalchemy import select, update

from conftest import login
from engine.models import AuditEntry, Task
from test_team_and_audit import open_inquiries


def _chief_step(world, task_id: str) -> None:
    with world.rt.db.write() as session:  # a step only a 科长 may take
        session.execute(update(Task).where(Task.id == task_id).values(role="supervisor"))


def test_a_batch_moves_the_steps_that_may_go_and_says_why_the_others_did_not(app, world):
    outs = open_inquiries(world, 3)
    ids = [o.opened[0]["id"] for o in outs]
    _chief_step(world, ids[1])
    chief = login(app.test_client(), "edu_supervisor")
    page = chief.post("/team/reassign", data={"task_id": ids, "to_user": "edu_reviewer", "reason": "出差代办"},
                      follow_redirects=True).data.decode()
    with world.rt.db.read() as session:
        held = {i: session.get(Task, i).assignee for i in ids}
        audited = [json.loads(e.details)["reason"] for e in session.execute(
            select(AuditEntry).where(AuditEntry.event == "task_reassigned")).scalars()]
    assert held == {ids[0]: "edu_reviewer", ids[1]: None, ids[2]: "edu_reviewer"} and audited == ["出差代办"] * 2
    moved = re.search(r'<div class="flash success"[^>]*>([^<]*)</div>', page).group(1)
    assert moved.startswith("已将2项任务改派给edu_reviewer：")
    assert outs[0].business_key in moved and outs[2].business_key in moved and outs[1].business_key not in moved
    refused = re.search(r'<div class="flash error"[^>]*>([^<]*)</div>', page).group(1)
    assert refused.startswith(f"1项任务未改派：{outs[1].business_key}（edu_reviewer不能办理") and refused.endswith("）。")
    assert re.search(rf'value="{ids[1]}"[^>]*checked', page), "the step that stayed stays selected"
    assert not re.search(rf'value="{ids[0]}"[^>]*checked', page)
    assert 'value="出差代办"' in page


def test_a_batch_without_a_reason_or_member_moves_nothing(app, world):
    ids = [o.opened[0]["id"] for o in open_inquiries(world, 2)]
    chief = login(app.test_client(), "edu_supervisor")
    for data in ({"task_id": ids, "to_user": "edu_reviewer", "reason": " "},
                 {"task_id": ids, "to_user": "nobody_here", "reason": "x"}):
        page = chief.post("/team/reassign", data=data, follow_redirects=True).data.decode()
        assert 'class="flash error"' in page and 'class="flash success"' not in page
        assert all(re.search(rf'value="{i}"[^>]*checked', page) for i in ids), "kept selected"
    with world.rt.db.read() as session:
        assert {session.get(Task, i).assignee for i in ids} == {None}
    many = chief.post("/team/reassign", data={"task_id": [f"x{i}" for i in range(101)], "to_user": "edu_reviewer",
                                              "reason": "x"}, follow_redirects=True).data.decode()
    assert "每次最多选择100项任务，本次未改派任何任务。" in many
    twice = chief.post("/team/reassign", data={"task_id": ids * 60, "to_user": "edu_reviewer", "reason": "x"},
                       follow_redirects=True).data.decode()
    assert "已将2项任务改派给edu_reviewer" in twice, "the same step selected twice counts once"
    unknown = chief.post("/team/reassign", data={"task_id": ["no-such-step"], "to_user": "edu_reviewer", "reason": "x"},
                         follow_redirects=True).data.decode()
    assert "1项任务未改派：所选环节不存在或不属于您所在的部门" in unknown


def test_the_page_offers_only_who_may_take_the_steps_with_the_form_above_the_list(app, world):
    ids = [o.opened[0]["id"] for o in open_inquiries(world, 2)]
    _chief_step(world, ids[1])
    page = login(app.test_client(), "edu_supervisor").get("/team").data.decode()
    eligible = json.loads(re.search(r"data-eligible='([^']*)'", page).group(1))
    assert "edu_reviewer" in eligible["EDU|reviewer"] and "edu_supervisor" in eligible["EDU|reviewer"]
    assert "edu_reviewer" not in eligible["EDU|supervisor"] and "edu_supervisor" in eligible["EDU|supervisor"]
    assert all(not name.startswith(("psb_", "hrss_")) for names in eligible.values() for name in names)
    assert f'data-task="{ids[1]}" data-group="EDU|supervisor"' in page
    tasks = page.split('id="reassign"')[1]
    assert tasks.index('id="to_user"') < tasks.index("data-task="), "the form comes before the list"
    assert len(re.findall(r'<option value="edu_reviewer"', page)) == 1


def test_the_workload_lists_the_busiest_first_then_by_name(app, world):
    ids = [o.opened[0]["id"] for o in open_inquiries(world, 3)]
    with world.rt.db.write() as session:
        session.execute(update(Task).where(Task.id.in_(ids[:2])).values(assignee="edu_head"))
        session.execute(update(Task).where(Task.id == ids[2]).values(assignee="edu_supervisor"))
    page = login(app.test_client(), "edu_supervisor").get("/team").data.decode()
    workload = page.split('class="members"')[1].split("</table>")[0]
    order = re.findall(r'data-user="([^"]+)">(\d+)<', workload)
    counts = [int(n) for _, n in order]
    assert order[:2] == [("edu_head", "2"), ("edu_supervisor", "1")] and counts == sorted(counts, reverse=True)
    idle = [name for name, n in order if n == "0"]
    names = re.findall(r"<tr><td>([^<]*)</td>", workload)[2:]
    assert len(idle) == len(names) and names == sorted(names)


def test_an_outsiders_crafted_batch_learns_nothing_of_other_departments_steps(app, world):
    """A supervisor of another department who posts this department's step ids (open, closed, with a holder) was told
    each step's case key, its name and whether it was still open (found by a hostile review): such a step now reads as
    no step at all, as a made-up id does, and nothing moves."""
    outs = open_inquiries(world, 2)
    ids = [o.opened[0]["id"] for o in outs]
    with world.rt.db.write() as session:
        session.execute(update(Task).where(Task.id == ids[0]).values(state="completed"))
        session.execute(update(Task).where(Task.id == ids[1]).values(assignee="edu_reviewer"))
    outsider = login(app.test_client(), "psb_supervisor")
    page = outsider.post("/team/reassign", data={"task_id": ids, "to_user": "psb_reviewer", "reason": "x"},
                         follow_redirects=True).data.decode()
    refused = re.search(r'<div class="flash error"[^>]*>([^<]*)</div>', page).group(1)
    assert refused.startswith("2项任务未改派："), refused
    for out in outs:
        assert out.business_key not in page
    assert "edu_reviewer" not in refused and "EDU" not in refused and "教育" not in refused, refused
    with world.rt.db.read() as session:
        assert [session.get(Task, i).assignee for i in ids] == [None, "edu_reviewer"]



def test_a_reassignment_reason_is_checked_like_every_other_reason(app, world):
    """A batch's reason went into every step's audit entry and the page's address unchecked: any length, hidden
    text-direction marks included (found by a hostile review); it is refused as a transfer's reason is."""
    ids = [o.opened[0]["id"] for o in open_inquiries(world, 2)]
    chief = login(app.test_client(), "edu_supervisor")
    for reason in ("出差" * 300, "出差\u202e代办"):
        page = chief.post("/team/reassign", data={"task_id": ids, "to_user": "edu_reviewer", "reason": reason},
                          follow_redirects=True).data.decode()
        assert 'class="flash error"' in page and 'class="flash success"' not in page
    with world.rt.db.read() as session:
        assert {session.get(Task, i).assignee for i in ids} == {None}
        assert session.execute(select(AuditEntry).where(AuditEntry.event == "task_reassigned")).first() is None


def test_a_refused_batch_comes_back_to_a_page_the_server_takes(app, world):
    """What a refused batch keeps (the steps that stayed, the member, the reason) travels in the team page's address:
    a crafted step id of 100,000 characters or a reason of 3,000 came back in it whole, an address longer than the
    server reads (gunicorn: 8,190 bytes a request line), so the supervisor got an error instead of the page; a crafted
    member's name of 5,000 characters was repeated whole in the refusal, which travels in the session cookie (a
    browser drops a cookie over 4 KB). Only the steps that exist are kept selected, the address stays within what the
    server reads, and a name longer than any user's is shortened in the refusal."""
    ids = [o.opened[0]["id"] for o in open_inquiries(world, 2)]
    chief = login(app.test_client(), "edu_supervisor")
    for data in ({"task_id": ["y" * 100_000, ids[0]], "to_user": "psb_reviewer", "reason": "x"},
                 {"task_id": ids, "to_user": "edu_reviewer", "reason": "出差" * 1500},
                 {"task_id": ids, "to_user": "".join(chr(0x4E00 + i) for i in range(5000)), "reason": "x"}):
        back = chief.post("/team/reassign", data=data)
        assert back.status_code == 302 and len(back.headers["Location"]) < 8000, len(back.headers["Location"])
        assert len(back.headers.get("Set-Cookie", "")) < 4096, "the refusal travels in the session cookie"
        page = chief.get(back.headers["Location"]).data.decode()
        assert re.search(rf'value="{ids[0]}"[^>]*checked', page), "the real step stays selected"
    with world.rt.db.read() as session:
        assert {session.get(Task, i).assignee for i in ids} == {None}


def test_a_step_is_not_reassigned_to_its_signer_after_and_the_page_says_why(app, world):
    (step,) = [o.opened[0]["id"] for o in open_inquiries(world, 1)]
    reviewer = login(app.test_client(), "edu_reviewer")
    assert reviewer.post(f"/tasks/{step}/signers", data={"signer-to": "edu_supervisor", "signer-position": "after",
                                                          "signer-reason": "请科长签字"}).status_code == 302
    chief = login(app.test_client(), "edu_supervisor")
    page = chief.post("/team/reassign", data={"task_id": step, "to_user": "edu_supervisor", "reason": "我来办"},
                      follow_redirects=True).data.decode()
    assert "是“撰写函询”的后加签人，不能接手办理；请先减签" in page
    with world.rt.db.read() as session:
        assert session.get(Task, step).assignee == "edu_reviewer"
