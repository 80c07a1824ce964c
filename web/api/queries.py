"""Query strings of the API's lists (pydantic): page size and cursor, and each list's filters."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    limit: int = Field(default=25, ge=1, le=100, description="items per page")
    cursor: str | None = Field(default=None, max_length=400, description="next_cursor of the previous page")


class TaskQuery(PageQuery):
    view: Literal["all", "queue", "mine", "delegated"] = Field(
        default="all", description="queue: unclaimed; mine: claimed by me; delegated: what I have out with a delegate "
        "(委派), or back from one for me to confirm")
    process: str | None = Field(default=None, max_length=100)


class CaseQuery(PageQuery):
    process: str | None = Field(default=None, max_length=100)
    status: Literal["running", "completed", "stuck", "failed"] | None = None


class AuditQuery(PageQuery):
    limit: int = Field(default=100, ge=1, le=500)
    event: str | None = Field(default=None, max_length=40)
    actor: str | None = Field(default=None, max_length=64)
    business_key: str | None = Field(default=None, max_length=64)


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    format: Literal["csv", "ndjson"] = "ndjson"
    after_seq: int = Field(default=0, ge=0, le=2**62, description="export entries after this one")
    limit: int = Field(default=10000, ge=1, le=50000, description="entries per file; follow X-Next-After-Seq")
