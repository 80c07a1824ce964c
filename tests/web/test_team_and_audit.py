"""Supervisor and auditor pages: workload, bulk reassignment with a reason, the audit log, chain
verification, CSV export and case search."""
import csv
import hashlib
import io
import json
import re
from datetime import datetime, timedelta, timezone

import time_machine
from sqlalchemy import bindparam, select, text, update

from conftest import login
from engine.audit import EXPORT_COLUMNS
from engine.models import AuditEntry, Task, User


def open_inquiries(world, count):
    return [world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
            for _ in range(count)]


def test_supervisor_sees_workload_and_bulk_reassigns_with_a_reason(app, world):
    outs = open_inquiries(world, 3)
    chief = login(app.test_client(), "edu_supervisor")
    page = chief.get("/team").data.decode()
    assert page.count("data-task=") == 3 and "edu_reviewer" in page
    ids = [o.opened[0]["id"] for o in outs[:2]]
    response = chief.post("/team/reassign", data={"task_id": ids, "to_user": "edu_reviewer", "reason": "张科员休假，临时代办"})
    assert response.status_code == 302
    with world.rt.db.read() as session:
        assert {session.get(Task, i).assignee for i in ids} == {"edu_reviewer"}
        reasons = [json.loads(e.details)["reason"] for e in session.execute(
            select(AuditEntry).where(AuditEntry.event == "task_reassigned")).scalars()]
    assert reasons == ["张科员休假，临时代办"] * 2
    page = chief.get("/team").data.decode()
    assert re.search(r'data-user="edu_reviewer">2<', page)
    refused = chief.post("/team/reassign", data={"task_id": ids, "to_user": "psb_reviewer", "reason": "x"}, follow_redirects=True)
    assert "不能办理" in refused.data.decode()
    assert login(app.test_client(), "edu_reviewer").get("/team").status_code == 403


def test_team_totals_count_every_open_step_and_the_list_pages_by_due_date(app, world):
    outs = open_inquiries(world, 103)
    late = [o.opened[0]["id"] for o in outs[:4]]
    with world.rt.db.write() as session:
        session.execute(text("UPDATE tasks SET due_at = '2020-01-06 09:00:00' WHERE id IN :ids")
                        .bindparams(bindparam("ids", expanding=True)), {"ids": late})
        session.execute(text("UPDATE tasks SET assignee = 'edu_reviewer' WHERE id = :id"), {"id": late[0]})
    chief = login(app.test_client(), "edu_supervisor")
    page = chief.get("/team").data.decode()
    assert re.search(r'id="total-open">103<', page) and re.search(r'id="total-overdue">4<', page)
    assert re.search(r'data-late="edu_reviewer">1<', page)
    first = re.findall(r'<tr data-task="([^"]+)"', page)
    assert len(first) == 100 and set(first[:4]) == set(late)  # the overdue ones first
    after = re.search(r'href="([^"]*after=[^"]+)"', page).group(1).replace("&amp;", "&")
    rest = re.findall(r'<tr data-task="([^"]+)"', chief.get(after).data.decode())
    assert len(rest) == 3 and not set(rest) & set(first)


def test_the_audit_log_filters_after_verifying_and_by_date_range(app, world):
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=timezone.utc), tick=False):
        march = open_inquiries(world, 1)[0]
    april = open_inquiries(world, 1)[0]
    auditor = login(app.test_client(), "auditor")
    page = auditor.post("/audit/verify").data.decode()
    assert 'action="/audit"' in page  # the filters go to the log, not back to the verification (was a 405)
    march_only = auditor.get("/audit?from=2026-03-01&to=2026-03-31").data.decode()
    assert march.business_key in march_only and april.business_key not in march_only
    assert "from=2026-03-01" not in auditor.get("/audit?from=2026-13-01").data.decode()
    assert "不是日期" in auditor.get("/audit?from=2026-13-01", follow_redirects=True).data.decode()
    late = auditor.get("/audit?from=2026-04-01").data.decode()
    assert april.business_key in late and march.business_key not in late


def test_auditor_reads_the_log_verifies_the_chain_and_exports(app, world):
    out = open_inquiries(world, 1)[0]
    auditor = login(app.test_client(), "auditor")
    page = auditor.get(f"/audit?key={out.business_key}").data.decode()
    assert "案件受理" in page and out.business_key in page
    verdict = auditor.post("/audit/verify").data.decode()
    assert verdict.count("审计日志完整") == 1 and 'id="verdict"' in verdict  # said once, not also as a flash
    csv_text = auditor.get("/audit/export.csv").data.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("序号,时间,经办人,部门") and out.business_key in csv_text
    with world.rt.db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
    assert "审计日志在第2条处被篡改：写入后内容被修改" in auditor.post("/audit/verify").data.decode()
    found = auditor.get(f"/audit/cases?key={out.business_key[:8]}&status=running").data.decode()
    assert out.business_key in found
    assert login(app.test_client(), "edu_reviewer").get("/audit").status_code == 403


def test_a_refused_reassignment_keeps_the_selection_and_reason(app, world):
    outs = open_inquiries(world, 2)
    ids = [o.opened[0]["id"] for o in outs]
    chief = login(app.test_client(), "edu_supervisor")
    page = chief.post("/team/reassign", data={"task_id": ids, "to_user": "psb_reviewer", "reason": "出差代办"},
                      follow_redirects=True).data.decode()
    assert 'value="出差代办"' in page
    assert all(re.search(rf'value="{i}"[^>]*checked', page) for i in ids)


def test_staff_without_a_department_land_on_their_own_page(app, world):
    assert login(app.test_client(), "auditor").get("/").headers["Location"].endswith("/audit")
    assert login(app.test_client(), "designer").get("/").headers["Location"].endswith("/designer")
    assert login(app.test_client(), "edu_reviewer").get("/").headers["Location"].endswith("/inbox")


def test_cases_at_a_standstill_are_listed_for_the_supervisors_who_answer_for_them(app, world):
    from sqlalchemy import update

    from engine.models import Case
    stuck = world.start("admission_review", world.person().admission())
    with world.rt.db.write() as session:  # as a case the process left with nothing open
        session.execute(update(Case).where(Case.id == stuck.case_id).values(status="stuck"))
    page = login(app.test_client(), "edu_supervisor").get("/team").data.decode()
    halted = page.split('id="halted"')[1].split("</section>")[0]
    assert stuck.business_key in halted and "积分入学联审" in halted and "停滞" in halted
    joint = login(app.test_client(), "joint_head").get("/team").data.decode()
    assert stuck.business_key in joint.split('id="halted"')[1], "the joint office oversees every case"
    other = login(app.test_client(), "hud_supervisor").get("/team").data.decode()
    assert 'id="halted"' not in other or stuck.business_key not in other.split('id="halted"')[1].split("</section>")[0]


def _chain_holds(rows: list[list[str]]) -> bool:
    """Check an export's hash chain as someone outside the system would (README: the audit export)."""
    previous = rows[0][9]
    for seq, at, actor, department, case_id, key, task_id, event, details, prev_hash, digest, *_ in rows:
        material = "\x1f".join([prev_hash, seq, at, actor, department, case_id, key, task_id, event, details])
        if prev_hash != previous or hashlib.sha256(material.encode("utf-8")).hexdigest() != digest:
            return False
        previous = digest
    return True


def test_the_csv_export_reads_in_chinese_and_its_chain_still_checks(app, world):
    out = open_inquiries(world, 1)[0]
    auditor = login(app.test_client(), "auditor")
    heading, *rows = list(csv.reader(io.StringIO(auditor.get("/audit/export.csv").data.decode("utf-8-sig"))))
    assert heading == ["序号", "时间", "经办人", "部门", "案件内部编号", "业务编号", "任务编号", "事件代码", "详情（原始记录）",
                       "上一条哈希值", "哈希值", "详情清除时间", "事件", "时间（北京时间）", "经办人姓名", "部门名称"]
    rows.reverse()  # the export lists the newest entry first, as the page does
    started = next(r for r in rows if r[5] == out.business_key and r[7] == "case_started")
    assert started[12] == "案件受理" and all(r[12] and r[12] != r[7] for r in rows)  # the page's words for every event
    at = datetime.fromisoformat(started[1].replace("Z", "+00:00"))
    assert started[13] == (at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S"), "the office's time beside the UTC"
    assert started[2] == "system:portal" and started[14] == "申请人（网上办理）"
    routed = next(r for r in rows if r[3] == "EDU")
    assert routed[15] == "教育局", routed
    with world.rt.db.write() as session:  # a name typed as a formula stays text in the readable columns
        session.execute(update(User).where(User.username == "auditor").values(display_name="=HYPERLINK(\"x\")"))
    _, *again = list(csv.reader(io.StringIO(auditor.get("/audit/export.csv").data.decode("utf-8-sig"))))
    assert "'=HYPERLINK(\"x\")" in {r[14] for r in again}
    assert _chain_holds(rows)  # every hashed field exactly as hashed, in the documented order
    tampered = [list(r) for r in rows]
    tampered[1][7] = "case_completed"
    assert not _chain_holds(tampered)
    auditor.post("/language", data={"language": "en"})
    heading, *english = list(csv.reader(io.StringIO(auditor.get("/audit/export.csv").data.decode("utf-8-sig"))))
    assert tuple(heading) == EXPORT_COLUMNS  # in English, the export as it always was
    assert all(len(r) == len(EXPORT_COLUMNS) for r in english)
    assert {r[0]: r for r in english if r[0] in {c[0] for c in rows}} == {r[0]: r[:12] for r in rows}


def test_a_hostile_page_cursor_on_the_audit_log_is_ignored_not_a_server_error(app, world):
    """?before= took any run of digits to the database: past 4300 digits Python refuses the number, past 19 the
    database does, and ² is a digit to str.isdigit but no number to int(): each was a 500 page."""
    open_inquiries(world, 1)
    auditor = login(app.test_client(), "auditor")
    for before in ("9" * 5000, "9" * 30, "²", "٣"):
        page = auditor.get(f"/audit?before={before}")
        assert page.status_code == 200, before[:12]


def test_the_audit_case_list_heads_its_start_column_as_a_moment(app, world):
    open_inquiries(world, 1)
    auditor = login(app.test_client(), "auditor")
    head = auditor.get("/audit/cases").data.decode().split("<thead>")[1].split("</thead>")[0]
    assert "<th>发起时间</th>" in head and "发起于" not in head, head
    auditor.post("/language", data={"language": "en"})
    assert "<th>Started</th>" in auditor.get("/audit/cases").data.decode().split("<thead>")[1].split("</thead>")[0]
