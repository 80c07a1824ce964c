"""The machinery every API operation shares: bearer-token authentication, role checks, rate limiting,
size limits, request parsing with pydantic, idempotent submissions, pagination and problem details.

Operations are declared once with `api.operation(...)`; the same declaration registers the Flask view and
produces the operation's entry in the OpenAPI document (see openapi.py), so the contract cannot drift
from the code.
"""
from __future__ import annotations

import hashlib
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from flask import Blueprint, Response, current_app, request
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine import ratelimit, tokens, wallclock
from engine.errors import EngineError, Message
from engine.models import IdempotencyRecord
from engine.routing import Actor

from ..context import runtime
from .inputs import MAX_DEPTH, _nesting, _refuse_control_characters, _string_problem
from .problems import Problem, from_engine, from_validation, problem_response

KEY_HEADER = "Idempotency-Key"
# --- operations -----------------------------------------------------------------------------------

@dataclass
class Header:
    """A request header an operation reads (documented as a header parameter)."""

    name: str
    description: str
    schema: dict[str, Any]
    required: bool = False
    example: str | None = None


@dataclass
class Reply:
    """What a handler returns: a status, a pydantic model (or raw text for exports) and extra headers."""

    status: int
    body: BaseModel | None = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None
    mimetype: str = "application/json"


@dataclass
class Operation:
    method: str
    path: str  # OpenAPI style: /tasks/{task_id}
    handler: Callable[..., Reply]
    operation_id: str
    summary: str
    description: str
    tag: str
    roles: tuple[str, ...] | None  # None: no token needed
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    responses: dict[int, tuple[type[BaseModel] | None, str]]
    problems: tuple[int, ...]
    headers: tuple[Header, ...]
    path_params: dict[str, dict[str, Any]]
    response_headers: dict[int, dict[str, str]]
    media: dict[int, dict[str, dict[str, Any]]]  # extra (non-JSON) response media types
    max_body: int
    idempotent: bool | str  # True: an Idempotency-Key is honoured; "required": and must be sent
    also_check: Callable[[Any], dict[str, str]] | None = None  # more checks, so all errors come at once
    union_tags: tuple[str, ...] = ()


@dataclass
class Context:
    """The authenticated caller of one request, with what was parsed from it."""

    actor: Actor
    token_id: int
    role: str
    department: str | None
    token_name: str = ""
    query: Any = None
    body: Any = None
    idempotency_key: str | None = None
    request_hash: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @contextmanager
    def write(self) -> Iterator[Any]:
        """A write transaction; with an Idempotency-Key, a key already answered replays that answer."""
        with runtime().db.write() as session:
            if self.idempotency_key:
                record = session.get(IdempotencyRecord, (self.token_id, self.idempotency_key))
                if record is not None:
                    raise _Replay(Answer.of(record))
            yield session

    def remember(self, session: Any, reply: Reply, business_key: str | None = None) -> Reply:
        """Store the answer of an idempotent submission in its own transaction (call inside `write`)."""
        if self.idempotency_key and reply.body is not None:
            session.add(IdempotencyRecord(token_id=self.token_id, key=self.idempotency_key,
                                          request_hash=self.request_hash, status_code=reply.status,
                                          response=reply.body.model_dump_json(by_alias=True),
                                          headers=json.dumps(reply.headers),
                                          business_key=business_key, created_at=wallclock.now()))
            session.flush()
        return reply


@dataclass(frozen=True)
class Answer:
    """A stored answer, copied out of its session so it can be replayed after the transaction ends."""

    request_hash: str
    status_code: int
    response: str
    headers: str

    @classmethod
    def of(cls, record: IdempotencyRecord) -> "Answer":
        return cls(record.request_hash, record.status_code, record.response, record.headers or "{}")


class _Replay(Exception):
    def __init__(self, answer: Answer) -> None:
        super().__init__("replay")
        self.record = answer


PATH_PARAM = re.compile(r"\{(\w+)\}")
DEFAULT_PROBLEMS = (400, 401, 403, 429)


class Api:
    """The registry of operations, bound to a Flask blueprint."""

    def __init__(self, blueprint: Blueprint) -> None:
        self.blueprint = blueprint
        self.operations: list[Operation] = []

    def operation(self, method: str, path: str, *, summary: str, tag: str, roles: tuple[str, ...] | None,
                  description: str = "", body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
                  responses: dict[int, tuple[type[BaseModel] | None, str]], problems: tuple[int, ...] = (),
                  headers: tuple[Header, ...] = (), path_params: dict[str, dict[str, Any]] | None = None,
                  response_headers: dict[int, dict[str, str]] | None = None,
                  media: dict[int, dict[str, dict[str, Any]]] | None = None, max_body: int = 64 * 1024,
                  idempotent: bool | str = False, also_check: Callable[[Any], dict[str, str]] | None = None,
                  union_tags: tuple[str, ...] = ()):
        def register(handler: Callable[..., Reply]) -> Callable[..., Reply]:
            wanted = set(DEFAULT_PROBLEMS if roles is not None else (400, 429)) | set(problems)
            if body is not None:
                wanted |= {413, 415, 422}
            if query is not None or headers:
                wanted.add(422)
            op = Operation(method, path, handler, handler.__name__, summary, description or (handler.__doc__ or ""),
                           tag, roles, body, query, responses, tuple(sorted(wanted)),
                           tuple(headers) + ((IDEMPOTENCY_REQUIRED if idempotent == "required" else IDEMPOTENCY,)
                                             if idempotent else ()),
                           path_params or {p: {"type": "string"} for p in PATH_PARAM.findall(path)},
                           response_headers or {}, media or {}, max_body, idempotent, also_check, union_tags)
            self.operations.append(op)
            rule = PATH_PARAM.sub(r"<\1>", path)
            self.blueprint.add_url_rule(rule, op.operation_id, self._view(op), methods=[method])
            return handler
        return register

    def _view(self, op: Operation) -> Callable[..., Response]:
        def view(**params: str) -> Response:
            try:
                return self._run(op, params)
            except Problem as p:
                return problem_response(p.status, p.detail, p.errors, p.headers)
            except EngineError as exc:
                p = from_engine(exc)
                return problem_response(p.status, p.detail, p.errors, code=p.code)
        view.__name__ = op.operation_id
        return view

    def _run(self, op: Operation, params: dict[str, str]) -> Response:
        ctx = self._authenticate(op)
        if op.body is not None and (request.content_length or 0) > op.max_body:
            raise Problem(413, Message("api_too_large", size=request.content_length, limit=op.max_body))
        for name, value in params.items():
            schema = op.path_params.get(name, {})
            if (schema.get("pattern") and not re.search(schema["pattern"], value)) or len(value) > schema.get("maxLength", 128):
                raise Problem(404, Message("api_no_such", what=name.replace("_", " ")))
        ctx.headers = self._headers(op)
        if op.query is not None:
            raw = {k: v for k, v in request.args.items()}
            _refuse_control_characters(raw, "")
            try:
                ctx.query = op.query.model_validate(raw)
            except ValidationError as exc:
                raise from_validation(exc, "query") from None
        if op.body is not None:
            ctx.body = self._body(op)
        if op.idempotent:
            ctx.idempotency_key = ctx.headers.get(KEY_HEADER)
            ctx.request_hash = hashlib.sha256(json.dumps(
                [op.method, request.path, ctx.headers.get(APPLICANT_HEADER, ""),
                 ctx.body.model_dump(mode="json") if ctx.body is not None else None],
                sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        try:  # a key already answered is replayed by ctx.write(), inside the submission's own transaction
            reply = op.handler(ctx, **params)
        except _Replay as r:
            return self._answer_replay(ctx, r.record)
        except IntegrityError:
            if not ctx.idempotency_key:
                raise
            replay = self._replay(ctx)  # a concurrent retry with the same key won the race
            if replay is None:
                raise Problem(409, Message("api_key_in_progress"))
            return replay
        return self._respond(reply)

    def _authenticate(self, op: Operation) -> Context:
        if op.roles is None:
            return Context(Actor.system("anonymous"), 0, "", None)
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Problem(401, Message("api_bearer"))
        with runtime().db.read() as session:
            token, actor = tokens.authenticate(session, secret.strip())
        with runtime().db.write() as session:  # counted in the database: the limit holds across every web process
            allowed, wait = ratelimit.take(session, f"token:{token.id}", current_app.config["API_RATE_LIMIT"])
        if not allowed:
            raise Problem(429, Message("api_rate", token=token.name, limit=current_app.config["API_RATE_LIMIT"]),
                          headers={"Retry-After": str(max(1, round(wait + 0.5)))})
        if tokens.due_for_touch(token):
            with runtime().db.write() as session:
                tokens.touch(session, token)
        if token.role not in op.roles:
            raise Problem(403, Message("api_role", role=token.role, action=op.summary[0].lower() + op.summary[1:],
                                       roles=list(op.roles)))
        return Context(actor, token.id, token.role, token.department_code, token.name)

    def _headers(self, op: Operation) -> dict[str, str]:
        out, errors = {}, []
        for h in op.headers:
            value = request.headers.get(h.name)
            if value is None:
                if h.required:
                    errors.append({"field": h.name, "message": Message("api_header_required"), "code": "missing"})
                continue
            problem = _string_problem(value, h.schema)
            if problem:
                errors.append({"field": h.name, "message": problem, "code": "invalid"})
                continue
            out[h.name] = value
        if errors:
            raise Problem(422, Message("api_header"), errors)
        return out

    def _body(self, op: Operation) -> BaseModel:
        """The parsed body (its declared length was checked before anything else)."""
        if request.mimetype != "application/json":
            raise Problem(415, Message("api_json_type"))
        raw = request.get_data(cache=False)
        if len(raw) > op.max_body:
            raise Problem(413, Message("api_larger", limit=op.max_body))
        if _nesting(raw) > MAX_DEPTH:
            raise Problem(400, Message("api_nested", limit=MAX_DEPTH))
        try:
            data = json.loads(raw.decode("utf-8"))
        except json.JSONDecodeError as exc:
            raise Problem(400, Message("api_not_json", detail=str(exc))) from None
        except UnicodeDecodeError:
            raise Problem(400, Message("api_not_json", detail="the body is not UTF-8 text")) from None
        except ValueError:  # a number of more than 4,300 digits (Python's own limit says how to lift it)
            raise Problem(400, Message("api_not_json", detail="a number has too many digits")) from None
        _refuse_control_characters(data, "")
        try:
            return op.body.model_validate(data)
        except ValidationError as exc:
            more = op.also_check(data) if op.also_check else None
            raise from_validation(exc, "request body", op.union_tags, more) from None

    def _replay(self, ctx: Context) -> Response | None:
        with runtime().db.read() as session:
            record = session.execute(select(IdempotencyRecord).where(
                IdempotencyRecord.token_id == ctx.token_id, IdempotencyRecord.key == ctx.idempotency_key)).scalar()
            answer = None if record is None else Answer.of(record)
        return None if answer is None else self._answer_replay(ctx, answer)

    def _answer_replay(self, ctx: Context, record: Answer) -> Response:
        if record.request_hash != ctx.request_hash:
            raise Problem(422, Message("api_key_reused", key=ctx.idempotency_key),
                          [{"field": KEY_HEADER, "message": Message("api_key_reused_field"), "code": "reused"}])
        response = Response(record.response, status=record.status_code, mimetype="application/json")
        for name, value in json.loads(record.headers or "{}").items():
            response.headers[name] = value
        response.headers["Idempotent-Replayed"] = "true"
        return response

    def _respond(self, reply: Reply) -> Response:
        if reply.text is not None:
            response = Response(reply.text, status=reply.status, mimetype=reply.mimetype)
        elif reply.body is None:
            response = Response(status=reply.status)
        else:
            response = Response(reply.body.model_dump_json(by_alias=True), status=reply.status,
                                mimetype="application/json")
        for name, value in reply.headers.items():
            response.headers[name] = value
        return response


IDEMPOTENCY = Header(KEY_HEADER, "A key the caller chooses per submission (for example a UUID). A retry with the "
                     "same key and the same body returns the first answer and never creates a second case; the same "
                     "key with a different body is refused. Answers are kept for 7 days.", {"type": "string", "minLength": 1, "maxLength": 128,
                                                               "pattern": r"^[\x21-\x7e]+$"},
                     example="3f0a6b9e-8d42-4c4f-9d8e-2f1c7a9b5e10")
IDEMPOTENCY_REQUIRED = Header(KEY_HEADER, IDEMPOTENCY.description + " Required here: this creates a case.",
                              IDEMPOTENCY.schema, required=True, example=IDEMPOTENCY.example)
APPLICANT_HEADER = "X-Applicant-Id"
APPLICANT = Header(APPLICANT_HEADER, "The applicant's ID number (居民身份证号) as verified by the portal's real-name "
                   "login. Only a case of that applicant is shown.",
                   {"type": "string", "pattern": r"^[0-9]{17}[0-9Xx]$"}, required=True, example="110105198506150030")
