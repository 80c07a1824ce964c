"""What the task page says when 提交 or 暂存 lost a race (engine/whereabouts.py): what became of the step, in words,
and the typed answer given back field by field (a choice by its name), for the page to show read-only."""
from __future__ import annotations

from flask_babel import gettext as _

from engine.whereabouts import Whereabouts

from .names import moment, person


def told(where: Whereabouts) -> str:
    """The sentence that says what happened to the step while the actor was typing, and that nothing was saved."""
    who, when = person(where.who) if where.who else "", moment(where.at) if where.at else ""
    said = {
        "open": lambda: _("Someone changed this case at the same moment, so nothing was saved. The form still holds "
                          "what you typed: check it and submit again."),
        "outside": lambda: _("You can no longer handle this step."),
        "not_allowed": lambda: _("You can no longer handle this step."),
        "reader": lambda: _("Your account may read steps but not act on them (办理): only the step's department can "
                            "submit it."),
        "closed_case": lambda: _("While you were typing, this case ended or was stopped."),
        "completed": lambda: _("While you were typing, %(user)s completed this step (%(when)s).", user=who, when=when),
        "cancelled": lambda: _("While you were typing, this step was withdrawn (%(when)s): the case no longer needs it.",
                               when=when),
        "sent_back": lambda: _("While you were typing, %(user)s sent this step back (退回) (%(when)s).", user=who,
                               when=when),
        "with_signer": lambda: _("While you were typing, this step went to %(user)s for an added signature (加签).",
                                 user=who),
        "claimed": lambda: _("While you were typing, %(user)s claimed (签收) this step.", user=who),
        "reassigned": lambda: _("While you were typing, this step was reassigned (改派) to %(user)s.", user=who),
        "transferred": lambda: _("While you were typing, this step was transferred (转办) to %(user)s.", user=who),
        "delegated": lambda: _("While you were typing, this step was delegated (委派) to %(user)s.", user=who),
        "delegation_returned": lambda: _("While you were typing, the delegate's answer to this step went back to "
                                         "%(user)s, who delegated it (委派), to confirm (%(when)s).", user=who,
                                         when=when),
        "delegation_queued": lambda: _("Your answer to this step as a delegate (委派) is in the department queue "
                                       "(%(when)s): someone other than you must claim and confirm it.", when=when),
    }
    sentence = said.get(where.how, said["outside"])()
    if where.how == "open":
        return sentence
    return _("%(what)s Nothing you typed was saved; it is below so that you can copy it.", what=sentence)


def typed_back(fields, typed: dict[str, str]) -> list[dict[str, str]]:
    """Each field the actor filled in, with what they typed as they would read it (a choice by its name, a box
    ticked as yes), for a read-only copy; fields left empty are left out."""
    out = []
    for f in fields:
        value = typed.get(f.id, "")
        if not value or (f.type == "boolean" and not f.decision and value == "false"):
            continue
        names = dict(f.options) | {a: n or (_("Yes") if a == "true" else _("No")) for a, n in f.choices}
        out.append({"id": f.id, "label": f.label, "text": names.get(value, value)})
    return out
