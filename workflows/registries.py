"""Department registries behind the automatic checks: one interface, two implementations.

`DatabaseRegistry` reads records imported from the CSV exports departments exchange
(`jointreview registry import PSB residence_permits.csv`); `HttpRegistry` asks a department's own
JSON service, with timeouts and retries. Either raises `RegistryUnavailable` when it cannot answer; the
checks then route the step to a reviewer and record why, so a case is never blocked or lost.
"""
from __future__ import annotations

import csv
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import wallclock
from engine.errors import EngineError

from . import idcards
from .models import RegistryRecord


class RegistryUnavailable(Exception):
    """The registry could not answer (network, timeout, server error)."""


@dataclass(frozen=True)
class Dataset:
    """The columns of one registry export: name → kind (id, text, date, int, bool, or a|b|c choices)."""

    department: str
    name: str
    title: str
    key: str
    columns: dict[str, str]
    optional: frozenset[str] = frozenset()


DATASETS = {d.department + "/" + d.name: d for d in [
    Dataset("PSB", "residence_permits", "居住证登记", "id_number", {
        "id_number": "id", "name": "text", "permit_no": "text", "address": "text", "district": "text",
        "issued": "date", "expires": "date", "status": "valid|revoked"}),
    Dataset("HRSS", "social_insurance", "社保缴纳记录（insured_months：按月实际缴费的月数，不含补缴）", "id_number", {
        "id_number": "id", "name": "text", "insured_months": "int", "last_paid": "date", "employer": "text",
        "employed": "bool"}, frozenset({"employer"})),
    Dataset("HUD", "rental_filings", "租赁备案/房产登记", "id_number", {
        "id_number": "id", "name": "text", "filing_no": "text", "housing_type": "rent|own",
        "address": "text", "district": "text", "start": "date", "end": "date", "status": "active|cancelled"},
        frozenset({"end"})),
    Dataset("HEALTH", "vaccinations", "儿童预防接种记录", "child_id_number", {
        "child_id_number": "id", "child_name": "text", "complete": "bool", "missing": "text"},
        frozenset({"missing"})),
    Dataset("EDU", "students", "学籍信息", "child_id_number", {
        "child_id_number": "id", "child_name": "text", "school": "text", "grade": "text", "enrolled": "bool"}),
]}


def dataset(department: str, name: str) -> Dataset:
    """The dataset definition; EngineError naming the known ones when there is no such dataset."""
    found = DATASETS.get(f"{department.upper()}/{name}")
    if found is None:
        known = ", ".join(sorted(DATASETS))
        raise EngineError(f"no registry dataset {department}/{name}; known: {known}")
    return found


class Registry(Protocol):
    """Looks up one record of a department dataset by its key (an ID number)."""

    def lookup(self, department: str, name: str, key: str) -> dict[str, Any] | None: ...


class DatabaseRegistry:
    """Records imported from CSV exports, in the application database."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def lookup(self, department: str, name: str, key: str) -> dict[str, Any] | None:
        row = self.session.execute(select(RegistryRecord.data).where(
            RegistryRecord.department == department, RegistryRecord.dataset == name,
            RegistryRecord.key == key.strip().upper())).scalar_one_or_none()
        return json.loads(row) if row else None


class HttpRegistry:
    """A department's JSON service: GET {base}/{dataset}/{key} → 200 record, 404 none."""

    def __init__(self, base_url: str, timeout: float = 3.0, retries: int = 2, backoff: float = 0.2) -> None:
        self.base_url, self.timeout, self.retries, self.backoff = base_url.rstrip("/"), timeout, retries, backoff

    def lookup(self, department: str, name: str, key: str) -> dict[str, Any] | None:
        url = f"{self.base_url}/{urllib.parse.quote(name)}/{urllib.parse.quote(key.strip().upper())}"
        last = "no attempt"
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * attempt)
            try:
                with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "application/json"}),
                                            timeout=self.timeout) as response:
                    record = json.loads(response.read().decode("utf-8"))
                if not isinstance(record, dict):
                    raise RegistryUnavailable(f"{url} answered with something that is not a JSON object")
                return record
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    return None
                last = f"HTTP {exc.code}"
                if exc.code < 500 and exc.code != 429:
                    break
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                last = str(getattr(exc, "reason", exc)) or type(exc).__name__
            except (json.JSONDecodeError, UnicodeDecodeError):
                last = "the answer was not valid JSON"
        raise RegistryUnavailable(f"{department} registry at {self.base_url} did not answer ({last})")


def registry_for(department: str, session: Session) -> Registry:
    """The registry of a department: its HTTP service if $JOINTREVIEW_REGISTRY_URL_<DEPT> is set, else imports."""
    url = os.environ.get(f"JOINTREVIEW_REGISTRY_URL_{department.upper()}")
    if url:
        return HttpRegistry(url, timeout=float(os.environ.get("JOINTREVIEW_REGISTRY_TIMEOUT", "3")))
    return DatabaseRegistry(session)


# --- CSV import ------------------------------------------------------------------------------------

@dataclass
class ImportReport:
    """What an import did, or every bad row when it did nothing."""

    source: str
    imported: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _convert(kind: str, text: str) -> Any:
    if kind == "id":
        reason = idcards.problem(text)
        if reason:
            raise ValueError(reason.replace("ID number", f"ID number {text!r}", 1))
        return text.strip().upper()
    if kind == "date":
        text = text.strip()
        return (date.fromisoformat(text + "-01") if len(text) == 7 else date.fromisoformat(text)).isoformat()
    if kind == "int":
        value = int(text)
        if value < 0:
            raise ValueError("must not be negative")
        return value
    if kind == "bool":
        lowered = text.strip().lower()
        if lowered not in ("true", "false", "1", "0", "是", "否", "yes", "no"):
            raise ValueError(f"{text!r} is not yes/no")
        return lowered in ("true", "1", "是", "yes")
    if "|" in kind:
        if text.strip() not in kind.split("|"):
            raise ValueError(f"{text!r} is not one of {kind.replace('|', ', ')}")
        return text.strip()
    if not text.strip():
        raise ValueError("is empty")
    return text.strip()


def parse_csv(ds: Dataset, path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows of a CSV export checked against the dataset; (records, errors with line numbers)."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise EngineError(f"{path}: cannot read the file ({exc.strerror})") from None
    records, errors, seen = [], [], {}
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ds.columns if c not in (reader.fieldnames or []) and c not in ds.optional]
        if missing:
            return [], [f"{path.name}:1: missing columns: {', '.join(missing)} "
                        f"(expected {', '.join(ds.columns)})"]
        for row in reader:
            line = reader.line_num
            record, problems = {}, []
            for column, kind in ds.columns.items():
                raw = (row.get(column) or "").strip()
                if not raw and column in ds.optional:
                    record[column] = None
                    continue
                try:
                    record[column] = _convert(kind, raw)
                except ValueError as exc:
                    problems.append(f"{column}: {exc}")
            key = record.get(ds.key)
            if key and key in seen:
                problems.append(f"{ds.key}: {key} is also on line {seen[key]}")
            if problems:
                errors.append(f"{path.name}:{line}: " + "; ".join(problems))
            else:
                seen[key] = line
                records.append(record)
    if not records and not errors:
        errors.append(f"{path.name}: no data rows")
    return records, errors


def import_csv(session: Session, department: str, name: str, path: Path) -> ImportReport:
    """Import a CSV export: all rows or, if any row is bad, none (every bad row is reported)."""
    ds = dataset(department, name)
    records, errors = parse_csv(ds, path)
    report = ImportReport(str(path), errors=errors)
    if errors:
        return report
    save_records(session, ds, records, str(path), report)
    return report


def save_records(session: Session, ds: Dataset, records: list[dict[str, Any]], source: str,
                 report: ImportReport | None = None) -> ImportReport:
    """Insert or update records by key (re-importing the same export changes nothing twice)."""
    report = report or ImportReport(source)
    now = wallclock.now()
    existing = {r.key: r for r in session.execute(select(RegistryRecord).where(
        RegistryRecord.department == ds.department, RegistryRecord.dataset == ds.name)).scalars()}
    for record in records:
        text = json.dumps(record, ensure_ascii=False, sort_keys=True)
        row = existing.get(record[ds.key])
        if row is None:
            session.add(RegistryRecord(department=ds.department, dataset=ds.name, key=record[ds.key], data=text,
                                       imported_at=now, source=source))
            report.imported += 1
        elif row.data != text:
            row.data, row.imported_at, row.source = text, now, source
            report.updated += 1
    session.flush()
    return report
