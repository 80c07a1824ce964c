"""Mail for notices: written to an outbox in the same transaction as the change, sent by the worker.

- Each notice becomes at most one mail (a unique key per notice), to users who gave an address, left mail
  on and chose that kind (or every kind); users who chose the daily digest get one mail a day instead.
- The worker takes due mails with `FOR UPDATE SKIP LOCKED` (a single writer on SQLite) and a lease, so two
  workers never send the same mail; a failed send is retried with back-off (1, 2, 4 … minutes, at most
  six hours apart) and given up after MAX_ATTEMPTS. A failed mail never blocks a case. Should a worker die
  after the SMTP server took a mail and before it was marked sent, the mail goes again after the lease:
  its Message-ID stays the same (made of the mail's own key and time), so mail systems can drop the copy. A
  mark that meets another writer's lock is tried again; the sending never is (the server has the mails).
- The text is Chinese with an English version below (English first, with an English subject, for a reader who
  chose English); it names the business key, the step (in English as the case's version names it, where the
  notice keeps what identifies the step) and who acted, never personal data: free text (reasons, notes) stays
  in the app.

Configuration: JOINTREVIEW_SMTP_HOST (no host: mails wait in the outbox), JOINTREVIEW_SMTP_PORT (25),
JOINTREVIEW_SMTP_USER / JOINTREVIEW_SMTP_PASSWORD, JOINTREVIEW_SMTP_STARTTLS=1, JOINTREVIEW_MAIL_FROM,
JOINTREVIEW_BASE_URL (for links).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from . import retries, translations, wallclock
from .errors import InvalidInput, Message, catalogue
from .forms import HIDDEN
from .models import Department, MailOut, Notification, ProcessDefinition, User
from .rule_names import TableName, cited

log = logging.getLogger("jointreview.mail")
MESSAGES = catalogue({"mail_invalid": "the mail address is not valid", "mail_not_address": "not a mail address",
                      "mail_kinds": "unknown kinds of notice"})
MAX_ATTEMPTS = 10
LEASE = timedelta(minutes=5)
BATCH = 50
DIGEST_HOUR = 8  # local time of the daily digest
_NOT_IN_ADDRESS = re.compile(r"[\s,;\x00-\x1f\x7f]")  # one address: no spaces, line breaks, lists
# what a mail header reads as something else than the address itself: quotes, comments, brackets, routes, escapes
_SPECIALS = re.compile(r'[<>()\[\]\\":]')

WORDS = {  # kind → (Chinese, English); free text (reasons, notes) stays in the app: it may name people
    "sent_back": ("{key}“{step}”被{by}退回，退回理由请登录查看", "{key} “{step}” was sent back to you by {by}; "
                  "the reason is in the app"),
    "urged": ("{by}催办{key}“{step}”（第{times}次）", "{by} urges {key} “{step}” (time {times})"),
    "transferred": ("{by}将{key}“{step}”转办给您", "{by} transferred {key} “{step}” to you"),
    "delegated": ("{by}将{key}“{step}”委派给您办理，办理后交回确认", "{by} delegated {key} “{step}” to you"),
    "delegation_returned": ("{by}已代为办理{key}“{step}”，请确认", "{by} did {key} “{step}” for you; please confirm"),
    "delegation_queued": ("{by}受委派办理的{key}“{step}”已退回部门待办，待他人签收确认", "{by}'s answer to {key} "
                          "“{step}”, done as a delegate, is in your department's queue for someone else to confirm"),
    "delegation_sent_back": ("{by}将{key}“{step}”退回给您重办，理由请登录查看", "{by} sent {key} “{step}” back to "
                             "you to redo; the reason is in the app"),
    "supervised": ("{by}对{key}超期环节“{step}”督办", "{by} supervises {key}: the step “{step}” is overdue"),
    "copied": ("{key}抄送给您（来自“{step}”）", "{key} was copied to you (from “{step}”)"),
    "sign_requested": ("{by}请您签署{key}“{step}”（加签）", "{by} asks you to sign {key} “{step}”"),
    "signed": ("{by}已签署{key}“{step}”", "{by} signed {key} “{step}”"),
    "sign_refused": ("{by}未同意{key}“{step}”，意见请登录查看", "{by} did not agree to {key} “{step}”; "
                     "the opinion is in the app"),
    "arrived": ("{key}“{step}”已到达，请及时办理", "{key} “{step}” is waiting for you"),
    "reminded": ("{key}“{step}”即将到期，请及时办理", "{key} “{step}” is due soon"),
    "overdue": ("{key}“{step}”已超期，请尽快办理", "{key} “{step}” is overdue; please deal with it now"),
    "escalated": ("{key}“{step}”已超期，已上报科长", "{key} “{step}” is overdue and was escalated"),
    "alert": ("{key}滞留预警，请关注", "{key} is stalled (stagnation alert)"),
    "signer_removed": ("{by}已将您从{key}“{step}”的签署人中减去", "{by} removed you as a signer of {key} “{step}”"),
    "rule_refused": ("{table}第{version}版未获会签（{key}），原版本继续有效，理由请登录查看",
                     "the rule table {table} v{version} was not co-signed ({key}); the reasons are in the app"),
}


def _now() -> datetime:
    return wallclock.now()


def text(kind: str, key: str | None, details: dict, departments: dict[str, tuple[str, str]] | None = None,
         english: dict[str, str] | None = None) -> tuple[str, str]:
    """(Chinese, English) line for one notice; `departments` (code → names) names the department someone acted
    from when it is not the step's own (an urge from another department); `english` names its steps in English
    (`english_steps`)."""
    zh, en = WORDS.get(kind, ("{key}有新消息", "news about {key}"))
    values = {"key": key or "", "step": "", "by": "", "reason": "", "times": "", **details}
    values_en = {**values, **(english or {})}
    if kind == "rule_refused":  # a notice sent before tables were named names its table by the id
        decision = str(details.get("decision") or "")
        table = TableName(str(details.get("table") or decision), decision, str(details.get("table_en") or ""))
        values["table"], values_en["table"] = cited(table), cited(table, chinese=False)
    names = (departments or {}).get(details.get("by_department") or "")
    if names:
        values["by"], values_en["by"] = f"{values['by']}（{names[0]}）", f"{values['by']} ({names[1] or names[0]})"
    return zh.format(**values), en.format(**values_en)


def english_steps(session: Session, details: dict) -> dict[str, str]:
    """A notice's steps (those it keeps what identifies: `step_of` beside `step`) by their English names, as the
    case's version names them (name:en); a step without one is left out (its Chinese name stays)."""
    out = {}
    for k, v in details.items():
        ref = details.get(f"{k}_of")
        if not v or not isinstance(ref, list) or len(ref) != 3 or not isinstance(ref[2], int):
            continue
        catalogs = translations.own_first(session, session.get(ProcessDefinition, ref[2]), ref[0])
        name = next((c.names[ref[1]] for c in catalogs if ref[1] in c.names), None)
        if name:
            out[k] = name
    return out


def _departments(session: Session) -> dict[str, tuple[str, str]]:
    return {d.code: (d.name_zh, d.name_en) for d in session.execute(select(Department)).scalars()}


def _link(key: str | None, task_id: str | None) -> str:
    base = os.environ.get("JOINTREVIEW_BASE_URL", "").rstrip("/")
    path = f"/tasks/{task_id}" if task_id else (f"/cases/{key}" if key else "/notifications")
    return f"{base}{path}" if base else path


def enqueue(session: Session, notices: list[Notification], now: datetime | None = None) -> int:
    """Put a mail in the outbox for each notice whose reader wants one now; returns how many."""
    now = now or _now()
    if not notices:
        return 0
    users = {u.username: u for u in session.execute(select(User).where(
        User.username.in_({n.username for n in notices}))).scalars()}
    count, departments = 0, _departments(session)
    for notice in notices:
        user = users.get(notice.username)
        if user is None or not user.email or not user.mail_on or user.mail_digest or not user.active:
            continue
        kinds = {k.strip() for k in (user.mail_kinds or "").split(",") if k.strip()}
        if kinds and notice.kind not in kinds:
            continue
        details = json.loads(notice.details)
        zh, en = text(notice.kind, notice.business_key, details, departments, english_steps(session, details))
        link = _link(notice.business_key, notice.task_id)
        chinese, english = f"{zh}\n办理：{link}\n", f"{en}\nOpen: {link}\n"
        if user.language == "en":  # the reader chose English: English first
            subject, body = f"[JointReview] {en}", f"{english}\n{chinese}"
        else:
            subject, body = f"【联审平台】{zh}", f"{chinese}\n{english}"
        session.add(MailOut(dedupe=f"notice:{notice.id}", to_address=user.email, subject=subject[:200], body=body,
                            created_at=now, due_at=now, attempts=0))
        count += 1
    return count


def queue_digests(session: Session, tz, now: datetime | None = None) -> int:
    """Once a day (from DIGEST_HOUR local time): one mail per digest reader with their unread notices."""
    now = now or _now()
    local = now.astimezone(tz)
    if local.hour < DIGEST_HOUR:
        return 0
    today = local.date().isoformat()
    readers = session.execute(select(User).where(User.mail_digest.is_(True), User.mail_on.is_(True),
                                                 User.email.is_not(None), User.active.is_(True),
                                                 or_(User.digest_sent_on.is_(None), User.digest_sent_on < today))).scalars()
    count, departments = 0, _departments(session)
    for user in list(readers):
        unread = list(session.execute(select(Notification).where(Notification.username == user.username,
                                                                 Notification.read_at.is_(None))
                                      .order_by(Notification.created_at).limit(200)).scalars())
        user.digest_sent_on = today
        if not unread:
            continue
        lines = [text(n.kind, n.business_key, details, departments, english_steps(session, details))
                 for details, n in ((json.loads(n.details), n) for n in unread)]
        chinese = f"您有{len(lines)}条未读消息：\n" + "\n".join(f"· {zh}" for zh, _ in lines) + \
            f"\n查看：{_link(None, None)}\n"
        english = f"You have {len(lines)} unread notices:\n" + "\n".join(f"· {en}" for _, en in lines) + \
            f"\nOpen: {_link(None, None)}\n"
        if user.language == "en":  # the reader chose English: English first, as their notices' mails
            subject, body = f"[JointReview] Daily digest {today}", f"{english}\n{chinese}"
        else:
            subject, body = f"【联审平台】每日消息摘要{today}", f"{chinese}\n{english}"
        session.add(MailOut(dedupe=f"digest:{user.username}:{today}", to_address=user.email,
                            subject=subject, body=body, created_at=now, due_at=now, attempts=0))
        count += 1
    return count


def _claim(session: Session, now: datetime) -> list[MailOut]:
    stmt = (select(MailOut).where(MailOut.sent_at.is_(None), MailOut.failed_at.is_(None), MailOut.due_at <= now)
            .order_by(MailOut.due_at).limit(BATCH))
    if session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(session.execute(stmt).scalars())
    for row in rows:
        row.due_at = now + LEASE  # leased: another worker takes it only if this one dies
        row.attempts += 1
    return rows


def address_refused(email: str) -> bool:
    """Whether `email` is not one plain address a mail's To header reads as itself: one @ between a local part
    and a domain of dotted names, none empty; no spaces, lists, hidden characters or header specials
    (`psb@gov\\.example` went to psb@gov, `@gov.example` to <>)."""
    local, at, domain = email.partition("@")
    return (len(email) > 254 or not at or "@" in domain or bool(_NOT_IN_ADDRESS.search(email))
            or bool(_SPECIALS.search(email)) or bool(HIDDEN.search(email))
            or "" in local.split(".") or "." not in domain or "" in domain.split("."))


def _message(row: MailOut, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address  # a line break: refused here, saying so
    if address_refused(row.to_address):  # stored before such addresses were refused: it would go elsewhere or nowhere
        raise ValueError(f"not one mail address: {row.to_address!r}")
    message["Subject"] = re.sub(r"\s*[\r\n]+\s*", " ", row.subject)  # a step named on two lines (&#10;): one line
    message["Message-ID"] = message_id(row)
    message.set_content(row.body)
    return message


def message_id(row: MailOut) -> str:
    """The same for every sending of one mail: its unique key and the microsecond it was written. The key goes in
    as a digest (a user name may hold characters no Message-ID may, and no two keys may read alike), after its
    kind (notice, digest) to read."""
    kind = re.sub(r"[^A-Za-z0-9-]", "", row.dedupe.split(":", 1)[0]) or "mail"
    key = hashlib.sha256(row.dedupe.encode("utf-8")).hexdigest()[:20]  # the header on one line of 78
    return f"<{kind}.{key}.{round(row.created_at.timestamp() * 1_000_000)}@jointreview.local>"


def send_due(db, now: datetime | None = None) -> tuple[int, int]:
    """Send the due mails once; returns (sent, failed attempts). Does nothing without an SMTP host."""
    host = os.environ.get("JOINTREVIEW_SMTP_HOST")
    if not host:
        return 0, 0
    now = now or _now()
    def claim():  # nothing is sent before it commits: tried again after a transient error
        with db.write() as session:
            return _written(_claim(session, now), os.environ.get("JOINTREVIEW_MAIL_FROM", "jointreview@localhost"), now)

    rows, unwritten = retries.attempt("taking the due mails", claim)
    if not rows:
        return 0, unwritten
    sent, failed = [], []
    try:
        with smtplib.SMTP(host, int(os.environ.get("JOINTREVIEW_SMTP_PORT", "25")), timeout=10) as smtp:
            if os.environ.get("JOINTREVIEW_SMTP_STARTTLS") == "1":
                smtp.starttls()
            if os.environ.get("JOINTREVIEW_SMTP_USER"):
                smtp.login(os.environ["JOINTREVIEW_SMTP_USER"], os.environ.get("JOINTREVIEW_SMTP_PASSWORD", ""))
            for ident, attempts, message in rows:
                try:
                    smtp.send_message(message)
                    sent.append(ident)
                except smtplib.SMTPException as exc:
                    failed.append((ident, attempts, f"{type(exc).__name__}: {exc}"[:500]))
    except (OSError, smtplib.SMTPException) as exc:
        failed = [(ident, attempts, f"{type(exc).__name__}: {exc}"[:500]) for ident, attempts, _ in rows
                  if ident not in sent]
    retries.attempt("marking mails sent", lambda: _mark(db, now, sent, failed))
    if failed:
        log.warning("%d mail(s) could not be sent; they will be retried: %s", len(failed), failed[0][2])
    return len(sent), len(failed) + unwritten


def _written(rows: list[MailOut], sender: str, now: datetime) -> tuple[list[tuple[int, int, EmailMessage]], int]:
    """(id, attempts, message) of each claimed mail, and how many could not be written: a header no mail may carry
    (an address with a line break, kept from before such addresses were refused) is given up at once, saying why;
    it stopped every sending before anything went, for every reader, every round."""
    EmailMessage()["From"] = sender  # a sender no mail may carry is the configuration's fault, not the mails'
    written, unwritten = [], 0
    for row in rows:
        try:
            written.append((row.id, row.attempts, _message(row, sender)))
        except ValueError as exc:
            row.failed_at, row.last_error, unwritten = now, f"the mail cannot be written: {exc}"[:500], unwritten + 1
    return written, unwritten


def _mark(db, now: datetime, sent: list[int], failed: list[tuple[int, int, str]]) -> None:
    """Mark the mails the server took as sent and the others for a later try (the same however often it runs)."""
    with db.write() as session:
        if sent:
            session.execute(update(MailOut).where(MailOut.id.in_(sent)).values(sent_at=_now()),
                            execution_options={"synchronize_session": False})
        for ident, attempts, error in failed:
            later = now + min(timedelta(minutes=2 ** (attempts - 1)), timedelta(hours=6))
            values = {"last_error": error, "due_at": later}
            if attempts >= MAX_ATTEMPTS:
                values["failed_at"] = _now()
            session.execute(update(MailOut).where(MailOut.id == ident).values(**values),
                            execution_options={"synchronize_session": False})


def set_preferences(session: Session, username: str, email: str | None, on: bool, kinds: list[str], digest: bool) -> None:
    """A user's own mail settings; the address is checked for shape only."""
    email = (email or "").strip() or None
    if email is not None and address_refused(email):
        raise InvalidInput(Message("mail_invalid"), {"email": Message("mail_not_address")})
    unknown = [k for k in kinds if k not in WORDS]
    if unknown:
        raise InvalidInput(Message("mail_kinds"), {"kinds": ", ".join(unknown)})
    session.execute(update(User).where(User.username == username).values(
        email=email, mail_on=on, mail_kinds=",".join(sorted(kinds)), mail_digest=digest),
        execution_options={"synchronize_session": False})
