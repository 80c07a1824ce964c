"""Auditors', designers' and administrators' operations: cases and their histories, the audit log
(entries, export, chain check), process versions and deploys, and API tokens."""
from __future__ import annotations

import json

from sqlalchemy import select

from engine import audit as chain
from engine import cases, repository, rules, tokens
from engine.errors import Conflict, InvalidInput, NotFound
from engine.models import ApiToken, AuditEntry, Case, ProcessDefinition

from ..context import runtime
from ..privacy import exported_entries, glossaries_of, mask_values, masked_error, record_export
from . import api
from .core import Context, Reply
from .inputs import decode_cursor, encode_cursor
from .portal import KEY
from .schemas import (AuditEntryOut, AuditPage, AuditQuery, CasePage, CaseQuery, CaseSummary, DeployRequest,
                      DeployResult, ExportQuery, HistoryEntry, PageQuery, HistoryPage, IssuedToken, ProcessPage, ProcessVersion,
                      TokenOut, TokenPage, TokenRequest, Verification)

AUDIT = ("auditor", "admin")
READ_PROCESSES = ("designer", "auditor", "admin")
TOKEN_NAME = {"name": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_.-]{1,62}$", "example": "psb-system"}}


def _case_summary(case: Case, version: int, ctx: Context) -> CaseSummary:
    applicant = json.loads(case.summary or "{}").get("applicant_name")
    return CaseSummary(business_key=case.business_key, process=case.process_key, version=version,
                       status=case.status, started_by=case.started_by, started_at=case.started_at,
                       updated_at=case.updated_at, ended_at=case.ended_at, applicant_name=applicant,
                       error=masked_error(case.error, case, ctx.actor))  # as the case page shows it to this reader


def _details(entry: AuditEntry, ctx: Context) -> dict:
    details = json.loads(entry.details)
    if isinstance(details.get("data"), dict):
        terms = glossaries_of([entry])
        details["data"] = mask_values(details["data"], ctx.actor, terms.get(entry.case_id, terms[None]))
    return details


def _paged(ctx: Context, stmt, column, page, item, ascending: bool = False) -> Reply:
    """One page of `stmt` ordered by the integer `column` (newest first unless `ascending`), continuing
    after the cursor; `item` turns a result row into the page's item."""
    q = ctx.query
    after = decode_cursor(q.cursor, int)
    if after:
        stmt = stmt.where(column > after[0] if ascending else column < after[0])
    stmt = stmt.order_by(column.asc() if ascending else column.desc()).limit(q.limit + 1)
    with runtime().db.read() as session:
        rows = session.execute(stmt).all()
    more, rows = len(rows) > q.limit, rows[:q.limit]
    last = getattr(rows[-1][0], column.key) if more else None
    return Reply(200, page(items=[item(row) for row in rows], next_cursor=encode_cursor([last]) if more else None))


@api.operation("GET", "/cases", tag="cases", roles=AUDIT, query=CaseQuery, summary="List cases",
               responses={200: (CasePage, "Cases, newest first")})
def list_cases(ctx: Context) -> Reply:
    """All cases, newest first, filtered by process and status (auditors, administrators)."""
    q = ctx.query
    stmt = select(Case, ProcessDefinition.version).join(ProcessDefinition, ProcessDefinition.id == Case.definition_id)
    if q.process:
        stmt = stmt.where(Case.process_key == q.process)
    if q.status:
        stmt = stmt.where(Case.status == q.status)
    return _paged(ctx, stmt, Case.id, CasePage, lambda row: _case_summary(*row, ctx))


@api.operation("GET", "/cases/{business_key}/history", tag="cases", roles=AUDIT, query=PageQuery, path_params=KEY,
               problems=(404,), summary="Read a case's history",
               responses={200: (HistoryPage, "The case's audit entries, oldest first")})
def history(ctx: Context, business_key: str) -> Reply:
    """Everything that happened to a case, oldest first, as recorded in the hash-chained audit log.
    Reading it is itself recorded (as on the case page)."""
    with runtime().db.read() as session:
        case = session.execute(select(Case).where(Case.business_key == business_key)).scalar_one_or_none()
    if case is None:
        raise NotFound(f"no case {business_key}")
    if not ctx.query.cursor:
        with runtime().db.write() as session:
            cases.note(session, ctx.actor, business_key, "case_viewed", {"via": "api"})
    return _paged(ctx, select(AuditEntry).where(AuditEntry.case_id == case.id), AuditEntry.seq, HistoryPage,
                  lambda row: HistoryEntry(seq=row[0].seq, at=row[0].at, actor=row[0].actor, department=row[0].department,
                                           event=row[0].event, task_id=row[0].task_id, details=_details(row[0], ctx)),
                  ascending=True)


def _audit_filter(stmt, event: str | None, actor: str | None, business_key: str | None):
    if event:
        stmt = stmt.where(AuditEntry.event == event)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if business_key:
        stmt = stmt.where(AuditEntry.business_key == business_key.upper())
    return stmt


def _entry(e: AuditEntry, ctx: Context) -> AuditEntryOut:
    return AuditEntryOut(seq=e.seq, at=e.at, actor=e.actor, department=e.department, event=e.event, task_id=e.task_id,
                         details=_details(e, ctx), business_key=e.business_key, prev_hash=e.prev_hash, hash=e.hash)


@api.operation("GET", "/audit/entries", tag="audit", roles=AUDIT, query=AuditQuery, summary="List audit log entries",
               responses={200: (AuditPage, "Entries, newest first, with their hashes")})
def audit_entries(ctx: Context) -> Reply:
    """The audit log, newest first, filtered by event, actor and business key."""
    q = ctx.query
    stmt = _audit_filter(select(AuditEntry), q.event, q.actor, q.business_key)
    return _paged(ctx, stmt, AuditEntry.seq, AuditPage, lambda row: _entry(row[0], ctx))


EXPORT_MEDIA = {"text/csv": {"schema": {"type": "string"}, "example": ",".join(chain.EXPORT_COLUMNS) + "\n"},
                "application/x-ndjson": {"schema": {"type": "string"}}}


@api.operation("GET", "/audit/export", tag="audit", roles=AUDIT, query=ExportQuery, summary="Export the audit log",
               responses={200: (None, "The entries after `after_seq`, oldest first, each with its hash")},
               media={200: EXPORT_MEDIA},
               response_headers={200: {"X-Next-After-Seq": "present when more entries follow: pass it as after_seq"}})
def audit_export(ctx: Context) -> Reply:
    """The audit log as CSV or NDJSON, in chunks of `limit` entries (follow `X-Next-After-Seq`), with
    every stored field, so the chain can be checked outside this system: `hash` is the SHA-256 (hex) of
    the UTF-8 text of prev_hash, seq, at, actor, department, case_id, business_key, task_id, event and
    details joined by the unit separator U+001F, empty text for a missing value. `at` is exactly as
    exported; `details` is the stored canonical JSON (CSV: as is; NDJSON: `details_text`). The first
    entry's prev_hash is 64 zeros."""
    q = ctx.query
    stmt = select(AuditEntry).where(AuditEntry.seq > q.after_seq).order_by(AuditEntry.seq).limit(q.limit + 1)
    with runtime().db.read() as session:
        rows = list(session.execute(stmt).scalars())
    more, rows = len(rows) > q.limit, exported_entries(rows[:q.limit], ctx.actor)
    record_export(ctx.actor, f"audit log {q.format} (API, after {q.after_seq})", len(rows))
    headers = {"X-Next-After-Seq": str(rows[-1].seq)} if more else {}
    headers["Content-Disposition"] = f"attachment; filename=audit-log-{q.after_seq + 1}.{q.format}"
    if q.format == "csv":
        return Reply(200, headers=headers, text=chain.csv_text(rows), mimetype="text/csv")
    lines = []
    for e in rows:
        row = chain.export_row(e)
        lines.append(json.dumps({**row, "details": json.loads(e.details), "details_text": e.details}, ensure_ascii=False))
    return Reply(200, headers=headers, text="".join(line + "\n" for line in lines), mimetype="application/x-ndjson")


@api.operation("GET", "/audit/verification", tag="audit", roles=AUDIT, summary="Verify the audit log's hash chain",
               responses={200: (Verification, "Whether the chain is intact, and where it breaks if not")})
def audit_verification(ctx: Context) -> Reply:
    """Recompute the whole hash chain now; names the first entry that was changed or removed."""
    with runtime().db.read() as session:
        result = chain.verify(session)
    return Reply(200, Verification(ok=result.ok, checked=result.checked, bad_seq=result.bad_seq, reason=result.reason))


@api.operation("GET", "/processes", tag="processes", roles=READ_PROCESSES, query=PageQuery,
               summary="List deployed process versions", responses={200: (ProcessPage, "Versions, newest first")})
def list_processes(ctx: Context) -> Reply:
    """Every deployed version of every process, newest first."""
    return _paged(ctx, select(ProcessDefinition), ProcessDefinition.id, ProcessPage, lambda row: ProcessVersion(
        process_key=row[0].process_key, version=row[0].version, name=row[0].name, deployed_at=row[0].deployed_at,
        content_hash=row[0].content_hash, files=row[0].files.splitlines()))


@api.operation("POST", "/processes/deployments", tag="processes", roles=("designer",), body=DeployRequest,
               max_body=4 * 1024 * 1024, summary="Check and deploy BPMN and DMN files",
               responses={201: (DeployResult, "Deployed: processes whose content changed got a new version"),
                          200: (DeployResult, "Checked only (`dry_run`), or nothing changed")})
def deploy(ctx: Context) -> Reply:
    """Validate every file as the designer page does (422 lists each problem as file:line:element) and
    deploy new versions; running cases stay on their versions."""
    body = ctx.body
    names = [f.name for f in body.files]
    if len(set(names)) != len(names):
        raise InvalidInput("a file name appears twice", {"files": "each file name only once"})
    files = {f.name: f.content.encode("utf-8") for f in body.files}
    with runtime().db.write() as session:
        if body.dry_run:
            results, _new = repository.plan(session, runtime(), files)
        else:
            if not body.note.strip():  # every version says why it was deployed; the files' own problems come first
                repository.plan(session, runtime(), files)
                refused = InvalidInput("say why this version is deployed; nothing was deployed", {"note": "is required"})
                refused.codes = {"note": ("required", {})}
                raise refused
            at = rules.effective_moment(runtime().calendar, body.effective_date)
            results = repository.deploy(session, runtime(), ctx.actor, files, body.note.strip(), at)
    processes = [dict(process_key=r.process_key, name=r.name, version=r.version, changed=r.created) for r in results]
    changed = any(r.created for r in results) and not body.dry_run
    return Reply(201 if changed else 200, DeployResult(dry_run=body.dry_run, processes=processes))


def _token_out(t: ApiToken) -> TokenOut:
    return TokenOut(name=t.name, hint=t.hint, role=t.role, department=t.department_code, username=t.username,
                    created_by=t.created_by, created_at=t.created_at, expires_at=t.expires_at,
                    last_used_at=t.last_used_at, revoked_at=t.revoked_at, state=tokens.state(t))


@api.operation("GET", "/tokens", tag="tokens", roles=("admin",), query=PageQuery, summary="List API tokens",
               responses={200: (TokenPage, "Tokens, newest first; secrets are never shown again")})
def list_tokens(ctx: Context) -> Reply:
    """Every token with its scope, state and when it was last used."""
    return _paged(ctx, select(ApiToken), ApiToken.id, TokenPage, lambda row: _token_out(row[0]))


@api.operation("POST", "/tokens", tag="tokens", roles=("admin",), body=TokenRequest, problems=(404,),
               summary="Issue an API token",
               responses={201: (IssuedToken, "The token; its secret is in this answer only")})
def issue_token(ctx: Context) -> Reply:
    """Issue a token for a system or a person, bound to one role (and department for staff roles)."""
    b = ctx.body
    with runtime().db.write() as session:
        issued = tokens.issue(session, ctx.actor, b.name, b.role, b.department, b.username, b.expires_days)
        out = _token_out(issued.token)
    return Reply(201, IssuedToken(token=out, secret=issued.secret), {"Cache-Control": "no-store"})


@api.operation("DELETE", "/tokens/{name}", tag="tokens", roles=("admin",), path_params=TOKEN_NAME, problems=(404, 409),
               summary="Revoke an API token", responses={200: (TokenOut, "The token, now revoked")})
def revoke_token(ctx: Context, name: str) -> Reply:
    """Stop a token at once; requests with it get 401 from now on. A token cannot revoke itself."""
    if name.lower() == ctx.token_name:
        raise Conflict("this is the token making the request; revoke it with another administrator token "
                       "or the command line")
    with runtime().db.write() as session:
        token = tokens.revoke(session, ctx.actor, name)
        return Reply(200, _token_out(token))
