"""Process definitions: load a set of BPMN/DMN files, validate all of it, and parse it into specs.

Validation collects every problem (file, line, element, plain message) before anything is stored.
"""
from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException

from .errors import DeployError, EngineError, Problem
from .expressions import check
from .forms import FIELD_TYPES, form_problems
from .specs import JointReviewParser, cycle_expression, due_expression, literal_kind, normalize_timers, unwrap

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ROLES = ("reviewer", "supervisor", "head")
SLA_KINDS = ("reminder", "escalation")
_CAMUNDA = f"{{{CAMUNDA_NS}}}"
_FLOW_NODES = {"startEvent", "endEvent", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "callActivity",
               "task", "manualTask", "sendTask", "receiveTask", "subProcess", "exclusiveGateway", "parallelGateway",
               "inclusiveGateway", "eventBasedGateway", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
_LOOKS_ISO = re.compile(r"^(P[0-9A-Z.,]*|R\d*/.*|\d{4}-\S*)$")
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)

LaneResolver = Callable[[str], "str | None"]


@dataclass(frozen=True)
class UserTaskInfo:
    """Routing facts of one user task, read from the BPMN."""

    element_id: str
    name: str
    lane: str | None
    department: str | None
    department_expr: str | None
    role: str
    due_expr: str | None
    follow_up_expr: str | None
    priority: int


@dataclass(frozen=True)
class TimerInfo:
    """A boundary or catch timer and what it means for the SLA."""

    element_id: str
    name: str
    sla: str | None
    attached_to: str | None


@dataclass
class ProcessModel:
    """One executable process in a compiled set: its specs and routing metadata."""

    process_key: str
    name: str
    spec: object
    subprocess_specs: dict
    files: list[str]
    content_hash: str
    key_prefix: str | None = None
    user_tasks: dict[tuple[str, str], UserTaskInfo] = field(default_factory=dict)
    timers: dict[tuple[str, str], TimerInfo] = field(default_factory=dict)


@dataclass
class CompiledSet:
    """A validated set of files and the process models it defines."""

    files: dict[str, bytes]
    processes: dict[str, ProcessModel]


def read_files(paths: Iterable[str | Path]) -> dict[str, bytes]:
    """Read .bpmn/.dmn files, expanding folders; names are kept relative to what was given."""
    files: dict[str, bytes] = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise EngineError(f"{path}: no such file or folder")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in (".bpmn", ".dmn"))
            if not found:
                raise EngineError(f"{path}: no .bpmn or .dmn files in this folder")
            for item in found:
                files[str(item.relative_to(path))] = item.read_bytes()
        elif path.suffix not in (".bpmn", ".dmn"):
            raise EngineError(f"{path}: only .bpmn and .dmn files can be deployed")
        else:
            files[path.name] = path.read_bytes()
    if not files:
        raise EngineError("no files given")
    return files


def _local(node) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _bpmn(node, path: str) -> list:
    return node.xpath(path, namespaces={"b": BPMN_NS, "c": CAMUNDA_NS})


def _properties(node) -> dict[str, str]:
    props = _bpmn(node, "./b:extensionElements/c:properties/c:property")
    return {p.get("name", ""): p.get("value", "") for p in props}


class _Linter:
    """Collects problems for one set of files."""

    def __init__(self, resolve_lane: LaneResolver, handlers: set[str], function_names: set[str], tz: ZoneInfo,
                 strict: bool = True):
        self.strict = strict  # False when loading a stored version: today's departments and handlers may differ
        self.resolve_lane = resolve_lane
        self.handlers = handlers
        self.function_names = function_names
        self.tz = tz
        self.problems: list[Problem] = []

    def add(self, file: str, node, message: str, element: str | None = None) -> None:
        line = node.sourceline if node is not None else None
        element = element or (node.get("id") if node is not None else None)
        self.problems.append(Problem(file, line, element, message))

    def expression(self, file: str, node, text: str | None, what: str, mode: str = "eval") -> None:
        if text is None or not text.strip():
            self.add(file, node, f"{what} is empty")
            return
        reason = check(text if mode == "exec" else text.strip(), mode)
        if reason:
            self.add(file, node, f"{what} {text.strip()!r} is refused: {reason}")

    # --- BPMN -----------------------------------------------------------------------------------
    def bpmn(self, file: str, root, process_ids: set[str], decision_ids: set[str]) -> None:
        ids: dict[str, object] = {}
        for node in root.iter():
            in_bpmn = isinstance(node.tag, str) and not node.tag.startswith(f"{{{CAMUNDA_NS}}}")
            ident = node.get("id") if in_bpmn else None  # camunda:value ids are option keys, not element ids
            if ident and ident in ids:
                self.add(file, node, f"duplicate id {ident!r} (also on line {ids[ident].sourceline})")
            elif ident:
                ids[ident] = node
        messages = {m.get("id"): (m.get("name") or "").strip() for m in _bpmn(root, "./b:message")}
        for process in _bpmn(root, "./b:process"):
            self.process(file, process, process_ids, decision_ids)
            for definition in _bpmn(process, ".//b:messageEventDefinition"):
                ref = definition.get("messageRef")
                if not ref or ref not in messages:
                    self.add(file, definition.getparent(), f"message event refers to message {ref!r}, which is not defined")
                elif not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", messages[ref]):
                    self.add(file, definition.getparent(),
                             f"message {ref!r} needs a name of letters, digits and _ (it becomes the data key)")

    def process(self, file: str, process, process_ids: set[str], decision_ids: set[str]) -> None:
        prefix = _properties(process).get("key_prefix")
        if prefix is not None and not re.fullmatch(r"[A-Z]{2,8}", prefix):
            self.add(file, process, f"key_prefix {prefix!r} must be 2 to 8 capital letters (e.g. ADM)")
        elements = {n.get("id"): n for n in process.iter() if isinstance(n.tag, str) and n.get("id")}
        self.flows(file, process, elements)
        lanes = lane_map(process)
        for lane in _bpmn(process, ".//b:lane"):
            name = (lane.get("name") or "").strip()
            if not name:
                self.add(file, lane, "lane has no name; name it after a department")
            elif self.strict and self.resolve_lane(name) is None and not _dynamic_lane(process, lane):
                self.add(file, lane, f"lane {name!r} does not match any department (code, Chinese or English name, or alias)")
        for task in _bpmn(process, ".//b:userTask"):
            self.user_task(file, task, lanes)
        for flow in _bpmn(process, ".//b:sequenceFlow/b:conditionExpression"):
            self.expression(file, flow.getparent(), unwrap(flow.text), "condition")
        for loop in _bpmn(process, ".//b:multiInstanceLoopCharacteristics"):
            self.multi_instance(file, loop)
        for condition in _bpmn(process, ".//b:conditionalEventDefinition/b:condition"):
            self.expression(file, condition.getparent().getparent(), unwrap(condition.text), "event condition")
        for script in _bpmn(process, ".//b:scriptTask"):
            body = _bpmn(script, "./b:script")
            self.expression(file, script, body[0].text if body else None, "script", mode="exec")
        for service in _bpmn(process, ".//b:serviceTask"):
            self.service(file, service)
        for timer in _bpmn(process, ".//b:timerEventDefinition"):
            self.timer(file, timer)
        for call in _bpmn(process, ".//b:callActivity"):
            called = call.get("calledElement")
            if not called:
                self.add(file, call, "call activity has no called process (calledElement)")
            elif called not in process_ids:
                self.add(file, call, f"calls process {called!r}, which is not in the files being deployed")
        for rule in _bpmn(process, ".//b:businessRuleTask"):
            ref = rule.get(f"{_CAMUNDA}decisionRef")
            if not ref:
                self.add(file, rule, "business rule task has no decision (camunda:decisionRef)")
            elif ref not in decision_ids:
                self.add(file, rule, f"decision {ref!r} is not defined in any .dmn file being deployed")

    def multi_instance(self, file: str, loop) -> None:
        task = loop.getparent()
        collection = loop.get(f"{_CAMUNDA}collection")
        if collection is not None and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", collection.strip()):
            self.add(file, task, f"multi-instance collection {collection!r} must name a data item (e.g. departments), "
                                 "not an expression")
        for child, what in (("loopCardinality", "loop cardinality"), ("completionCondition", "completion condition")):
            for node in _bpmn(loop, f"./b:{child}"):
                self.expression(file, task, unwrap(node.text), what)

    def flows(self, file: str, process, elements: dict) -> None:
        outgoing: dict[str, list] = {}
        for flow in _bpmn(process, ".//b:sequenceFlow"):
            for end in ("sourceRef", "targetRef"):
                ref = flow.get(end)
                if not ref or ref not in elements:
                    self.add(file, flow, f"sequence flow {end} {ref!r} names no element in this process")
            outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
        targets = {f.get("targetRef") for f in _bpmn(process, ".//b:sequenceFlow")}
        for ident, node in elements.items():
            kind = _local(node)
            ends_quietly = kind == "endEvent" or (kind == "boundaryEvent" and node.get("cancelActivity") == "false")
            if kind in _FLOW_NODES and not ends_quietly and ident not in outgoing:
                self.add(file, node, f"{kind} has no outgoing flow: a case would stop here without ending; "
                                     "connect it or end with an end event")
            if kind in _FLOW_NODES and kind not in ("startEvent", "boundaryEvent") and ident not in targets:
                self.add(file, node, f"{kind} has no incoming flow, so it can never be reached")
        for source, flows in outgoing.items():
            node = elements.get(source)
            if node is None:
                continue
            kind = _local(node)
            if len(flows) > 1 and not kind.endswith("Gateway") and kind not in ("boundaryEvent",):
                self.add(file, node, f"{kind} has {len(flows)} outgoing flows; add an explicit gateway")
            if kind in ("exclusiveGateway", "inclusiveGateway") and len(flows) > 1:
                default = node.get("default")
                for flow in flows:
                    has_condition = bool(_bpmn(flow, "./b:conditionExpression"))
                    if not has_condition and flow.get("id") != default:
                        self.add(file, flow, "flow leaving a decision gateway has no condition and is not the default flow")

    def user_task(self, file: str, task, lanes: dict[str, str]) -> None:
        props = _properties(task)
        role = (task.get(f"{_CAMUNDA}candidateGroups") or "reviewer").strip()
        if role not in ROLES:
            self.add(file, task, f"candidate group {role!r} is not a role; use one of {', '.join(ROLES)}")
        if "department" in props:
            self.expression(file, task, props["department"], "department expression")
        elif task.get("id") not in lanes:
            self.add(file, task, "user task is in no lane, so no department would receive it")
        for attr, what in (("dueDate", "due date"), ("followUpDate", "follow-up date")):
            text = task.get(f"{_CAMUNDA}{attr}")
            if text:
                self.due(file, task, text, what)
        priority = task.get(f"{_CAMUNDA}priority")
        if priority and not priority.strip().lstrip("-").isdigit():
            self.add(file, task, f"priority {priority!r} must be a whole number")
        for element, message in form_problems(task, CAMUNDA_NS, self.function_names):
            self.add(file, element, message, element=task.get("id"))

    def due(self, file: str, node, text: str, what: str) -> None:
        if _LOOKS_ISO.match(unwrap(text)) and literal_kind(unwrap(text)) is None:
            self.add(file, node, f"{what} {text.strip()!r} is neither a valid ISO 8601 date/duration nor an expression")
            return
        try:
            expr = due_expression(text, self.tz)
        except ValueError as exc:
            self.add(file, node, f"{what} {text!r} is not a valid date: {exc}")
            return
        if literal_kind(unwrap(text)) == "duration":
            try:
                TimerEventDefinition.parse_iso_duration(unwrap(text).upper())
            except Exception:
                self.add(file, node, f"{what} {text!r} is not a valid ISO 8601 duration")
                return
        self.expression(file, node, expr, what)

    def timer(self, file: str, timer) -> None:
        event = timer.getparent()
        texts = [(c, _local(c)) for c in timer if _local(c) in ("timeDate", "timeDuration", "timeCycle")]
        if len(texts) != 1:
            self.add(file, event, "timer needs exactly one of timeDate, timeDuration or timeCycle")
            return
        child, kind = texts[0]
        if kind == "timeCycle":
            self.expression(file, event, cycle_expression(child.text, self.tz), "timer cycle")
        else:
            self.due(file, event, child.text or "", "timer")
        sla = _properties(event).get("sla")
        if sla is not None and sla not in SLA_KINDS:
            self.add(file, event, f"sla property {sla!r} must be one of {', '.join(SLA_KINDS)}")

    def service(self, file: str, task) -> None:
        topic = task.get(f"{_CAMUNDA}topic")
        if not topic:
            self.add(file, task, "service task has no topic; set Implementation: External with a topic")
        elif self.strict and topic not in self.handlers:
            known = ", ".join(sorted(self.handlers)) or "none registered"
            self.add(file, task, f"no service handler is registered for topic {topic!r} (known: {known})")

    # --- DMN ------------------------------------------------------------------------------------
    def dmn(self, file: str, root) -> None:
        for table in root.iter():
            if _local(table) != "decisionTable":
                continue
            policy = table.get("hitPolicy", "UNIQUE")
            if policy not in ("UNIQUE", "FIRST", "COLLECT"):
                self.add(file, table, f"hit policy {policy} is not supported; use UNIQUE or COLLECT")
            inputs = [c for c in table if _local(c) == "input"]
            in_exprs = []
            for column in inputs:
                text = "".join(t.text or "" for t in column.iter() if _local(t) == "text")
                self.expression(file, column, text, "input expression")
                in_exprs.append(text.strip() or "None")
            for rule in (c for c in table if _local(c) == "rule"):
                entries = [c for c in rule if _local(c) == "inputEntry"]
                for index, entry in enumerate(entries):
                    self.input_cell(file, rule, entry, in_exprs[index] if index < len(in_exprs) else "None")
                for entry in (c for c in rule if _local(c) == "outputEntry"):
                    text = _cell_text(entry)
                    if text:
                        self.expression(file, entry, text, "output cell")

    def input_cell(self, file: str, rule, entry, input_expr: str) -> None:
        text = _cell_text(entry)
        if not text or text == "-":
            return
        element = entry.get("id") or rule.get("id")
        try:
            tree = ast.parse(text, mode="eval")
            if isinstance(tree.body, ast.Tuple) and all(isinstance(e, ast.Constant) for e in tree.body.elts):
                self.add(file, entry, f"cell {text!r} is a comma list, which never matches; write ? in ({text})", element)
                return
        except SyntaxError:
            pass
        if re.search(r"\?(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)", text):
            candidate = re.sub(r"\?(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)", "dmninputexpr", text)
        elif _parses(text):
            candidate = f"({input_expr}) == ({text})"
        else:
            candidate = f"{input_expr}{_spaced(text)}"
        reason = check(candidate)
        if reason:
            self.add(file, entry, f"cell {text!r} is refused: {reason}", element)


def _cell_text(entry) -> str:
    return "".join(t.text or "" for t in entry.iter() if _local(t) == "text").strip()


def _spaced(cell: str) -> str:
    """SpiffWorkflow joins an input expression and a cell with no space; `in (…)` then reads `xin (…)`."""
    return " " + cell if cell[:1].isalpha() else cell


def _space_dmn_cells(specs) -> None:
    """Give keyword-led DMN cells (`in (…)`, `not in …`, `is None`) the space SpiffWorkflow leaves out."""
    for spec in specs:
        engine = getattr(spec, "dmnEngine", None)
        if engine is None:
            continue
        for rule in engine.decision_table.rules:
            for entry in rule.inputEntries:
                entry.lhs = [_spaced(t) if t and not _parses(t) and "?" not in t else t for t in entry.lhs]


def _parses(text: str) -> bool:
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return True


def _dynamic_lane(process, lane) -> bool:
    """A lane whose every user task names its department by expression (e.g. the inquiry's target)."""
    refs = {r.text for r in _bpmn(lane, ".//b:flowNodeRef")}
    tasks = [t for t in _bpmn(process, ".//b:userTask") if t.get("id") in refs]
    return bool(tasks) and all("department" in _properties(t) for t in tasks)


def lane_map(process) -> dict[str, str]:
    """element id → innermost lane name; nested lanes are visited after their parents."""
    out: dict[str, str] = {}
    for lane in sorted(_bpmn(process, ".//b:lane"), key=lambda n: len(list(n.iterancestors()))):
        for ref in _bpmn(lane, "./b:flowNodeRef"):
            out[(ref.text or "").strip()] = (lane.get("name") or "").strip()
    return out


def compile_files(files: dict[str, bytes], resolve_lane: LaneResolver, handlers: set[str],
                  function_names: set[str], tz: ZoneInfo, strict: bool = True) -> CompiledSet:
    """Validate and parse a set of files; raise DeployError listing every problem.

    `strict=False` (loading a version deployed earlier) skips the checks against today's departments and
    service handlers: a running case fails at the one step that needs a missing one, not everywhere.
    """
    linter = _Linter(resolve_lane, handlers, function_names, tz, strict)
    trees = _parse_xml(files, linter)
    bpmn_trees = {n: t for n, t in trees.items() if _local(t) == "definitions" and _bpmn(t, "./b:process")}
    dmn_trees = {n: t for n, t in trees.items() if n not in bpmn_trees}
    process_ids = {p.get("id") for t in bpmn_trees.values() for p in _bpmn(t, "./b:process")}
    decision_ids = {d.get("id") for t in dmn_trees.values() for d in t.iter() if _local(d) == "decision"}
    if not bpmn_trees and not linter.problems:
        linter.problems.append(Problem(sorted(files)[0], None, None, "no BPMN process in the files given"))
    for name, tree in bpmn_trees.items():
        linter.bpmn(name, tree, process_ids, decision_ids)
    for name, tree in dmn_trees.items():
        linter.dmn(name, tree)
    parser = JointReviewParser()
    _spiff_load(parser, bpmn_trees, dmn_trees, linter)
    processes = {}
    for name, tree in bpmn_trees.items():
        for process in _bpmn(tree, "./b:process"):
            model = _spiff_model(parser, name, process, trees, linter)
            if model is not None:
                processes[model.process_key] = model
    if linter.problems:
        raise DeployError(_dedupe(linter.problems))
    for model in processes.values():
        _attach_metadata(model, parser, resolve_lane, tz)
        specs = [model.spec, *model.subprocess_specs.values()]
        normalize_timers((t for s in specs for t in s.task_specs.values()), tz)
        _space_dmn_cells(t for s in specs for t in s.task_specs.values())
    return CompiledSet(files=files, processes=processes)


def _parse_xml(files: dict[str, bytes], linter: _Linter) -> dict[str, object]:
    trees = {}
    for name, content in sorted(files.items()):
        if not name.endswith((".bpmn", ".dmn")):
            linter.problems.append(Problem(name, None, None, "only .bpmn and .dmn files can be deployed"))
            continue
        try:
            tree = etree.fromstring(content, _XML_PARSER)
        except etree.XMLSyntaxError as exc:
            linter.problems.append(Problem(name, exc.lineno, None, f"XML is not well-formed: {exc.msg}"))
            continue
        expected = "DMN" if name.endswith(".dmn") else "BPMN"
        namespace = etree.QName(tree).namespace or ""
        if etree.QName(tree).localname != "definitions" or (
                expected == "BPMN" and namespace != BPMN_NS) or (expected == "DMN" and "omg.org/spec/DMN" not in namespace):
            linter.problems.append(Problem(name, tree.sourceline, None, f"this is not a {expected} file: its root element is "
                                           f"<{etree.QName(tree).localname}> in namespace {namespace or '(none)'!r}, "
                                           f"not {expected} <definitions>"))
            continue
        trees[name] = tree
    return trees


def _spiff_load(parser: JointReviewParser, bpmn_trees: dict, dmn_trees: dict, linter: _Linter) -> None:
    for name, tree in dmn_trees.items():
        try:
            parser.add_dmn_xml(tree, filename=name)
        except (ValidationException, SpiffWorkflowException, KeyError, AttributeError, IndexError) as exc:
            linter.problems.append(Problem(name, getattr(exc, "line_number", None) or None, None, f"DMN file could not be read: {exc}"))
    for name, tree in bpmn_trees.items():
        try:
            parser.add_bpmn_xml(tree, filename=name)
        except ValidationException as exc:
            linter.problems.append(_spiff_problem(exc, name, tree))


def _spiff_model(parser, file: str, process, trees: dict, linter: _Linter) -> ProcessModel | None:
    key = process.get("id")
    if parser.get_process_parser(key) is None:
        return None
    try:
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except ValidationException as exc:
        linter.problems.append(_spiff_problem(exc, file, trees.get(exc.file_name or file)))
        return None
    except (SpiffWorkflowException, KeyError, AttributeError, TypeError, ValueError) as exc:
        linter.problems.append(Problem(file, process.sourceline, key, f"process could not be parsed: {exc}"))
        return None
    used = {file} | {parser.get_process_parser(s).filename for s in subprocess_specs if parser.get_process_parser(s)}
    for pid in [key, *subprocess_specs]:
        proc_parser = parser.get_process_parser(pid)
        if proc_parser is None:
            continue
        for ref in _bpmn(proc_parser.node, ".//b:businessRuleTask/@c:decisionRef"):
            if ref in parser.dmn_parsers:
                used.add(parser.dmn_parsers[ref].filename)
    digest = hashlib.sha256()
    for name in sorted(used):
        digest.update(name.encode() + b"\0" + hashlib.sha256(parser_bytes(trees[name])).digest())
    prefix = _properties(process).get("key_prefix")
    return ProcessModel(key, process.get("name") or key, spec, subprocess_specs, sorted(used), digest.hexdigest(), prefix)


def utf8(content: bytes) -> str:
    """The text of an XML file for storage: as is when it is UTF-8, else re-encoded from its declared encoding."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        tree = etree.fromstring(content, _XML_PARSER)
        return etree.tostring(tree, encoding="utf-8", xml_declaration=True).decode("utf-8")


def parser_bytes(tree) -> bytes:
    """Canonical bytes of a parsed file, so formatting-only differences do not make a new version."""
    return etree.tostring(tree, method="c14n")


def _spiff_problem(exc: ValidationException, file: str, tree) -> Problem:
    element = getattr(exc, "id", None) or None
    line = None
    if tree is not None and element:
        found = tree.xpath("//*[@id=$i]", i=element)
        line = found[0].sourceline if found else None
    message = str(exc).split("\n")[0].strip()
    return Problem(getattr(exc, "file_name", None) or file, line or getattr(exc, "line_number", None) or None, element, message)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen_elements = {(p.file, p.element) for p in problems if p.element}
    out, seen = [], set()
    for problem in problems:
        key = (problem.file, problem.line, problem.element, problem.message)
        if key in seen:
            continue
        seen.add(key)
        if problem.element is None and problem.message.startswith("The process '") and seen_elements:
            continue
        if "perhaps a form has the same ID" in problem.message:
            continue  # Spiff's wording for a flow to a missing element, which the linter reports plainly
        out.append(problem)
    return sorted(out, key=lambda p: (p.file, p.line or 0))


def _attach_metadata(model: ProcessModel, parser, resolve_lane: LaneResolver, tz: ZoneInfo) -> None:
    for pid in [model.process_key, *model.subprocess_specs]:
        proc_parser = parser.get_process_parser(pid)
        if proc_parser is None:
            continue
        process = proc_parser.node
        if _local(process) != "process":  # an embedded subProcess: its tasks sit in the lanes of its process
            process = next(process.iterancestors(f"{{{BPMN_NS}}}process"), process)
        lanes = lane_map(process)
        for task in _bpmn(process, ".//b:userTask"):
            props = _properties(task)
            lane = lanes.get(task.get("id"))
            priority = task.get(f"{_CAMUNDA}priority")
            model.user_tasks[(pid, task.get("id"))] = UserTaskInfo(
                element_id=task.get("id"),
                name=task.get("name") or task.get("id"),
                lane=lane,
                department=resolve_lane(lane) if lane and "department" not in props else None,
                department_expr=props.get("department"),
                role=(task.get(f"{_CAMUNDA}candidateGroups") or "reviewer").strip(),
                due_expr=due_expression(task.get(f"{_CAMUNDA}dueDate"), tz),
                follow_up_expr=due_expression(task.get(f"{_CAMUNDA}followUpDate"), tz),
                priority=int(priority) if priority else 50,
            )
        for timer in _bpmn(process, ".//b:timerEventDefinition"):
            event = timer.getparent()
            model.timers[(pid, event.get("id"))] = TimerInfo(
                element_id=event.get("id"), name=event.get("name") or event.get("id"),
                sla=_properties(event).get("sla"), attached_to=event.get("attachedToRef"))


__all__ = ["CompiledSet", "ProcessModel", "UserTaskInfo", "TimerInfo", "compile_files", "read_files", "FIELD_TYPES", "ROLES"]
