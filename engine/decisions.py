"""Decision records: every evaluation of a DMN table (a business rule task) goes into the case's history with the
table, its version and content hash, the hit policy, the inputs as the table saw them, the rule rows that matched
(their numbers and annotations) and the outputs: enough to explain a decision in one sentence and to recompute it.

A business rule task whose basis the applicant may see (the points, the eligibility, not the fraud screening) says
so with the extension property `decision_basis` = `applicant`; the portal shows those records once the case has
ended. A table's version is its place among the distinct contents of its file deployed so far (v1, v2 …).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.specs.model import HitPolicy
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.exceptions import SpiffWorkflowException

from . import unary_tests
from .bpmnxml import CAMUNDA, bpmn_find, element_properties, local_name
from .lint_messages import M
from .models import AuditEntry, DeploymentFile
from .models_office import RuleVersion
from .rule_diff import diff

EVENT = "decision_made"
BASIS = ("applicant",)  # who else may see a decision's basis (the staff who see the case always may)


def digest(text: str) -> str:
    """The content hash of a stored DMN file (its UTF-8 text, as deployments keep it)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    """A value as the history can keep it (JSON): dates as ISO text, anything odd as its text."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)


class RecordingEngine(DMNEngine):
    """SpiffWorkflow's DMN engine, which also records what it decided in the operation's history."""

    def __init__(self, table, meta: dict[str, Any]) -> None:
        super().__init__(table)
        self.meta = meta

    def evaluate(self, input_expr, match_expr, task):
        """A cell written as FEEL unary tests (`"own","rent"`, `[1..5]`, `date("2026-01-01")`) is matched by
        engine.unary_tests against the input's value (evaluated in the sandbox); any other cell as Python."""
        tests = unary_tests.parse(match_expr)
        if tests is None:
            return super().evaluate(input_expr, match_expr, task)
        return tests.matches(task.workflow.script_engine.evaluate(task, input_expr))

    def decide(self, task):
        """The rules that match: for FIRST the first one only, the rules below it not read (one of them could stop
        the case on a value the first had already decided, and the decision record named them all as if they had
        decided); for COLLECT every one; for UNIQUE the one, the case stopping (naming the rules) when more match,
        as in Camunda (SpiffWorkflow took the first)."""
        first = self.decision_table.hit_policy == "FIRST"  # SpiffWorkflow's HitPolicy has no FIRST
        matched = []
        for rule in self.decision_table.rules:
            if self._DMNEngine__check_rule(rule, task):  # SpiffWorkflow's own check of a rule's cells
                matched.append(rule)
                if first:
                    break
        if self.decision_table.hit_policy == HitPolicy.UNIQUE.value and len(matched) > 1:
            # the deploy check finds overlaps between the cells it can read; this is one between cells it cannot
            raise WorkflowTaskException(M("decision_not_unique", table=self.meta.get("name") or "",
                                          rows=", ".join(str(r.row_number) for r in matched)), task=task)
        return matched

    def result(self, task):
        table = self.decision_table
        matched = self.decide(task)
        if table.hit_policy == HitPolicy.COLLECT.value:
            result: dict[str, Any] = {}
            for rule in matched:
                for key, value in rule.output_as_dict(task).items():
                    result.setdefault(key, []).append(value)
        else:
            result = matched[0].output_as_dict(task) if matched else {}
        op = getattr(task.workflow.script_engine, "op", None)
        if op is not None:
            op.record(EVENT, {**self.meta, "process": task.workflow.spec.name, "element": task.task_spec.bpmn_id,
                              "task": task.task_spec.bpmn_name or "",
                              "hit_policy": table.hit_policy, "inputs": self._inputs(task),
                              "rules": [{"row": r.row_number, "id": r.id, "note": r.description or ""} for r in matched],
                              "outputs": [{"name": o.name, "label": o.label or o.name, "value": _plain(result.get(o.name))}
                                          for o in table.outputs if o.name in result]},
                      actor="system:engine")  # the rules decided, not whoever's step led here
        return result

    def _inputs(self, task) -> list[dict[str, Any]]:
        out = []
        for entry in self.decision_table.inputs:
            try:
                value = _plain(task.workflow.script_engine.evaluate(task, entry.expression))
            except SpiffWorkflowException:  # the rows decided without it (empty cells); nothing to show
                value = None
            out.append({"label": entry.label or entry.expression, "expression": entry.expression, "value": value})
        return out


def instrument(specs, parser, files: dict[str, bytes]) -> None:
    """Have every business rule task of these process specs record its decisions."""
    from .definitions import utf8  # the definitions call this module while they compile

    for spec in specs:
        proc_parser = parser.get_process_parser(spec.name)
        if proc_parser is None:
            continue
        nodes = {n.get("id"): n for n in bpmn_find(proc_parser.node, ".//b:businessRuleTask")}
        for task_spec in spec.task_specs.values():
            engine = getattr(task_spec, "dmnEngine", None)
            node = nodes.get(getattr(task_spec, "bpmn_id", None))
            if engine is None or node is None or isinstance(engine, RecordingEngine):
                continue
            ref = node.get(f"{CAMUNDA}decisionRef") or ""
            dmn = parser.dmn_parsers.get(ref)
            found = next((d for d in dmn.node.iter() if local_name(d) == "decision" and d.get("id") == ref),
                         None) if dmn is not None else None
            filename = dmn.filename if dmn is not None else ""
            name = found.get("name") if found is not None else None
            meta = {"decision": ref, "name": name or ref, "file": filename,
                    "hash": digest(utf8(files[filename])) if filename in files else ""}
            english = found.xpath("string(./*[local-name()='extensionElements']//*[local-name()='property']"
                                  "[@name='name:en']/@value)").strip() if found is not None else ""
            if english:  # the table's English name (engine/rule_names.py), as the decision's record cites it
                meta["name_en"] = english
            basis = element_properties(node).get("decision_basis", "").strip()
            if basis in BASIS:
                meta["basis"] = basis
            task_spec.dmnEngine = RecordingEngine(engine.decision_table, meta)
            _feel_outputs(engine.decision_table)


def _feel_outputs(table) -> None:
    """Output cells the editor's helpers wrote as FEEL values (`true`, `null`, `date("2026-01-01")`) as the Python
    literal of the value case data keeps (engine.unary_tests.value); other cells stay as written."""
    for rule in table.rules:
        for entry in rule.outputEntries:
            found = unary_tests.value(getattr(entry, "text", None))
            if unary_tests.is_value(found):
                entry.text = repr(found)


def problem(node) -> str | None:
    """Why a business rule task's `decision_basis` property cannot be used, or None."""
    value = element_properties(node).get("decision_basis")
    if value is not None and value.strip() not in BASIS:
        return M("decision_basis", value=value.strip(), known=", ".join(BASIS))
    return None


@dataclass
class Record:
    """One decision as the case's history keeps it, with the table's version."""

    at: datetime
    details: dict[str, Any]
    version: int | None = None
    current_version: int | None = None  # the version deployed last (None: the table is no longer deployed)
    rows: list[int] = field(default_factory=list)
    changes: dict | None = None  # the rows that changed between its version and the one in force now

    @property
    def basis(self) -> str | None:
        return self.details.get("basis")


def versions(session: Session, filename: str, decision: str) -> tuple[dict[str, int | None], dict[str, str], str | None]:
    """The versions of a DMN file's table by content hash, the contents by hash, and the hash deployed last. A shared
    table's versions are those of its co-sign (engine/rules.py, which counts proposals that never took effect);
    another table's are the order in which its distinct contents were first deployed."""
    numbers: dict[str, int | None] = {}
    texts: dict[str, str] = {}
    latest = None
    for (text,) in session.execute(select(DeploymentFile.content).where(DeploymentFile.filename == filename)
                                   .order_by(DeploymentFile.deployment_id)):
        latest = digest(text)
        if latest not in texts:
            texts[latest] = text
            numbers[latest] = len(numbers) + 1
    shared = dict(session.execute(select(RuleVersion.content_hash, RuleVersion.version)
                                  .where(RuleVersion.decision == decision)).all())
    if shared:
        numbers = {hashed: shared.get(hashed) for hashed in numbers}
    return numbers, texts, latest


def of_case(session: Session, case_id: int, basis: str | None = None) -> list[Record]:
    """The decisions recorded in a case's history, oldest first (only those whose basis is `basis` when given), each
    with its table's version, the version in force now and, when they differ, the rows that changed since."""
    out, known = [], {}
    for at, details in session.execute(select(AuditEntry.at, AuditEntry.details).where(
            AuditEntry.case_id == case_id, AuditEntry.event == EVENT).order_by(AuditEntry.seq)):
        record = Record(at, json.loads(details or "{}"))
        if basis is not None and record.basis != basis:
            continue
        filename, decision = record.details.get("file", ""), record.details.get("decision", "")
        if (filename, decision) not in known:
            known[(filename, decision)] = versions(session, filename, decision) if filename else ({}, {}, None)
        numbers, texts, latest = known[(filename, decision)]
        hashed = record.details.get("hash")
        record.version = numbers.get(hashed)
        record.current_version = numbers.get(latest)
        record.rows = [r.get("row") for r in record.details.get("rules", [])]
        if hashed != latest and hashed in texts and latest in texts:
            record.changes = diff(texts[hashed], texts[latest], decision)
        out.append(record)
    return out
