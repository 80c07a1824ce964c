"""The official calendar's coverage: which years are confirmed, a due date in a guessed year is provisional, and
importing the year's notice moves the open due dates that count working days (and only those)."""
from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from engine import calendar_notices, cases, repository, timers
from engine.calendar import WorkCalendar, package_years
from engine.errors import InvalidInput
from engine.models import AuditEntry, Case, Task
from engine.runtime import Runtime
from tests.factories import SYSTEM, bpmn, make_users

CST = ZoneInfo("Asia/Shanghai")
NOTICE_2027 = """year = 2027
source = "国务院办公厅关于2027年部分节假日安排的通知（试）"
[holidays]
"2027-01-01" = "元旦"
"2027-01-03" = "元旦"
[workdays]
"2027-01-02" = "元旦调休上班"
""".encode()

BODY = """
  <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="split"/>
  <bpmn:parallelGateway id="split"/>
  <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="check"/>
  <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="notify"/>
  <bpmn:userTask id="check" name="核验" camunda:dueDate="workdays(5)"/>
  <bpmn:boundaryEvent id="escalate" name="超期上报" attachedToRef="check" cancelActivity="false">
    <bpmn:extensionElements><camunda:properties><camunda:property name="sla" value="escalation"/></camunda:properties></bpmn:extensionElements>
    <bpmn:timerEventDefinition><bpmn:timeDuration>workdays(5)</bpmn:timeDuration></bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:sequenceFlow id="f4" sourceRef="escalate" targetRef="escalated"/><bpmn:endEvent id="escalated"/>
  <bpmn:userTask id="notify" name="送达" camunda:dueDate="P10D"/>
  <bpmn:sequenceFlow id="f5" sourceRef="check" targetRef="join"/>
  <bpmn:sequenceFlow id="f6" sourceRef="notify" targetRef="join"/>
  <bpmn:parallelGateway id="join"/><bpmn:sequenceFlow id="f7" sourceRef="join" targetRef="e"/><bpmn:endEvent id="e"/>"""


def at(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=CST)


def _due(rt, case_id, element):
    with rt.db.read() as session:
        return session.execute(select(Task.due_at).where(Task.case_id == case_id, Task.element_id == element)).scalar_one()


def _events(rt, name):
    with rt.db.read() as session:
        return [json.loads(e.details) for e in session.execute(
            select(AuditEntry).where(AuditEntry.event == name).order_by(AuditEntry.seq)).scalars()]


def test_the_package_confirms_its_own_years_only():
    cal = WorkCalendar()
    assert 2026 in package_years() and cal.confirmation(2026) == "package"
    assert cal.confirmation(2099) is None and not cal.is_confirmed(date(2099, 3, 1))
    assert cal.is_confirmed(None)
    assert WorkCalendar(confirmed_years=frozenset({2099})).confirmation(2099) == "override"
    assert cal.holiday_name(date(2026, 2, 17)) == "春节"


def test_a_due_date_crossing_into_an_unconfirmed_year_is_provisional_until_the_notice_moves_it(rt):
    make_users(rt)
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"cross.bpmn": bpmn("cross", BODY, {"EDU": [
            "s", "split", "check", "escalate", "escalated", "notify", "join", "e"]})})
    # Monday 28 December 2026 10:00: five working days (New Year's Day off, the weekend guessed off) end on
    # Tuesday 5 January 2027 10:00, a year the holidays package only guesses
    with time_machine.travel(at("2026-12-28", 10), tick=False), rt.db.write() as session:
        out = cases.start(session, rt, SYSTEM, "cross", {}, business_key="X1")
    assert _due(rt, out.case_id, "check") == at("2027-01-05", 10)
    notify_due = _due(rt, out.case_id, "notify")
    assert not rt.calendar.is_confirmed(_due(rt, out.case_id, "check"))
    with rt.db.read() as session:
        assert [(g.year, g.open_due) for g in calendar_notices.gaps(session, rt.calendar, at("2026-12-28", 11))] == [(2027, 2)]
    # the notice comes: Saturday 2 January is a make-up working day, so the step is due a day earlier, and so is
    # its escalation; the ten calendar days of the other step do not move
    notice = calendar_notices.parse("2027.toml", NOTICE_2027)
    with time_machine.travel(at("2026-12-29", 9), tick=False):
        done = calendar_notices.import_notice(rt, SYSTEM, notice)
    assert (done.year, done.replaced, done.cases, done.moved) == (2027, False, 1, 2)
    assert _due(rt, out.case_id, "check") == at("2027-01-04", 10)
    assert _due(rt, out.case_id, "notify") == notify_due
    assert rt.calendar.is_confirmed(at("2027-01-04", 10)) and rt.calendar.confirmation(2027) == "notice"
    with rt.db.read() as session:
        assert session.get(Case, out.case_id).next_due_at == at("2027-01-04", 10)
        assert calendar_notices.gaps(session, rt.calendar, at("2026-12-29", 9)) == []
    (imported,) = _events(rt, "calendar_notice_imported")
    assert (imported["year"], imported["holidays"], imported["workdays"], imported["replaced"]) == (2027, 2, 1, False)
    (moved,) = _events(rt, "due_dates_recomputed")
    assert sorted(m["element"] for m in moved["moved"]) == ["check", "escalate"]
    assert {m["to"] for m in moved["moved"]} == {at("2027-01-04", 10).isoformat()}
    # the escalation fires at its new time
    with time_machine.travel(at("2027-01-04", 10, 1), tick=False):
        timers.sweep(rt, SYSTEM)
    assert _events(rt, "escalation")
    # importing the same notice again replaces it and moves nothing
    with time_machine.travel(at("2026-12-30", 9), tick=False):
        again = calendar_notices.import_notice(rt, SYSTEM, notice)
    assert (again.replaced, again.cases, again.moved) == (True, 0, 0)


def test_another_process_takes_an_imported_notice(rt):
    other = Runtime(rt.db)
    assert other.calendar.confirmation(2027) is None
    calendar_notices.import_notice(rt, SYSTEM, calendar_notices.parse("n.toml", NOTICE_2027))
    with rt.db.read() as session:
        other.refresh_calendar(session)  # read once at its first use
        assert other.calendar.confirmation(2027) == "notice" and other.calendar.is_workday(date(2027, 1, 2))
        assert other.calendar.holiday_name(date(2027, 1, 3)) == "元旦"


@pytest.mark.parametrize("content, message", [
    (b"year = 2027\nsource = 'x'\n[holidays]\n'2028-01-01' = 'a'\n", "[holidays] 2028-01-01 is not in 2027"),
    (b"year = 2027\nsource = 'x'\n[holidays]\n'2027-01-01' = 'a'\n[workdays]\n'2027-01-01' = 'b'\n",
     "2027-01-01 is both a holiday and a working day"),
    (b"year = 2027\nsource = 'x'\n[holidays]\n'2027-01-01' = 'a'\n[workdays]\n'2027-01-04' = 'b'\n",
     "[workdays] 2027-01-04 is a Monday, already a working day"),
    (b"year = 2027\nsource = 'x'\n[holidays]\n'2027-13-01' = 'a'\n", "[holidays] '2027-13-01' is not a date"),
    (b"year = 2027\nsource = 'x'\n", "[holidays] lists no day off"),
    (b"year = 'next'\n", "year must be a year"),
    (b"year = 2027\n", "source must name the notice"),
    (b"year = 2027\nsource = 'x'\nextra = 1\n", "unknown key 'extra'"),
    (b"year = 2027\nsource = 'x'\n[holidays]\n'2027-01-01' = ''\n", "[holidays] 2027-01-01 needs a name"),
    (b"year = = 2027", "not valid TOML"),
    (b"\xff\xfe", "not UTF-8 text"),
])
def test_a_bad_notice_is_refused_by_name(content, message):
    with pytest.raises(InvalidInput) as caught:
        calendar_notices.parse("2027.toml", content)
    assert caught.value.message.startswith("2027.toml: ") and message in caught.value.message


def test_a_json_notice_reads_like_a_toml_one():
    notice = calendar_notices.parse("2027.json", json.dumps({"year": 2027, "source": "通知", "holidays": {
        "2027-01-01": "元旦"}, "workdays": {"2027-01-02": "调休"}}, ensure_ascii=False).encode())
    assert notice.year == 2027 and notice.is_workday(date(2027, 1, 2)) and not notice.is_workday(date(2027, 1, 1))
    with pytest.raises(InvalidInput, match="not valid JSON"):
        calendar_notices.parse("2027.json", b"{year: 2027")


def test_a_years_exceptions_are_listed(rt):
    calendar_notices.import_notice(rt, SYSTEM, calendar_notices.parse("n.toml", NOTICE_2027))
    listed = [(x.day.isoformat(), x.working, x.name) for x in calendar_notices.exceptions(rt.calendar, 2027)]
    assert listed == [("2027-01-01", False, "元旦"), ("2027-01-02", True, "元旦调休上班")]


def test_the_calendar_commands(db_url, tmp_path, capsys):
    from engine.cli import main

    def run(*args):
        code = main(["--db", db_url, *args])
        out = capsys.readouterr()
        return code, out.out + out.err

    assert main(["--db", db_url, "init-db"]) == 0
    capsys.readouterr()
    code, text = run("calendar", "show", "2099")
    assert code == 0 and text.startswith("2099: NOT confirmed")
    bad = tmp_path / "2027.toml"
    bad.write_bytes(NOTICE_2027.replace(b'"2027-01-02"', b'"2027-01-04"'))
    code, text = run("calendar", "import", str(bad))
    assert code == 1 and "error: 2027.toml: [workdays] 2027-01-04 is a Monday" in text and "Traceback" not in text
    good = tmp_path / "notice.toml"
    good.write_bytes(NOTICE_2027)
    code, text = run("calendar", "import", str(good), "--user", "")
    assert code == 0 and "2027: imported the notice (2 days off, 1 make-up working days" in text
    code, text = run("calendar", "show", "2027")
    assert code == 0 and "2027: confirmed: the official notice imported here" in text
    assert "2027-01-02 Sat  working day 元旦调休上班" in text
    code, text = run("calendar", "import", str(tmp_path / "missing.toml"))
    assert code == 1 and "missing.toml" in text
