"""Schemathesis hook (loaded through SCHEMATHESIS_HOOKS by test_api_contract.py): every operation gets a
token of a role it accepts, read from the operation's `x-token-roles` in the OpenAPI document."""
from __future__ import annotations

import json
import os

import schemathesis

TOKENS = json.loads(os.environ.get("JOINTREVIEW_FUZZ_TOKENS", "{}"))
PREFERENCE = ("portal", "reviewer", "supervisor", "head", "auditor", "designer", "admin")


def _role(case) -> str | None:
    roles = case.operation.definition.raw.get("x-token-roles") or []
    return next((r for r in PREFERENCE if r in roles and r in TOKENS), None)


@schemathesis.auth(cache_by_key=lambda case, ctx: _role(case) or "")
class TokenForRole:
    def get(self, case, ctx):
        role = _role(case)
        return TOKENS.get(role) if role else None

    def set(self, case, data, ctx):
        if data:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
