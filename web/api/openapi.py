"""The OpenAPI 3.1 document, generated from the declared operations and their pydantic models."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic.json_schema import models_json_schema

from .core import Api
from .problems import PROBLEM, PROBLEM_TYPES

REF = "#/components/schemas/{model}"
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An error (RFC 9457). Validation errors list every bad field in `errors`.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "urn:jointreview:problem:<kind>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "what is wrong, in words"},
        "code": {"type": "string", "description": "a stable code of the refusal, when the engine gives one "
                                                  "(e.g. task_closed_completed, task_claimed_by, case_moved_on)"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message", "code"],
            "properties": {"field": {"type": "string", "description": "the field, header or parameter"},
                           "message": {"type": "string"}, "code": {"type": "string"}}}},
    },
    "examples": [{"type": "urn:jointreview:problem:validation-failed", "title": "The request has invalid fields",
                  "status": 422, "detail": "the application has errors; nothing was started",
                  "errors": [{"field": "applicant_id", "message": "ID number check digit should be 7",
                              "code": "invalid"}]}],
}
PROBLEM_HEADERS = {
    401: {"WWW-Authenticate": "Bearer"},
    429: {"Retry-After": "seconds to wait before the next request"},
}


def document(api: Api) -> dict[str, Any]:
    return _document(id(api), api)


@lru_cache(maxsize=4)
def _document(_key: int, api: Api) -> dict[str, Any]:
    inputs, outputs = set(), set()
    for op in api.operations:
        if op.body is not None:
            inputs.add(op.body)
        outputs.update(m for m, _ in op.responses.values() if m is not None)
    pairs = [(m, "validation") for m in inputs] + [(m, "serialization") for m in outputs]
    keys, defs = models_json_schema(sorted(pairs, key=lambda p: (p[0].__name__, p[1])), ref_template=REF)
    schemas = dict(defs.get("$defs", {}))
    schemas["Problem"] = PROBLEM_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    for op in api.operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, keys)
    return {
        "openapi": "3.1.0",
        "info": {"title": "JointReview API", "version": "1.0.0",
                 "description": "Cross-department joint review (积分入学联审, 补贴审批, 部门函询) for the applicant "
                                "portal and other departments' systems. Every operation but this document needs "
                                "`Authorization: Bearer <token>`; a token is bound to one role (and department) "
                                "and has the same access as that role in the web app. Errors are "
                                "application/problem+json. Lists are paged with `limit` and `cursor`."},
        "servers": [{"url": "/api/v1"}],
        "tags": [{"name": "applications", "description": "the applicant portal (portal token)"},
                 {"name": "tasks", "description": "department systems (reviewer, supervisor or head token)"},
                 {"name": "inquiries", "description": "formal inquiries between departments"},
                 {"name": "cases", "description": "case histories (auditor token)"},
                 {"name": "audit", "description": "the tamper-evident audit log (auditor token)"},
                 {"name": "processes", "description": "process versions and deploys (designer token)"},
                 {"name": "tokens", "description": "API tokens (admin token)"},
                 {"name": "figures", "description": "KPIs and the node assessment (supervisor, head, auditor or "
                                                    "admin token; department tokens see their department)"}],
        "paths": paths,
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "an API token (jrt_…) issued by an administrator"}}},
    }


def _operation(op, keys) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag],
                           "description": " ".join((op.description or "").split())}
    if op.roles is not None:
        out["security"] = [{"bearer": []}]
        out["x-token-roles"] = list(op.roles)
    params = [{"name": name, "in": "path", "required": True, "schema": {k: v for k, v in schema.items() if k != "example"},
               **({"example": schema["example"]} if "example" in schema else {})}
              for name, schema in op.path_params.items()]
    for h in op.headers:
        param = {"name": h.name, "in": "header", "required": h.required, "description": h.description,
                 "schema": h.schema}
        if h.example:
            param["example"] = h.example
        params.append(param)
    if op.query is not None:
        schema = op.query.model_json_schema(ref_template=REF)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            prop = dict(prop)
            description = prop.pop("description", None)
            prop.pop("title", None)
            param = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if description:
                param["description"] = description
            params.append(param)
    if params:
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": keys[(op.body, "validation")]["$ref"]}}}}
        examples = (op.body.model_config.get("json_schema_extra") or {}).get("examples")
        if examples:
            out["requestBody"]["content"]["application/json"]["examples"] = {
                f"example{i + 1}": {"value": e} for i, e in enumerate(examples)}
    responses: dict[str, Any] = {}
    for status, (model, text) in sorted(op.responses.items()):
        response: dict[str, Any] = {"description": text}
        if model is not None:
            response["content"] = {"application/json": {"schema": {"$ref": keys[(model, "serialization")]["$ref"]}}}
        if status in op.media:
            response["content"] = op.media[status]
        headers = op.response_headers.get(status)
        if headers:
            response["headers"] = {name: {"description": d, "schema": {"type": "string"}, "required": name == "Location"} for name, d in headers.items()}
        responses[str(status)] = response
    for status in op.problems:
        slug, title = PROBLEM_TYPES[status]
        response = {"description": title, "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        if status in PROBLEM_HEADERS:
            response["headers"] = {name: {"description": d, "schema": {"type": "string"}, "required": True}
                                   for name, d in PROBLEM_HEADERS[status].items()}
        responses[str(status)] = response
    out["responses"] = responses
    return out
