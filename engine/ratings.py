"""Service ratings (好差评): the applicant rates a finished case once (1–5 and a comment), through the
portal or at the window. A bad rating (2 or less) starts the `rating_follow_up` process, whose task goes to
the supervisors of the department the process names as its owner (`owner_department`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import audit, cases, wallclock
from .errors import Conflict, InvalidInput, Message, NotFound, PermissionDenied, catalogue
from .forms import HIDDEN
from .models import Case, CaseRating
from .routing import Actor
from .runtime import Runtime

FOLLOW_UP = "rating_follow_up"
BAD = 2
MAX_COMMENT = 500
MESSAGES = catalogue({
    "rating_score": "must be a whole number from 1 to 5",
    "field_too_long": "must be at most {limit} characters",
    "rating_not_saved": "the rating was not saved",
    "no_case": "no case {key}",
    "rating_too_early": "case {key} is not finished yet; it can be rated once it is",
    "rating_twice": "case {key} has already been rated",
    "rating_window": "only staff of {department} record a rating given at the window",
})


@dataclass
class Rated:
    business_key: str
    score: int
    follow_up: str | None


def check(score: object, comment: object) -> tuple[int, str]:
    """The score (1–5) and the comment (at most 500 characters), or InvalidInput naming the field."""
    errors = {}
    if isinstance(score, bool) or not isinstance(score, int) and not (isinstance(score, str) and score.strip().isdecimal()):
        errors["score"] = Message("rating_score")
    elif not 1 <= int(score) <= 5:
        errors["score"] = Message("rating_score")
    text = HIDDEN.sub("", str(comment or "")).strip()  # control and invisible characters, direction marks
    if len(text) > MAX_COMMENT:
        errors["comment"] = Message("field_too_long", limit=MAX_COMMENT)
    if errors:
        raise InvalidInput(Message("rating_not_saved"), errors)
    return int(score), text


def rate(session: Session, rt: Runtime, by: Actor, business_key: str, score: object, comment: object,
         channel: str, now: datetime | None = None) -> Rated:
    """Record the one rating of a finished case; a bad one opens the follow-up for the owner department. At the
    window (`channel` "window") only that department's staff record it (Actor.at_window)."""
    case = session.execute(select(Case).where(Case.business_key == business_key)).scalar_one_or_none()
    if case is None:
        raise NotFound(Message("no_case", key=business_key))
    owner = rt.model(session, case.definition_id).owner_department
    if channel == "window" and not by.at_window(owner):
        raise PermissionDenied(Message("rating_window", department=owner or "—"))
    value, text = check(score, comment)
    now = now or wallclock.now()
    if case.status != "completed":
        raise Conflict(Message("rating_too_early", key=business_key))
    if session.get(CaseRating, case.id) is not None:
        raise Conflict(Message("rating_twice", key=business_key))
    rating = CaseRating(case_id=case.id, score=value, comment=text, channel=channel, rated_by=by.username, rated_at=now)
    try:
        with session.begin_nested():
            session.add(rating)
            session.flush()
    except IntegrityError:
        raise Conflict(Message("rating_twice", key=business_key)) from None
    if value <= BAD and owner:
        out = cases.start(session, rt, Actor.system("ratings"), FOLLOW_UP,
                          {"department": owner, "case_ref": business_key, "score": value, "comment": text})
        rating.follow_up = out.business_key
    audit.append(session, [audit.Event("case_rated", by.username, {"score": value, "channel": channel,
                                                                   "follow_up": rating.follow_up},
                                       owner, case.id, business_key)], now)
    return Rated(business_key, value, rating.follow_up)
