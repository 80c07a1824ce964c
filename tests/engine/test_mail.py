"""Mail through a real SMTP server (aiosmtpd on a local port): an urge and a send-back arrive once each,
in Chinese with the English version, without personal data; two workers never send a mail twice; a
server that is down delays mail (retried with back-off) and never blocks a case; digests go once a day."""
from __future__ import annotations

import re
import socket
import threading
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from engine import mail, sendback, urges
from engine.models import MailOut, User
from factories import complete, deploy_fixtures, make_users, opened, start


class Inbox:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    inbox = Inbox()
    for attempt in range(5):  # a free local port for the server; another one if it was taken meanwhile
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        try:
            controller.start()
            break
        except (OSError, RuntimeError):
            if attempt == 4:
                raise
    monkeypatch.setenv("JOINTREVIEW_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("JOINTREVIEW_SMTP_PORT", str(port))
    monkeypatch.setenv("JOINTREVIEW_MAIL_FROM", "noreply@jointreview.local")
    yield inbox
    controller.stop()


@pytest.fixture
def users(rt):
    deploy_fixtures(rt, "send_back.bpmn")
    made = make_users(rt)
    with rt.db.write() as session:
        for name in ("psb_reviewer", "psb_chief", "edu_reviewer"):
            session.execute(update(User).where(User.username == name).values(email=f"{name}@gov.example"))
    return made


def urge_psb(rt, users):
    first = start(rt, "send_back", {"signers": ["a"], "applicant_id": "110101200001011234"})
    out = complete(rt, users["edu_reviewer"], opened(first)["intake"], {"household": "本市户籍"})
    with rt.db.write() as session:
        urges.urge(session, users["edu_reviewer"], opened(out)["psb_check"], "家长在窗口等候")
    return out


def test_an_urge_arrives_once_per_reader_in_both_languages(rt, users, smtp):
    out = urge_psb(rt, users)
    assert mail.send_due(rt.db) == (2, 0)
    assert mail.send_due(rt.db) == (0, 0)  # nothing twice
    to = sorted(rcpt for rcpts, _ in smtp.messages for rcpt in rcpts)
    assert to == ["psb_chief@gov.example", "psb_reviewer@gov.example"]
    message = smtp.messages[0][1]
    body = message.get_content()
    assert message["Subject"].startswith("【联审平台】") and "催办" in message["Subject"]
    assert out.business_key in body and "户籍核查" in body and "urges" in body
    assert "edu_reviewer（教育局）催办" in body and "edu_reviewer (Education Bureau) urges" in body  # from another department
    assert "110101200001011234" not in body and "家长在窗口等候" not in body  # no personal data, no free text


def test_preferences_choose_kinds_or_turn_mail_off(rt, users, smtp):
    with rt.db.write() as session:
        session.execute(update(User).where(User.username == "psb_chief").values(mail_on=False))
        session.execute(update(User).where(User.username == "psb_reviewer").values(mail_kinds="sent_back"))
    urge_psb(rt, users)
    assert mail.send_due(rt.db) == (0, 0) and smtp.messages == []


def test_two_workers_send_each_mail_once(rt, users, smtp):
    for _ in range(3):
        urge_psb(rt, users)
    results = []
    threads = [threading.Thread(target=lambda: results.append(mail.send_due(rt.db))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(r[0] for r in results) == 6 and len(smtp.messages) == 6
    assert len({m["Message-ID"] for _, m in smtp.messages}) == 6


def test_a_server_that_is_down_delays_mail_but_never_a_case(rt, users, monkeypatch):
    monkeypatch.setenv("JOINTREVIEW_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("JOINTREVIEW_SMTP_PORT", "1")  # nothing listens there
    out = urge_psb(rt, users)
    assert mail.send_due(rt.db) == (0, 2)
    with rt.db.read() as session:
        rows = list(session.execute(select(MailOut)).scalars())
    assert all(r.sent_at is None and r.attempts == 1 and r.last_error for r in rows)
    assert min(r.due_at for r in rows) > datetime.now(timezone.utc)  # retried later
    with rt.db.write() as session:
        target = sendback.targets(session, rt, users["psb_reviewer"], opened(out)["psb_check"])[0]
    with rt.db.write() as session:  # the case goes on
        back = sendback.send_back(session, rt, users["psb_reviewer"], opened(out)["psb_check"], target.task_id, "退回")
    assert back.status == "running"


def test_a_digest_reader_gets_one_mail_a_day(rt, users, smtp):
    with rt.db.write() as session:
        session.execute(update(User).where(User.username == "psb_reviewer").values(mail_digest=True))
    urge_psb(rt, users)
    morning = datetime.now(timezone.utc).replace(hour=1, minute=0) - timedelta(days=1)  # 09:00 in Shanghai, yesterday
    with rt.db.write() as session:
        assert mail.queue_digests(session, rt.calendar.tz, morning) == 1
    with rt.db.write() as session:
        assert mail.queue_digests(session, rt.calendar.tz, morning + timedelta(hours=3)) == 0
    mail.send_due(rt.db)
    subjects = sorted(m["Subject"] for _, m in smtp.messages)
    assert len(subjects) == 2 and any("每日消息摘要" in s for s in subjects)  # the chief's urge and the digest


def test_a_mail_marked_sent_only_after_a_lock_goes_once_and_keeps_its_message_id(rt, users, smtp, monkeypatch):
    """The SMTP server took the mails, then marking them sent met another writer's lock: `worker --once` tries
    the mark again, never the sending; and a mail sent again after a dead worker's lease keeps its Message-ID."""
    from contextlib import contextmanager

    from engine import retries, timers
    from engine.errors import Conflict

    urge_psb(rt, users)
    monkeypatch.setattr(retries, "BACKOFF", 0.01)
    real, writes = rt.db.write, []

    @contextmanager
    def marking_meets_a_lock():
        writes.append(1)
        if len(writes) == 2:  # the write after the send: another worker holds the lock
            raise Conflict("another action changed the same data at the same moment; nothing was saved")
        with real() as session:
            yield session

    monkeypatch.setattr(rt.db, "write", marking_meets_a_lock)
    result = timers.SweepResult()
    timers._once(result, "sending mail", lambda: mail.send_due(rt.db))
    monkeypatch.setattr(rt.db, "write", real)
    assert result.failed == 0 and len(smtp.messages) == 2
    with rt.db.read() as session:
        assert None not in session.execute(select(MailOut.sent_at)).scalars().all()
    assert mail.send_due(rt.db, now=datetime.now(timezone.utc) + timedelta(hours=1)) == (0, 0), "nothing goes twice"
    ids = {m["Message-ID"] for _, m in smtp.messages}
    with rt.db.write() as session:  # a worker died after the server took the mails: they go again after the lease
        session.execute(update(MailOut).values(sent_at=None, due_at=datetime.now(timezone.utc)))
    mail.send_due(rt.db)
    assert {m["Message-ID"] for _, m in smtp.messages[2:]} == ids, "the copy has the Message-ID mail systems drop"


def _outbox(rt, *rows):
    """Mails put in the outbox as they are (to, subject, dedupe), all due now."""
    now = datetime.now(timezone.utc)
    with rt.db.write() as session:
        for to, subject, dedupe in rows:
            session.add(MailOut(dedupe=dedupe, to_address=to, subject=subject, body="正文", created_at=now, due_at=now,
                                attempts=0))


def test_a_mail_whose_header_cannot_be_written_is_set_aside_and_the_others_go(rt, users, smtp):
    """A mail address holding a line break (stored before it was refused) made every round of the sending fail
    before anything went: no mail went to anyone, ever. That mail is given up, saying why; the others go."""
    _outbox(rt, ("psb_chief@gov.example\nBcc: spy@evil.example", "【联审平台】一", "notice:1"),
            ("psb_reviewer@gov.example", "【联审平台】二", "notice:2"))
    assert mail.send_due(rt.db) == (1, 1)
    assert [rcpts for rcpts, _ in smtp.messages] == [["psb_reviewer@gov.example"]]
    with rt.db.read() as session:
        bad = session.execute(select(MailOut).where(MailOut.dedupe == "notice:1")).scalar_one()
    assert bad.failed_at is not None and bad.sent_at is None and "line" in bad.last_error.lower()
    assert mail.send_due(rt.db, now=datetime.now(timezone.utc) + timedelta(days=1)) == (0, 0)  # not tried again


def test_a_step_name_of_two_lines_makes_a_one_line_subject(rt, users, smtp):
    """bpmn-js writes a step's name typed on two lines with a line break (&#10;): the subject reads it as one line."""
    _outbox(rt, ("psb_reviewer@gov.example", "【联审平台】A-1“户籍\n核查”已到达，请及时办理", "notice:3"))
    assert mail.send_due(rt.db) == (1, 0)
    assert smtp.messages[0][1]["Subject"] == "【联审平台】A-1“户籍 核查”已到达，请及时办理"


@pytest.mark.parametrize("address", ["psb@gov.example\nBcc:spy@evil.example", "psb@gov.example\rX:1",
                                     "psb@gov.example\tx", "psb@gov.example,spy.example"])
def test_a_mail_address_with_a_line_break_or_a_list_is_refused(rt, users, address):
    from engine.errors import InvalidInput

    with rt.db.write() as session, pytest.raises(InvalidInput):
        mail.set_preferences(session, "psb_reviewer", address, True, [], False)
    with rt.db.read() as session:
        assert session.execute(select(User.email).where(User.username == "psb_reviewer")).scalar_one() == \
            "psb_reviewer@gov.example"


def test_digests_of_users_whose_names_differ_only_in_punctuation_or_script_have_their_own_message_ids(rt, users, smtp):
    """The Message-ID made every character but letters, digits, . and - a dot: zhang_san's and zhang.san's digests
    (or 张三's and 李四's) written at one moment had the same one, and mail systems drop the second as a copy."""
    now = datetime.now(timezone.utc)
    with rt.db.write() as session:
        for name in ("zhang_san", "zhang.san", "张三", "李四"):
            session.add(MailOut(dedupe=f"digest:{name}:2026-11-30", to_address=f"u{len(name)}@gov.example",
                                subject="【联审平台】每日消息摘要", body="正文", created_at=now, due_at=now, attempts=0))
    assert mail.send_due(rt.db) == (4, 0)
    ids = [m["Message-ID"].strip() for _, m in smtp.messages]
    assert len(ids) == 4 and len(set(ids)) == 4
    assert all(re.fullmatch(r"<[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[a-z.]+>", i)
               for i in ids), ids  # RFC 5322 dot-atoms: no two dots together


@pytest.mark.parametrize("address", ["@gov.example", "psb@.example", "psb@gov.", "psb@gov..example", ".psb@gov.example",
                                     "psb@gov\\.example", "<psb@gov.example", "psb@gov.example>", "psb@gov.example:",
                                     '"psb"@gov.example', "psb(chief)@gov.example", "psb@[10.0.0.1]",
                                     "psb@gov.example\u200b"])
def test_an_address_a_mail_header_reads_otherwise_is_refused(rt, users, address):
    """An address passed the shape check that a mail's To header reads as another address or none (`psb@gov\\.example`
    went to psb@gov, `@gov.example` to <>, refused by the server and tried ten times): it is refused, naming it."""
    from engine.errors import InvalidInput

    with rt.db.write() as session, pytest.raises(InvalidInput) as refused:
        mail.set_preferences(session, "psb_reviewer", address, True, [], False)
    assert refused.value.fields["email"].code == "mail_not_address"
    with rt.db.read() as session:
        assert session.execute(select(User.email).where(User.username == "psb_reviewer")).scalar_one() == \
            "psb_reviewer@gov.example"


@pytest.mark.parametrize("address", ["zhang.san@edu.hz.gov.cn", "a+b@x.example", "张三@教育局.中国"])
def test_an_ordinary_address_is_kept(rt, users, address):
    with rt.db.write() as session:
        mail.set_preferences(session, "psb_reviewer", address, True, [], False)
    with rt.db.read() as session:
        assert session.execute(select(User.email).where(User.username == "psb_reviewer")).scalar_one() == address


def test_a_stored_address_the_header_reads_otherwise_is_given_up_and_the_others_go(rt, users, smtp):
    """One stored before such addresses were refused is given up at once, saying why, not sent to another address."""
    _outbox(rt, ("psb_chief@gov\\.example", "【联审平台】一", "notice:1"), ("@gov.example", "【联审平台】二", "notice:2"),
            ("psb_reviewer@gov.example", "【联审平台】三", "notice:3"))
    assert mail.send_due(rt.db) == (1, 2)
    assert [rcpts for rcpts, _ in smtp.messages] == [["psb_reviewer@gov.example"]]
    with rt.db.read() as session:
        given_up = session.execute(select(MailOut).where(MailOut.dedupe.in_(["notice:1", "notice:2"]))).scalars().all()
    assert all(m.failed_at is not None and m.sent_at is None and "address" in m.last_error for m in given_up)


def test_a_digest_for_a_reader_who_chose_english_is_in_english_first(rt, users):
    """A notice's mail to a reader who chose English came with an English subject and the English part first; their
    daily digest still came with the Chinese subject, the Chinese list first."""
    with rt.db.write() as session:
        session.execute(update(User).where(User.username == "psb_reviewer").values(mail_digest=True, language="en"))
    urge_psb(rt, users)
    morning = datetime.now(timezone.utc).replace(hour=1, minute=0) - timedelta(days=1)  # 09:00 in Shanghai, yesterday
    with rt.db.write() as session:
        assert mail.queue_digests(session, rt.calendar.tz, morning) == 1
        row = session.execute(select(MailOut).where(MailOut.dedupe.like("digest:%"))).scalar_one()
        assert row.subject.startswith("[JointReview]") and "每日" not in row.subject
        assert row.body.index("You have 1 unread notices") < row.body.index("您有1条未读消息")
