"""催办: who may urge, once every four hours per person and task; the holder (or, unclaimed, the members
who may take it) is notified; urges are counted per task and per department."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine import notices, urges
from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.models import Task
from engine.routing import add_user, load_actor
from factories import claim, complete, deploy_fixtures, make_users, opened, start


@pytest.fixture
def users(rt):
    deploy_fixtures(rt, "send_back.bpmn")
    return make_users(rt)


def urge(rt, actor, task_id, note="", now=None, per_hour=urges.PER_HOUR):
    with rt.db.write() as session:
        return urges.urge(session, actor, task_id, note, now, per_hour)


def test_a_department_taking_part_urges_and_the_members_who_may_take_it_hear_of_it(rt, users):
    first = start(rt, "send_back", {"signers": ["a"]})
    out = complete(rt, users["edu_reviewer"], opened(first)["intake"], {"household": "本市户籍"})
    psb = opened(out)["psb_check"]
    assert urge(rt, users["edu_reviewer"], psb, "家长在窗口等候") == 1
    with rt.db.read() as session:
        assert notices.unread(session, "psb_reviewer") == 1 and notices.unread(session, "psb_chief") == 1
        assert notices.unread(session, "hud_reviewer") == 0
        assert urges.count(session, out.case_id, psb) == 1
        now = datetime.now(timezone.utc)
        assert urges.by_department(session, now - timedelta(days=1), now + timedelta(days=1)) == {"PSB": 1}
    with pytest.raises(Conflict, match="it can be urged again from"):
        urge(rt, users["edu_reviewer"], psb)
    later = datetime.now(timezone.utc) + timedelta(hours=5)
    claim(rt, users["psb_reviewer"], psb)
    assert urge(rt, users["edu_reviewer"], psb, now=later) == 2
    with rt.db.read() as session:  # claimed: only its holder hears of it now
        assert notices.unread(session, "psb_reviewer") == 2 and notices.unread(session, "psb_chief") == 1
        assert notices.mark_read(session, "psb_reviewer") == 2


def test_who_may_not_urge(rt, users):
    first = start(rt, "send_back", {"signers": ["a"]})
    intake = opened(first)["intake"]
    with pytest.raises(PermissionDenied):
        urge(rt, users["hud_reviewer"], intake)  # HUD takes no part in the case
    with pytest.raises(PermissionDenied):
        urge(rt, users["edu_reviewer2"], intake)  # a reviewer of the same department is no supervisor
    assert urge(rt, users["edu_chief"], intake) == 1
    with rt.db.read() as session:  # the chief urging an unclaimed step of their own department
        assert notices.unread(session, "edu_reviewer") == 1
        assert notices.unread(session, "edu_chief") == 0, "the urger is not notified of their own urge"
    complete(rt, users["edu_reviewer"], intake, {})
    with pytest.raises(PermissionDenied) as refused:  # an outsider learns nothing of the step, open or finished
        urge(rt, users["hud_reviewer"], intake, now=datetime.now(timezone.utc) + timedelta(hours=5))
    assert "受理" not in str(refused.value) and "EDU" not in str(refused.value), "the API's 403 named step and department"


def test_a_finished_step_is_not_urged_and_nothing_changes(rt, users):
    first = start(rt, "send_back", {"signers": ["a"]})
    intake = opened(first)["intake"]
    complete(rt, users["edu_reviewer"], intake, {})
    with pytest.raises(Conflict, match="already finished; there is nothing to urge") as info:
        urge(rt, users["edu_chief"], intake, "请尽快")
    assert info.value.message.code == "urge_finished"
    with rt.db.read() as session:
        assert urges.count(session, first.case_id, intake) == 0 and notices.unread(session, "edu_reviewer") == 0


def test_one_person_urges_at_most_the_configured_number_of_steps_an_hour(rt, users):
    """Each step may be urged once every four hours, but nothing kept one person from urging every open step of
    the office in one go: a limit per person and hour, naming itself and when urging is possible again."""
    intakes = [opened(start(rt, "send_back", {"signers": ["a"]}))["intake"] for _ in range(3)]
    chief, now = users["edu_chief"], datetime.now(timezone.utc)
    assert urge(rt, chief, intakes[0], now=now, per_hour=2) == 1
    assert urge(rt, chief, intakes[1], now=now + timedelta(minutes=10), per_hour=2) == 1
    with pytest.raises(Conflict) as info:
        urge(rt, chief, intakes[2], now=now + timedelta(minutes=20), per_hour=2)
    lifts = (now + timedelta(hours=1)).isoformat(timespec="minutes")
    assert info.value.message.code == "urge_limit" and info.value.message.params["limit"] == 2
    assert "has urged 2 steps within the last hour" in str(info.value) and lifts in str(info.value)
    with rt.db.write() as session:
        add_user(session, "edu_chief2", "edu_chief2", memberships={"EDU": "supervisor"})
    with rt.db.read() as session:
        other = load_actor(session, "edu_chief2")
    assert urge(rt, other, intakes[2], now=now + timedelta(minutes=20), per_hour=2) == 1  # the limit is each person's
    with rt.db.read() as session:
        tasks = [session.get(Task, t) for t in intakes]
        waits = urges.next_urges(session, chief, tasks, now + timedelta(minutes=20), per_hour=2)
        assert waits == {intakes[0]: now + urges.GAP, intakes[1]: now + timedelta(minutes=10) + urges.GAP,
                         intakes[2]: now + timedelta(hours=1)}  # not urged by them: when the limit lifts
        assert urges.next_urges(session, chief, tasks, now + timedelta(minutes=20), per_hour=3) == {
            intakes[0]: now + urges.GAP, intakes[1]: now + timedelta(minutes=10) + urges.GAP}
    assert urge(rt, chief, intakes[2], now=now + timedelta(hours=1, minutes=1), per_hour=2) == 2  # the first left


def test_the_limit_is_configured_in_the_environment(monkeypatch, db):
    from engine.config import Settings, make_runtime
    from engine.errors import EngineError
    monkeypatch.setenv("JOINTREVIEW_URGES_PER_HOUR", "5")
    assert make_runtime(Settings.from_env(), db).urges_per_hour == 5
    monkeypatch.delenv("JOINTREVIEW_URGES_PER_HOUR")
    assert Settings.from_env().urges_per_hour == urges.PER_HOUR
    for bad in ("0", "-3", "lots", "²", "５"):  # superscript and full-width digits are digits to str.isdigit
        monkeypatch.setenv("JOINTREVIEW_URGES_PER_HOUR", bad)
        with pytest.raises(EngineError, match="JOINTREVIEW_URGES_PER_HOUR must be a whole number of at least 1"):
            Settings.from_env()


def test_a_send_back_notifies_the_step_it_goes_back_to(rt, users):
    from engine import sendback
    first = start(rt, "send_back", {"signers": ["a"]})
    out = complete(rt, users["edu_reviewer"], opened(first)["intake"], {"household": "本市户籍"})
    psb = opened(out)["psb_check"]
    with rt.db.write() as session:
        target = sendback.targets(session, rt, users["psb_reviewer"], psb)[0]
    with rt.db.write() as session:
        sendback.send_back(session, rt, users["psb_reviewer"], psb, target.task_id, "户籍信息有误")
    with rt.db.read() as session:
        [notice] = notices.recent(session, "edu_reviewer")
        assert notice.kind == "sent_back" and "户籍信息有误" in notice.details


def test_the_node_assessment_counts_the_urges_each_department_received(rt, users):
    from engine import assessment
    from engine.periods import parse_period
    first = start(rt, "send_back", {"signers": ["a"]})
    out = complete(rt, users["edu_reviewer"], opened(first)["intake"], {"household": "本市户籍"})
    urge(rt, users["edu_reviewer"], opened(out)["psb_check"])
    with rt.db.read() as session:
        period = parse_period(datetime.now(rt.calendar.tz).strftime("%Y-%m"))  # the office's month, not UTC's
        rows = {r["department"]: r for r in assessment.assess(session, period, ["EDU", "PSB"], rt.calendar.tz)["departments"]}
        other = {r["department"]: r for r in assessment.assess(session, period, ["PSB"], rt.calendar.tz,
                                                                 process="two_lane")["departments"]}
    assert rows["PSB"]["urges"] == 1 and rows["EDU"]["urges"] == 0 and other["PSB"]["urges"] == 0


@pytest.mark.parametrize("note", ["请尽快\u202e理办", "请\u200b尽快", "请尽快\x1b[2J"], ids=["override", "zero-width", "escape"])
def test_an_urge_note_that_would_not_read_as_written_is_refused(rt, users, note):
    """The note reaches the holders' notices and mail: a text-direction override reversed what they read, a zero-width
    space or an escape sequence hid what was sent (the forms refuse them; the urge took them; found by a hostile-input
    review)."""
    out = complete(rt, users["edu_reviewer"], opened(start(rt, "send_back", {"signers": ["a"]}))["intake"],
                   {"household": "本市户籍"})
    psb = opened(out)["psb_check"]
    with pytest.raises(InvalidInput) as info:
        urge(rt, users["edu_reviewer"], psb, note)
    assert info.value.fields == {"note": "contains control characters, invisible characters or hidden text-direction marks"}
    with rt.db.read() as session:
        assert urges.count(session, out.case_id, psb) == 0 and notices.unread(session, "psb_reviewer") == 0
    assert urge(rt, users["edu_reviewer"], psb, "请尽快办理\n家长在等") == 1  # lines stay


def test_two_urges_sent_at_the_same_moment_count_once(rt, users, monkeypatch):
    """Each read the person's last urge before either was written: both passed the four-hour check and the holders
    were notified twice (PostgreSQL; found by a hostile-input review)."""
    import threading

    from engine import audit
    out = complete(rt, users["edu_reviewer"], opened(start(rt, "send_back", {"signers": ["a"]}))["intake"],
                   {"household": "本市户籍"})
    psb = opened(out)["psb_check"]
    gate, real, said = threading.Barrier(2, timeout=3), audit.append, []

    def together(*args, **kwargs):  # both urges are about to be written
        try:
            gate.wait()
        except threading.BrokenBarrierError:
            pass
        return real(*args, **kwargs)

    monkeypatch.setattr(audit, "append", together)

    def send():
        try:
            said.append(urge(rt, users["edu_reviewer"], psb, "家长在窗口等候"))
        except Conflict:
            said.append("again")

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(said, key=str) == [1, "again"], said
    with rt.db.read() as session:
        assert urges.count(session, out.case_id, psb) == 1 and notices.unread(session, "psb_reviewer") == 1
