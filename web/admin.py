"""Administration: users (create, roles and memberships, passwords, activation), department lane
aliases and REST API tokens. Every change goes into the audit log."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import or_, select

from engine import accounts, tokens
from engine.errors import EngineError
from engine.models import Department, Membership, User
from engine.routing import GLOBAL_ROLES, ROLE_RANK

from .calendar_admin import gaps as calendar_gaps
from .context import actor, require_role, runtime
from .i18n import refusal
from .inbox import like
from .names import person

bp = Blueprint("admin", __name__)


def _memberships(form) -> dict[str, str]:
    out = {}
    for code in form.getlist("department"):
        role = form.get(f"role_{code}", "reviewer")
        out[code] = role if role in ROLE_RANK else "reviewer"
    return out


def _fail(exc: EngineError) -> None:
    flash(refusal(exc), "error")


def _user_form(form) -> dict:
    """What an administrator typed into a user form, to show it again after an error (never the password)."""
    return {"username": form.get("username", "").strip(), "display_name": form.get("display_name", "").strip(),
            "memberships": _memberships(form), "roles": [r for r in form.getlist("roles") if r]}


@bp.route("/admin")
@login_required
def index():
    """Users with their departments and roles, the departments with their aliases, and API tokens."""
    require_role("admin")
    return _page()


def _page(issued: tokens.Issued | None = None, token_form: dict | None = None, status: int = 200,
          user_form: dict | None = None):
    query = request.args.get("q", "").strip()[:64]
    with runtime().db.read() as session:
        stmt = select(User).order_by(User.username)
        if query:
            pattern = like(query)
            stmt = stmt.where(or_(User.username.like(pattern, escape="\\"), User.display_name.like(pattern, escape="\\")))
        users = list(session.execute(stmt).scalars())
        memberships: dict[int, dict[str, str]] = {}
        for m in session.execute(select(Membership)).scalars():
            memberships.setdefault(m.user_id, {})[m.department_code] = m.role
        departments = list(session.execute(select(Department).order_by(Department.code)).scalars())
        api_tokens = tokens.listing(session)
    page = render_template("admin.html", users=users, memberships=memberships, departments=departments,
                           roles=GLOBAL_ROLES, department_roles=list(ROLE_RANK), api_tokens=api_tokens,
                           token_roles=tokens.ROLES, token_state=tokens.state, issued=issued,
                           token_form=token_form or {}, user_form=user_form or {}, query=query,
                           calendar_gaps=calendar_gaps())
    return page, status, {"Cache-Control": "no-store"} if issued else {}


@bp.route("/admin/tokens", methods=["POST"])
@login_required
def issue_token():
    """Issue an API token; its secret is on this answer only (never in a cookie or a redirect)."""
    require_role("admin")
    form = {k: request.form.get(k, "").strip() for k in ("name", "role", "department", "username", "expires_days")}
    try:
        days = int(form["expires_days"]) if form["expires_days"] else None
    except ValueError:
        flash(_("Expiry must be a whole number of days."), "error")
        return _page(token_form=form, status=422)
    try:
        with runtime().db.write() as session:
            issued = tokens.issue(session, actor(), form["name"], form["role"], form["department"] or None,
                                  form["username"] or None, days)
    except EngineError as exc:
        _fail(exc)
        return _page(token_form=form, status=422)
    return _page(issued=issued)


@bp.route("/admin/tokens/<name>/revoke", methods=["POST"])
@login_required
def revoke_token(name: str):
    """Revoke an API token at once."""
    require_role("admin")
    try:
        with runtime().db.write() as session:
            tokens.revoke(session, actor(), name)
    except EngineError as exc:
        _fail(exc)
    else:
        flash(_("Token %(name)s revoked.", name=name), "success")
    return redirect(url_for("admin.index") + "#tokens")


@bp.route("/admin/users", methods=["POST"])
@login_required
def create():
    """Create a user."""
    require_role("admin")
    form = request.form
    try:
        with runtime().db.write() as session:
            accounts.create(session, actor(), form.get("username", "").strip(), form.get("display_name", "").strip(),
                            form.get("password", ""), _memberships(form), tuple(r for r in form.getlist("roles") if r))
    except EngineError as exc:
        _fail(exc)
        return _page(status=400, user_form=_user_form(form))
    flash(_("User %(user)s created.", user=form.get("username")), "success")
    return redirect(url_for("admin.index"))


@bp.route("/admin/users/<username>", methods=["GET"])
@login_required
def user(username: str):
    """One user's departments, roles and state, to change them."""
    require_role("admin")
    return _user_page(username)


def _user_page(username: str, form: dict | None = None, status: int = 200):
    with runtime().db.read() as session:
        found = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if found is None:
            abort(404)
        current = {m.department_code: m.role for m in session.execute(
            select(Membership).where(Membership.user_id == found.id)).scalars()}
        departments = list(session.execute(select(Department).order_by(Department.code)).scalars())
    form = form or {"memberships": current, "roles": [r for r in (found.roles or "").split(",") if r]}
    return render_template("admin_user.html", user=found, form=form, departments=departments, roles=GLOBAL_ROLES,
                           department_roles=list(ROLE_RANK), confirm=request.args.get("confirm")), status


@bp.route("/admin/users/<username>", methods=["POST"])
@login_required
def change(username: str):
    """Change a user's access, password or activation (one form per action)."""
    require_role("admin")
    form = request.form
    if form.get("action") == "deactivate" and form.get("confirmed") != "yes":  # only from the confirmation step
        return redirect(url_for("admin.user", username=username, confirm="deactivate") + "#deactivate")
    try:
        with runtime().db.write() as session:
            action = form.get("action")
            if action == "access":
                accounts.set_access(session, actor(), username, _memberships(form), tuple(form.getlist("roles")))
            elif action == "password":
                accounts.set_password(session, actor(), username, form.get("password", ""))
            elif action in ("activate", "deactivate"):
                accounts.set_active(session, actor(), username, action == "activate")
            else:
                raise EngineError("unknown action")
    except EngineError as exc:
        _fail(exc)
        if form.get("action") == "access":
            return _user_page(username, _user_form(form), 400)
    else:
        flash(_changed(form.get("action"), username), "success")
    if form.get("action") == "access":
        return redirect(url_for("admin.user", username=username))
    return redirect(url_for("admin.index"))


def _changed(action: str | None, username: str) -> str:
    """What was done to whom, by the user's name (and log-in name)."""
    who = _("%(name)s (%(user)s)", name=person(username), user=username)
    if action == "deactivate":
        return _("%(who)s is deactivated: they can no longer log in.", who=who)
    if action == "activate":
        return _("%(who)s is active again and can log in.", who=who)
    return _("User %(user)s changed.", user=who)


@bp.route("/admin/departments/<code>/aliases", methods=["POST"])
@login_required
def alias(code: str):
    """Add a lane alias to a department."""
    require_role("admin")
    try:
        with runtime().db.write() as session:
            accounts.add_alias(session, actor(), code, request.form.get("alias", ""))
        runtime().forget_departments()
    except EngineError as exc:
        _fail(exc)
    else:
        flash(_("Alias added."), "success")
    return redirect(url_for("admin.index"))
