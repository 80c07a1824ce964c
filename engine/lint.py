"""Deploy-time checks of BPMN and DMN files: every problem named with its file, line and element.

The linter reads the XML as it was written (before SpiffWorkflow parses it), so it can explain in plain
words what a modeler got wrong: unknown lanes, broken flows, refused expressions, bad timers and forms.
"""
from __future__ import annotations

import ast
import re
from typing import Callable
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .errors import Problem
from .lint_messages import M, kind as kind_words
from . import (clock, countersign, decisions, dmn_overlap, foreign, glossary, lint_limits, outcomes, translations,
               unary_tests)
from .rules import problems as shared_rule_problems
from .bpmnxml import CAMUNDA, CAMUNDA_NS, bpmn_find, element_properties, lane_map, local_name
from .expressions import ExpressionRefused, check, unknown_calls
from .forms import form_problems
from .specs import cycle_expression, due_expression, literal_kind, unwrap

ROLES = ("reviewer", "supervisor", "head")
SLA_KINDS = ("reminder", "escalation")
KPI_FIELDS = ("area", "category", "addressee")
_NAME = re.compile(r"[a-z][a-z0-9_]{1,31}")
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
LaneResolver = Callable[[str], "str | None"]
_FLOW_NODES = {"startEvent", "endEvent", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "callActivity",
               "task", "manualTask", "sendTask", "receiveTask", "subProcess", "exclusiveGateway", "parallelGateway",
               "inclusiveGateway", "eventBasedGateway", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
_LOOKS_ISO = re.compile(r"^(P[0-9A-Z.,]*|R\d*/.*|\d{4}-\S*)$")

class Linter:
    """Collects problems for one set of files."""

    def __init__(self, resolve_lane: LaneResolver, handlers: set[str], function_names: set[str], tz: ZoneInfo,
                 strict: bool = True):
        self.strict = strict  # False when loading a stored version: today's departments and handlers may differ
        self.resolve_lane = resolve_lane
        self.handlers = handlers
        self.function_names = function_names
        self.tz = tz
        self.problems: list[Problem] = []
        self.documentary: set[str] = set()  # ids of processes marked not executable

    def add(self, file: str, node, message: str, element: str | None = None, original: str | None = None) -> None:
        """Record a problem; `message` is a Message (lint_messages) so that it can be said in any language, and
        `original` a library's own words about it, if any."""
        line = node.sourceline if node is not None else None
        element = element or (node.get("id") if node is not None else None)
        self.problems.append(Problem(file, line, element, message, original))

    def expression(self, file: str, node, text: str | None, what: str, mode: str = "eval") -> None:
        """`what` names the part (part_condition, part_script …)."""
        if text is None or not text.strip():
            self.add(file, node, M("expr_empty", what=M(what)))
            return
        reason = check(text if mode == "exec" else text.strip(), mode)
        if not reason and self.strict:  # a stored version deployed before this check still loads (such a call fails
            found = unknown_calls(text, self.function_names, mode)  # only the case that runs it, as before)
            reason = found[0] if found else None
        if reason:
            self.add(file, node, M("expr_refused", what=M(what), text=text.strip(), reason=reason))

    # --- BPMN -----------------------------------------------------------------------------------
    def bpmn(self, file: str, root, process_ids: set[str], decision_ids: set[str]) -> None:
        ids: dict[str, object] = {}
        for node in root.iter():
            in_bpmn = isinstance(node.tag, str) and not node.tag.startswith(f"{{{CAMUNDA_NS}}}")
            ident = node.get("id") if in_bpmn else None  # camunda:value ids are option keys, not element ids
            if ident and ident in ids:
                self.add(file, node, M("duplicate_id", ident=ident, line=ids[ident].sourceline))
            elif ident:
                ids[ident] = node
        messages = {m.get("id"): (m.get("name") or "").strip() for m in bpmn_find(root, "./b:message")}
        for process in bpmn_find(root, "./b:process"):
            if not foreign.executable(process):
                continue  # another organisation's pool or a black box: documentation, never run
            self.process(file, process, process_ids, decision_ids)
            for definition in bpmn_find(process, ".//b:messageEventDefinition"):
                ref = definition.get("messageRef")
                if not ref:
                    self.add(file, definition.getparent(), M("message_no_ref"))
                elif ref not in messages:
                    self.add(file, definition.getparent(), M("message_undefined", ref=ref))
                elif not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", messages[ref]):
                    self.add(file, definition.getparent(), M("message_name", ref=ref))

    def process(self, file: str, process, process_ids: set[str], decision_ids: set[str]) -> None:
        prefix = element_properties(process).get("key_prefix")
        if prefix is not None and not re.fullmatch(r"[A-Z]{2,8}", prefix):
            self.add(file, process, M("key_prefix", prefix=prefix))
        elements = {n.get("id"): n for n in process.iter() if isinstance(n.tag, str) and n.get("id")}
        self.flows(file, process, elements)
        if self.strict:  # a stored version deployed before this check still loads (its cases fail, as before)
            for node, message in lint_limits.parallel_merges(process) + lint_limits.wide_joins(process):
                self.add(file, node, message)
        for node, message in (foreign.problems(process) + outcomes.problems(process)
                              + translations.problems(process)):
            self.add(file, node, message)
        for message in glossary.problems(process, (lambda code: self.resolve_lane(code) == code) if self.strict else None):
            self.add(file, process, message)
        lanes = lane_map(process)
        for lane in bpmn_find(process, ".//b:lane"):
            name = (lane.get("name") or "").strip()
            if not name:
                self.add(file, lane, M("lane_unnamed"))
            elif self.strict and self.resolve_lane(name) is None and not _dynamic_lane(process, lane):
                self.add(file, lane, M("lane_unknown", name=name))
        for task in bpmn_find(process, ".//b:userTask"):
            self.user_task(file, task, lanes)
        for flow in bpmn_find(process, ".//b:sequenceFlow/b:conditionExpression"):
            self.expression(file, flow.getparent(), unwrap(flow.text), "part_condition")
        for loop in bpmn_find(process, ".//b:multiInstanceLoopCharacteristics"):
            self.multi_instance(file, loop)
        for condition in bpmn_find(process, ".//b:conditionalEventDefinition/b:condition"):
            self.expression(file, condition.getparent().getparent(), unwrap(condition.text), "part_event_condition")
        self.milestones(file, process)
        for definition in bpmn_find(process, ".//b:messageEventDefinition[@c:expression]"):
            self.expression(file, definition.getparent(), unwrap(definition.get(f"{CAMUNDA}expression")),
                            "part_message_payload")
        for script in bpmn_find(process, ".//b:scriptTask"):
            body = bpmn_find(script, "./b:script")
            self.expression(file, script, body[0].text if body else None, "part_script", mode="exec")
        for service in bpmn_find(process, ".//b:serviceTask"):
            self.service(file, service)
        for timer in bpmn_find(process, ".//b:timerEventDefinition"):
            self.timer(file, timer)
        for call in bpmn_find(process, ".//b:callActivity"):
            if element_properties(call).get("department"):
                self.expression(file, call, element_properties(call)["department"], "part_department")
            key = element_properties(call).get("result_key")
            if key is not None and not _FIELD.fullmatch(key):
                self.add(file, call, M("result_key", key=key))
            called = call.get("calledElement")
            if not called:
                self.add(file, call, M("call_no_process"))
            elif called not in process_ids:
                self.add(file, call, M("call_missing" if called not in self.documentary else "call_documentary",
                                       called=called))
        for rule in bpmn_find(process, ".//b:businessRuleTask"):
            ref = rule.get(f"{CAMUNDA}decisionRef")
            if not ref:
                self.add(file, rule, M("rule_no_decision"))
            elif ref not in decision_ids:
                self.add(file, rule, M("rule_unknown_decision", ref=ref))
            reason = decisions.problem(rule)
            if reason:
                self.add(file, rule, reason)

    def milestones(self, file: str, process) -> None:
        """`milestone`, `outcome` and `outcome_field` on elements; kpi_area_field / kpi_category_field on the process."""
        owner = element_properties(process).get("owner_department")
        if owner is not None and self.strict and self.resolve_lane(owner) is None:
            self.add(file, process, M("owner_department", value=owner))
        withdraw = element_properties(process).get("withdraw_message")
        if withdraw is not None and withdraw not in {(m.get("name") or "").strip() for m in bpmn_find(
                process.getparent(), "./b:message")}:
            self.add(file, process, M("withdraw_message", value=withdraw))
        years = element_properties(process).get("retention_years")
        if years is not None and not (years.strip().isdecimal() and 1 <= int(years) <= 100):
            self.add(file, process, M("retention_years", value=years))
        target = element_properties(process).get("case_target_workdays")
        if target is not None and not (target.strip().isdecimal() and 1 <= int(target) <= 365):
            self.add(file, process, M("case_target", value=target))
        for name in KPI_FIELDS:
            value = element_properties(process).get(f"kpi_{name}_field")
            if value is not None and not _FIELD.fullmatch(value):
                self.add(file, process, M("kpi_field", name=name, value=value))
        for node in process.iter():
            props = element_properties(node) if isinstance(node.tag, str) and node.get("id") else {}
            if "stops_clock" in props:
                reason = clock.problem(props["stops_clock"], local_name(node))
                if reason:
                    self.add(file, node, reason)
            if "milestone" not in props:
                if "outcome" in props or "outcome_field" in props:
                    self.add(file, node, M("outcome_needs_milestone"))
                continue
            if not _NAME.fullmatch(props["milestone"]):
                self.add(file, node, M("milestone_name", value=props["milestone"]))
            if props.get("outcome") is not None and not _NAME.fullmatch(props["outcome"]):
                self.add(file, node, M("outcome_code", value=props["outcome"]))
            if props.get("outcome_field") is not None and not _FIELD.fullmatch(props["outcome_field"]):
                self.add(file, node, M("outcome_field", value=props["outcome_field"]))
            if props.get("outcome") and props.get("outcome_field"):
                self.add(file, node, M("outcome_both"))

    def multi_instance(self, file: str, loop) -> None:
        task = loop.getparent()
        collection = loop.get(f"{CAMUNDA}collection")
        if collection is not None and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", collection.strip()):
            self.add(file, task, M("multi_collection", value=collection))
        element = loop.get(f"{CAMUNDA}elementVariable")
        if collection is not None and element is None:
            self.add(file, task, M("multi_element_variable"))
        elif element is not None and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", element.strip()):
            self.add(file, task, M("multi_element_name", value=element))
        for child, what in (("loopCardinality", "part_loop_cardinality"), ("completionCondition", "part_completion_condition")):
            for node in bpmn_find(loop, f"./b:{child}"):
                self.expression(file, task, unwrap(node.text), what)
        for node in bpmn_find(loop, "./b:loopCardinality") if self.strict else []:
            problem = lint_limits.instances_problem(unwrap(node.text))
            if problem is not None:
                self.add(file, task, problem)

    def flows(self, file: str, process, elements: dict) -> None:
        outgoing: dict[str, list] = {}
        for flow in bpmn_find(process, ".//b:sequenceFlow"):
            for end in ("sourceRef", "targetRef"):
                ref = flow.get(end)
                if not ref:
                    self.add(file, flow, M("flow_no_end", end=end))
                elif ref not in elements:
                    self.add(file, flow, M("flow_unknown_end", end=end, ref=ref))
            outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
        targets = {f.get("targetRef") for f in bpmn_find(process, ".//b:sequenceFlow")}
        for ident, node in elements.items():
            kind = local_name(node)
            if kind not in _FLOW_NODES or node.get("triggeredByEvent") == "true" or foreign.compensation_only(node):
                continue  # event sub-processes start on their event; compensation runs only when thrown
            ends_quietly = kind == "endEvent" or (kind == "boundaryEvent" and node.get("cancelActivity") == "false")
            if not ends_quietly and ident not in outgoing and not foreign.is_link(node, "intermediateThrowEvent"):
                self.add(file, node, M("no_outgoing", kind=kind_words(kind)))
            if kind not in ("startEvent", "boundaryEvent") and ident not in targets and not foreign.is_link(
                    node, "intermediateCatchEvent"):
                self.add(file, node, M("no_incoming", kind=kind_words(kind)))
        for source, flows in outgoing.items():
            node = elements.get(source)
            if node is None:
                continue
            kind = local_name(node)
            if len(flows) > 1 and not kind.endswith("Gateway") and kind not in ("boundaryEvent",):
                self.add(file, node, M("many_outgoing", kind=kind_words(kind), count=len(flows)))
            if kind in ("exclusiveGateway", "inclusiveGateway") and len(flows) > 1:
                default = node.get("default")
                for flow in flows:
                    has_condition = bool(bpmn_find(flow, "./b:conditionExpression"))
                    if not has_condition and flow.get("id") != default:
                        self.add(file, flow, M("gateway_flow"))

    def user_task(self, file: str, task, lanes: dict[str, str]) -> None:
        props = element_properties(task)
        role = (task.get(f"{CAMUNDA}candidateGroups") or "reviewer").strip()
        if role not in ROLES:
            self.add(file, task, M("candidate_group", value=role, known=", ".join(ROLES)))
        if "department" in props:
            self.expression(file, task, props["department"], "part_department_expression")
        elif task.get("id") not in lanes:
            self.add(file, task, M("task_no_lane"))
        for attr, what in (("dueDate", "part_due_date"), ("followUpDate", "part_follow_up_date")):
            text = task.get(f"{CAMUNDA}{attr}")
            if text:
                self.due(file, task, text, what)
        priority = task.get(f"{CAMUNDA}priority")
        if priority and not _whole_32(priority):  # tasks.priority is a 32-bit column (PostgreSQL refused the row)
            self.add(file, task, M("priority", value=priority))
        if props.get("countersign") is not None:
            loops = bpmn_find(task, "./b:multiInstanceLoopCharacteristics")
            reason = countersign.problem(props["countersign"], bool(loops),
                                         bool(loops) and loops[0].get("isSequential") == "true")
            if reason:
                self.add(file, task, reason)
        record = props.get("countersign_record")
        if record is not None and (props.get("countersign") is None or not _FIELD.fullmatch(record.strip())):
            self.add(file, task, M("countersign_record", value=record))
        for code in (c.strip() for c in props.get("cc", "").split(",") if c.strip()):
            if self.strict and self.resolve_lane(code) != code:
                self.add(file, task, M("cc_department", value=code))
        if props.get("attach") is not None and not _FIELD.fullmatch(props["attach"].strip()):
            self.add(file, task, M("attach_field", value=props["attach"]))
        for path in (p.strip() for p in props.get("shows", "").split(",") if p.strip()):
            if not all(_FIELD.fullmatch(part) for part in path.split(".", 1)):
                self.add(file, task, M("shows_field", value=path))
        for prop in ("send_back_to", "not_by_performer_of"):
            if props.get(prop) is None:
                continue
            user_tasks = {t.get("id") for t in bpmn_find(task.getroottree().getroot(), ".//b:userTask")}
            for target in (t.strip() for t in props[prop].split(",") if t.strip()):
                if target not in user_tasks or target == task.get("id"):
                    self.add(file, task, M("task_reference", prop=prop, value=target))
        for element, message in form_problems(task, CAMUNDA_NS, self.function_names):
            self.add(file, element, message, element=task.get("id"))

    def due(self, file: str, node, text: str, what: str) -> None:
        limit = lint_limits.duration_problem(unwrap(text), what) if self.strict else None
        if limit is not None:
            self.add(file, node, limit)
            return
        if _LOOKS_ISO.match(unwrap(text)) and literal_kind(unwrap(text)) is None:
            self.add(file, node, M("due_not_iso", what=M(what), text=text.strip()))
            return
        try:
            expr = due_expression(text, self.tz)
        except ValueError as exc:
            self.add(file, node, M("due_not_date", what=M(what), text=text.strip()), original=str(exc))
            return
        if literal_kind(unwrap(text)) == "duration":
            try:
                TimerEventDefinition.parse_iso_duration(unwrap(text).upper())
            except Exception:
                self.add(file, node, M("due_not_duration", what=M(what), text=text.strip()))
                return
        self.expression(file, node, expr, what)
        limit = lint_limits.span_problem(unwrap(text), what) if self.strict and literal_kind(unwrap(text)) is None else None
        if limit is not None:
            self.add(file, node, limit)

    def timer(self, file: str, timer) -> None:
        event = timer.getparent()
        texts = [(c, local_name(c)) for c in timer if local_name(c) in ("timeDate", "timeDuration", "timeCycle")]
        if len(texts) != 1:
            self.add(file, event, M("timer_one"))
            return
        child, kind = texts[0]
        if kind == "timeCycle":
            self.expression(file, event, cycle_expression(child.text, self.tz), "part_timer_cycle")
            literal = unwrap(child.text)
            limit = lint_limits.cycle_problem(literal) if self.strict and literal_kind(literal) == "cycle" else None
            if limit is not None:
                self.add(file, event, limit)
        else:
            self.due(file, event, child.text or "", "part_timer")
        sla = element_properties(event).get("sla")
        if sla is not None and sla not in SLA_KINDS:
            self.add(file, event, M("sla_kind", value=sla, known=", ".join(SLA_KINDS)))

    def service(self, file: str, task) -> None:
        topic = task.get(f"{CAMUNDA}topic")
        if not topic:
            self.add(file, task, M("service_no_topic"))
        elif self.strict and topic not in self.handlers:
            self.add(file, task, M("service_unknown", topic=topic, known=", ".join(sorted(self.handlers)) or "—"))

    # --- DMN ------------------------------------------------------------------------------------
    def dmn(self, file: str, root) -> None:
        if self.strict:
            for node, message in shared_rule_problems(root, self.resolve_lane):
                self.add(file, node, message)
        for table in root.iter():
            if local_name(table) != "decisionTable":
                continue
            policy = table.get("hitPolicy", "UNIQUE")
            if policy not in ("UNIQUE", "FIRST", "COLLECT"):
                self.add(file, table, M("hit_policy", value=policy))
            elif policy == "COLLECT" and table.get("aggregation"):  # SpiffWorkflow would return the list, not its sum
                self.add(file, table, M("hit_aggregation", value=table.get("aggregation")))
            inputs = [c for c in table if local_name(c) == "input"]
            in_exprs, columns = [], []
            for column in inputs:
                text = "".join(t.text or "" for t in column.iter() if local_name(t) == "text")
                self.expression(file, column, text, "part_input_expression")
                in_exprs.append(text.strip() or "None")
                columns.append(column.get("label") or text.strip() or column.get("id") or "—")
            outputs = [c.get("label") or c.get("name") or c.get("id") or "—" for c in table if local_name(c) == "output"]
            decision = table.getparent()
            where = {"table": (decision.get("name") or decision.get("id") or "—") if decision is not None else "—"}
            rules = [c for c in table if local_name(c) == "rule"]
            for row, rule in enumerate(rules, 1):
                where.update(row=row, rule=rule.get("id") or "—")
                entries = [c for c in rule if local_name(c) == "inputEntry"]
                for index, entry in enumerate(entries):
                    where["column"] = columns[index] if index < len(columns) else str(index + 1)
                    self.input_cell(file, rule, entry, in_exprs[index] if index < len(in_exprs) else "None", where)
                for index, entry in enumerate(c for c in rule if local_name(c) == "outputEntry"):
                    where["column"] = outputs[index] if index < len(outputs) else str(index + 1)
                    self.output_cell(file, entry, where)
            if policy == "UNIQUE":
                self.unique(file, table, rules, in_exprs)

    def unique(self, file: str, table, rules: list, in_exprs: list[str]) -> None:
        """A UNIQUE table whose rules overlap is refused, the first overlapping pairs named (a table too large to check
        pair by pair is refused as such)."""
        if len(rules) > dmn_overlap.MAX_RULES:
            self.add(file, table, M("unique_too_many", count=len(rules), limit=dmn_overlap.MAX_RULES))
            return
        rows = [[dmn_overlap.parse(_cell_text(e), in_exprs[i] if i < len(in_exprs) else "None")
                 for i, e in enumerate(c for c in rule if local_name(c) == "inputEntry")] for rule in rules]
        pairs = dmn_overlap.overlaps(rows, dmn_overlap.MAX_PAIRS + 1)
        for i, j in pairs[:dmn_overlap.MAX_PAIRS]:
            self.add(file, table, M("unique_overlap", first=i + 1, first_id=rules[i].get("id") or "—", second=j + 1,
                                    second_id=rules[j].get("id") or "—"))
        if len(pairs) > dmn_overlap.MAX_PAIRS:
            self.add(file, table, M("unique_overlap_more", limit=dmn_overlap.MAX_PAIRS))

    def input_cell(self, file: str, rule, entry, input_expr: str, where: dict) -> None:
        """A cell is FEEL unary tests (as the editor's helpers write them) or Python; `where` names its table, rule
        (row number and id) and column for a FEEL value that cannot be used."""
        text = _cell_text(entry)
        if not text or text == "-":
            return
        element = entry.get("id") or rule.get("id")
        try:
            if unary_tests.parse(text) is not None:
                return
        except ExpressionRefused as exc:
            self.add(file, entry, M("cell_feel_refused", text=text, reason=exc.message, **where), element)
            return
        try:
            tree = ast.parse(text, mode="eval")
            if isinstance(tree.body, ast.Tuple) and all(isinstance(e, ast.Constant) for e in tree.body.elts):
                self.add(file, entry, M("cell_comma_list", text=text), element)
                return
        except SyntaxError:
            pass
        if re.search(r"\?(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)", text):
            candidate = re.sub(r"\?(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)", "dmninputexpr", text)
        elif parses(text):
            candidate = f"({input_expr}) == ({text})"
        else:
            candidate = f"{input_expr}{spaced(text)}"
        reason = check(candidate)
        if reason:
            self.add(file, entry, M("cell_refused", text=text, reason=reason), element)


    def output_cell(self, file: str, entry, where: dict) -> None:
        """An output cell is one FEEL value as the editor's helpers write it (`true`, `date("2026-01-01")`) or Python."""
        text = _cell_text(entry)
        if not text:
            return
        try:
            found = unary_tests.value(text)
        except ExpressionRefused as exc:
            self.add(file, entry, M("cell_feel_refused", text=text, reason=exc.message, **where))
            return
        if not unary_tests.is_value(found):
            self.expression(file, entry, text, "part_output_cell")


def _whole_32(text: str) -> bool:
    """A whole number a 32-bit integer column holds, in decimal digits (² is a digit, no number)."""
    digits = text.strip()
    return digits.removeprefix("-").isdecimal() and -2**31 <= int(digits) < 2**31


def _cell_text(entry) -> str:
    return "".join(t.text or "" for t in entry.iter() if local_name(t) == "text").strip()


def spaced(cell: str) -> str:
    """SpiffWorkflow joins an input expression and a cell with no space; `in (…)` then reads `xin (…)`."""
    return " " + cell if cell[:1].isalpha() else cell


def parses(text: str) -> bool:
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return True


def _dynamic_lane(process, lane) -> bool:
    """A lane whose every user task names its department by expression (e.g. the inquiry's target)."""
    refs = {r.text for r in bpmn_find(lane, ".//b:flowNodeRef")}
    tasks = [t for t in bpmn_find(process, ".//b:userTask") if t.get("id") in refs]
    return bool(tasks) and all("department" in element_properties(t) for t in tasks)
