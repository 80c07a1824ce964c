"""Process definitions: load a set of BPMN/DMN files, validate all of it, and parse it into specs.

Validation collects every problem (file, line, element, plain message) before anything is stored.
"""
from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterable
from zoneinfo import ZoneInfo

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException

from . import countersign, decisions, foreign, lint_limits
from .errors import DeployError, EngineError, Message, Problem
from .lint_messages import M, kind
from .forms import FIELD_TYPES
from .glossary import Glossary, read as read_glossary
from .outcomes import OutcomeEnd, ends_of as outcome_ends
from .bpmnxml import BPMN_NS, CAMUNDA, bpmn_find, element_properties, lane_map, local_name
from .lint import KPI_FIELDS, ROLES, LaneResolver, Linter, parses, spaced
from .specs import JointReviewParser, due_expression, limit_instances, normalize_timers

_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)


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


@dataclass(frozen=True)
class MilestoneInfo:
    """An element whose completion the figures count: accepted, decided, approved, paid …"""

    element_id: str
    milestone: str
    outcome: str | None = None        # a fixed outcome code (e.g. rejected)
    outcome_field: str | None = None  # or the data field that holds it (e.g. decision)


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
    earlier_hash: str = ""  # the same files as hashed before indentation was left out (versions deployed until then)
    user_tasks: dict[tuple[str, str], UserTaskInfo] = field(default_factory=dict)
    timers: dict[tuple[str, str], TimerInfo] = field(default_factory=dict)
    milestones: dict[tuple[str, str], MilestoneInfo] = field(default_factory=dict)
    kpi_fields: dict[str, str] = field(default_factory=dict)  # area / category → the data field holding it
    called_kpi_fields: dict[str, dict[str, str]] = field(default_factory=dict)  # … of each process it calls
    kpi_success: frozenset[str] = frozenset()  # outcomes that count as a success (e.g. admit)
    owner_department: str | None = None  # answers for the case to the applicant (ratings' follow-up)
    interrupting: frozenset[str] = frozenset()  # event sub-processes whose start event interrupts
    send_back_to: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)  # 退回 targets a step allows
    not_by_performer_of: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)  # 不相容岗位
    countersign: dict[tuple[str, str], str] = field(default_factory=dict)  # 会签 all / 或签 any / 票签 ratio:r
    countersign_record: dict[tuple[str, str], str] = field(default_factory=dict)  # data field listing the signatures
    cc: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)  # 抄送: departments a step copies
    withdraw_message: str | None = None  # the message that withdraws an application (撤回申请) …
    withdrawable_until: str = "decided"  # … until the case reaches this milestone
    stops_clock: dict[tuple[str, str], str] = field(default_factory=dict)  # 补正: waiting here stops the SLA clock
    clock_owner: dict[tuple[str, str], str | None] = field(default_factory=dict)  # … whose clock (its lane)
    clock_owner_expr: dict[tuple[str, str], str] = field(default_factory=dict)  # … or its `department` expression
    retention_years: int | None = None  # finished cases are purged this many years after they ended
    case_target_workdays: int | None = None  # the whole case's target; an `age` alert rule watches it
    glossaries: dict[str, Glossary] = field(default_factory=dict)  # each process's data dictionary
    outcome_ends: dict[str, OutcomeEnd] = field(default_factory=dict)  # end events stating the case's outcome
    confirm: dict[tuple[str, str], str] = field(default_factory=dict)  # irreversible steps: the field to confirm
    submit_label: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)  # step → language ("" default) → button
    shows: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)  # step → data shown with its form
    attach: dict[tuple[str, str], str] = field(default_factory=dict)  # step → data field listing the documents kept at it

    def process_of(self, element_id: str) -> str:
        """The process a user task belongs to: this one, or one it calls (a step's `process_key` is the case's)."""
        for pid in [self.process_key, *self.subprocess_specs]:
            if (pid, element_id) in self.user_tasks:
                return pid
        return self.process_key

    @cached_property
    def glossary(self) -> Glossary:
        """The case's whole data dictionary: its process first, then the processes it calls."""
        out = Glossary(owner=self.owner_department)
        for pid in [self.process_key, *self.subprocess_specs]:
            if pid in self.glossaries:
                out = out.merged(self.glossaries[pid])
        return out


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


def _space_dmn_cells(specs) -> None:
    """Give keyword-led DMN cells (`in (…)`, `not in …`, `is None`) the space SpiffWorkflow leaves out."""
    for spec in specs:
        engine = getattr(spec, "dmnEngine", None)
        if engine is None:
            continue
        for rule in engine.decision_table.rules:
            for entry in rule.inputEntries:
                entry.lhs = [spaced(t) if t and not parses(t) and "?" not in t else t for t in entry.lhs]


def compile_files(files: dict[str, bytes], resolve_lane: LaneResolver, handlers: set[str],
                  function_names: set[str], tz: ZoneInfo, strict: bool = True) -> CompiledSet:
    """Validate and parse a set of files; raise DeployError listing every problem.

    `strict=False` (loading a version deployed earlier) skips the checks against today's departments and
    service handlers: a running case fails at the one step that needs a missing one, not everywhere.
    """
    linter = Linter(resolve_lane, handlers, function_names, tz, strict)
    trees = _parse_xml(files, linter)
    bpmn_trees = {n: t for n, t in trees.items() if etree.QName(t).namespace == BPMN_NS}
    dmn_trees = {n: t for n, t in trees.items() if n not in bpmn_trees}
    all_processes = [p for t in bpmn_trees.values() for p in bpmn_find(t, "./b:process")]
    process_ids = {p.get("id") for p in all_processes if foreign.executable(p)}
    linter.documentary = {p.get("id") for p in all_processes} - process_ids
    decision_ids = {d.get("id") for t in dmn_trees.values() for d in t.iter() if local_name(d) == "decision"}
    if not process_ids and not linter.problems:
        linter.problems.append(Problem(sorted(files)[0], None, None, M("no_process" if not all_processes else "no_executable")))
    for name, tree in bpmn_trees.items():
        linter.bpmn(name, tree, process_ids, decision_ids)
    if strict:  # a stored version deployed before this check still loads; the run time stops such a case
        for name, node, message in lint_limits.call_cycles(bpmn_trees):
            linter.add(name, node, message)
    for name, tree in dmn_trees.items():
        linter.dmn(name, tree)
    parser = JointReviewParser()
    _spiff_load(parser, bpmn_trees, dmn_trees, linter)
    processes = {}
    for name, tree in bpmn_trees.items():
        for process in bpmn_find(tree, "./b:process"):
            if not foreign.executable(process):
                continue
            model = _spiff_model(parser, name, process, trees, linter)
            if model is not None:
                processes[model.process_key] = model
    if linter.problems:
        raise DeployError(_dedupe(linter.problems))
    for model in processes.values():
        _attach_metadata(model, parser, resolve_lane, tz)
        specs = [model.spec, *model.subprocess_specs.values()]
        normalize_timers((t for s in specs for t in s.task_specs.values()), tz)
        for task_spec in (t for s in specs for t in s.task_specs.values()):
            limit_instances(task_spec)
        for (pid, element), rule in model.countersign.items():
            for spec in specs:
                target = spec.task_specs.get(element)
                if target is not None and hasattr(target, "check_completion_condition"):
                    countersign.apply(target, rule, model.countersign_record.get((pid, element)))
        _space_dmn_cells(t for s in specs for t in s.task_specs.values())
        decisions.instrument(specs, parser, files)
    return CompiledSet(files=files, processes=processes)


def _parse_xml(files: dict[str, bytes], linter: Linter) -> dict[str, object]:
    trees = {}
    for name, content in sorted(files.items()):
        if not name.endswith((".bpmn", ".dmn")):
            linter.problems.append(Problem(name, None, None, M("file_kind")))
            continue
        try:
            tree = etree.fromstring(content, _XML_PARSER)
        except etree.XMLSyntaxError as exc:
            linter.problems.append(Problem(name, exc.lineno, None, M(_xml_refusal(exc, content), line=exc.lineno or 1),
                                           exc.msg))
            continue
        if tree.getroottree().docinfo.doctype:  # entities could stand for anything, external files included
            linter.problems.append(Problem(name, 1, None, M("xml_dtd", line=1)))
            continue
        expected = "DMN" if name.endswith(".dmn") else "BPMN"
        namespace = etree.QName(tree).namespace or ""
        if etree.QName(tree).localname != "definitions" or (
                expected == "BPMN" and namespace != BPMN_NS) or (expected == "DMN" and "omg.org/spec/DMN" not in namespace):
            linter.problems.append(Problem(name, tree.sourceline, None, M(
                "not_this_kind", expected=expected, root=etree.QName(tree).localname, namespace=namespace or "—")))
            continue
        trees[name] = tree
    return trees


_DOCTYPE = re.compile(rb"^(\xef\xbb\xbf)?\s*(<\?xml[^>]*\?>)?(\s|<!--.*?-->)*<!DOCTYPE", re.S)


def _xml_refusal(exc: etree.XMLSyntaxError, content: bytes) -> str:
    """Which message says why a file could not be read: nested too deeply, a DTD or entities, or not well-formed."""
    text = exc.msg or ""
    if "Excessive depth" in text:  # libxml2 reads at most 256 levels
        return "xml_too_deep"
    if "amplification" in text or _DOCTYPE.match(content):  # billion laughs, external entities (XXE)
        return "xml_dtd"
    return "xml_malformed"


def _too_deep(exc: BaseException) -> bool:
    """Whether SpiffWorkflow gave up on Python's recursion limit (a very long chain or deep nesting), which it
    reports as a problem of whichever element it was at."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, RecursionError) or "RecursionError(" in str(exc)[:200]:
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _spiff_load(parser: JointReviewParser, bpmn_trees: dict, dmn_trees: dict, linter: Linter) -> None:
    for name, tree in dmn_trees.items():
        try:
            parser.add_dmn_xml(tree, filename=name)
        except (ValidationException, SpiffWorkflowException, KeyError, AttributeError, IndexError) as exc:
            detail = plain_message(str(exc))
            linter.problems.append(Problem(name, getattr(exc, "line_number", None) or None, None, M("dmn_unreadable"),
                                           None if isinstance(detail, Message) else detail))
    for name, tree in bpmn_trees.items():
        try:
            parser.add_bpmn_xml(foreign.for_spiff(tree), filename=name)
        except (ValidationException, RecursionError) as exc:
            linter.problems.append(Problem(name, None, None, M("diagram_too_deep")) if _too_deep(exc)
                                   else _spiff_problem(exc, name, tree))
        except (SpiffWorkflowException, KeyError, AttributeError, IndexError, TypeError, ValueError, AssertionError,
                NotImplementedError) as exc:
            if not any(p.file == name for p in linter.problems):  # the checks above already named the construct
                linter.problems.append(Problem(name, None, None, M("spiff_file", error=type(exc).__name__)))


def _spiff_model(parser, file: str, process, trees: dict, linter: Linter) -> ProcessModel | None:
    key = process.get("id")
    if parser.get_process_parser(key) is None:
        return None
    try:
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except (ValidationException, RecursionError) as exc:
        linter.problems.append(Problem(file, process.sourceline, key, M("diagram_too_deep")) if _too_deep(exc)
                               else _spiff_problem(exc, file, trees.get(exc.file_name or file)))
        return None
    except (SpiffWorkflowException, KeyError, AttributeError, TypeError, ValueError, AssertionError,
            NotImplementedError, IndexError) as exc:
        linter.problems.append(Problem(file, process.sourceline, key, M("spiff_process", error=type(exc).__name__)))
        return None
    used = {file} | {parser.get_process_parser(s).filename for s in subprocess_specs if parser.get_process_parser(s)}
    for pid in [key, *subprocess_specs]:
        proc_parser = parser.get_process_parser(pid)
        if proc_parser is None:
            continue
        for ref in bpmn_find(proc_parser.node, ".//b:businessRuleTask/@c:decisionRef"):
            if ref in parser.dmn_parsers:
                used.add(parser.dmn_parsers[ref].filename)
    digest, earlier = hashlib.sha256(), hashlib.sha256()
    for name in sorted(used):
        digest.update(name.encode() + b"\0" + hashlib.sha256(parser_bytes(trees[name])).digest())
        earlier.update(name.encode() + b"\0" + hashlib.sha256(parser_bytes(trees[name], indented=True)).digest())
    prefix = element_properties(process).get("key_prefix")
    return ProcessModel(key, process.get("name") or key, spec, subprocess_specs, sorted(used), digest.hexdigest(), prefix,
                        earlier_hash=earlier.hexdigest())


def utf8(content: bytes) -> str:
    """The text of an XML file for storage: as is when it is UTF-8, else re-encoded from its declared encoding."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        tree = etree.fromstring(content, _XML_PARSER)
        return etree.tostring(tree, encoding="utf-8", xml_declaration=True).decode("utf-8")


def parser_bytes(tree, indented: bool = False) -> bytes:
    """Canonical bytes of a parsed file, so formatting-only differences do not make a new version: attribute order
    (C14N) and the indentation between elements (a file saved again by another modeler is the same file; `indented`
    keeps it, as versions were hashed until 2026-11-30)."""
    tree = copy.deepcopy(tree)
    for node in tree.iter() if not indented else ():
        if node.text is not None and not node.text.strip() and len(node):
            node.text = None
        if node.tail is not None and not node.tail.strip():
            node.tail = None
    try:
        return etree.tostring(tree, method="c14n")
    except etree.C14NError:  # e.g. relative namespace URIs (xmlns:tns="empty"), which C14N refuses
        return etree.tostring(tree)


def _spiff_problem(exc: ValidationException, file: str, tree) -> Problem:
    element = getattr(exc, "id", None) or None
    found = tree.xpath("//*[@id=$i]", i=element) if tree is not None and element else []
    line = found[0].sourceline if found else None
    original = plain_message(str(exc).split("\n")[0].strip(), found[0] if found else None)
    message = original if isinstance(original, Message) else M("spiff_refused")
    return Problem(getattr(exc, "file_name", None) or file, line or getattr(exc, "line_number", None) or None, element,
                   message, None if isinstance(original, Message) else original)


_RAW_ELEMENT = re.compile(r"<Element \{[^}]*\}(\w+) at 0x[0-9a-fA-F]+>")
_RAW_EXCEPTION = re.compile(r"^\w*(Error|Exception)\(")


def plain_message(message: str, node=None) -> str:
    """SpiffWorkflow's wording without Python reprs: no `<Element … at 0x…>`, no `SomeError('…', b'<xml…>')`."""
    message = _RAW_ELEMENT.sub(lambda m: f"<{m.group(1)}>", message)
    if _RAW_EXCEPTION.match(message) or "b'<" in message or "0x" in message:
        return M("spiff_element", what=kind(local_name(node)) if node is not None else M("spiff_element_word"))
    return message.replace("message None", "a message without a name")


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen_elements = {(p.file, p.element) for p in problems if p.element}
    out, seen = [], set()
    for problem in problems:
        key = (problem.file, problem.line, problem.element, problem.message)
        if key in seen:
            continue
        seen.add(key)
        said = problem.original or problem.message
        if problem.element is None and said.startswith("The process '") and seen_elements:
            continue
        if "perhaps a form has the same ID" in said:
            continue  # Spiff's wording for a flow to a missing element, which the linter reports plainly
        out.append(problem)
    return sorted(out, key=lambda p: (p.file, p.line or 0))


def kpi_fields(process) -> dict[str, str]:
    """A process's `kpi_<name>_field` properties: figure field (area, category, addressee) → the data field."""
    props = element_properties(process)
    return {name: props[f"kpi_{name}_field"] for name in KPI_FIELDS if props.get(f"kpi_{name}_field")}


def _attach_metadata(model: ProcessModel, parser, resolve_lane: LaneResolver, tz: ZoneInfo) -> None:
    for pid in [model.process_key, *model.subprocess_specs]:
        proc_parser = parser.get_process_parser(pid)
        if proc_parser is None:
            continue
        process = proc_parser.node
        if local_name(process) != "process":  # an embedded subProcess: its tasks sit in the lanes of its process
            process = next(process.iterancestors(f"{{{BPMN_NS}}}process"), process)
        lanes = lane_map(process)
        model.glossaries[pid] = read_glossary(process, resolve_lane)
        if pid != model.process_key and local_name(proc_parser.node) == "process":  # a called process
            model.called_kpi_fields[pid] = kpi_fields(process)
        for task in bpmn_find(process, ".//b:userTask"):
            props = element_properties(task)
            if (props.get("confirm") or "").strip():
                model.confirm[(pid, task.get("id"))] = props["confirm"].strip()
            if (props.get("shows") or "").strip():  # what the step decides on, e.g. an inquiry's answer (result.answer)
                model.shows[(pid, task.get("id"))] = tuple(p.strip() for p in props["shows"].split(",") if p.strip())
            if (props.get("attach") or "").strip():  # documents may be kept with the answer, listed in this field
                model.attach[(pid, task.get("id"))] = props["attach"].strip()
            if (props.get("submit_label") or "").strip():  # what submitting does, e.g. 提交发送 (submit_label:en too)
                model.submit_label[(pid, task.get("id"))] = {
                    name.partition(":")[2]: value.strip() for name, value in props.items()
                    if name.partition(":")[0] == "submit_label" and value.strip()}
            if props.get("countersign") is not None:
                model.countersign[(pid, task.get("id"))] = props["countersign"].strip()
                if props.get("countersign_record"):
                    model.countersign_record[(pid, task.get("id"))] = props["countersign_record"].strip()
            for prop, target in (("send_back_to", model.send_back_to), ("not_by_performer_of", model.not_by_performer_of),
                                 ("cc", model.cc)):
                if props.get(prop) is not None:
                    target[(pid, task.get("id"))] = frozenset(t.strip() for t in props[prop].split(",") if t.strip())
            lane = lanes.get(task.get("id"))
            priority = task.get(f"{CAMUNDA}priority")
            model.user_tasks[(pid, task.get("id"))] = UserTaskInfo(
                element_id=task.get("id"),
                name=task.get("name") or task.get("id"),
                lane=lane,
                department=resolve_lane(lane) if lane and "department" not in props else None,
                department_expr=props.get("department"),
                role=(task.get(f"{CAMUNDA}candidateGroups") or "reviewer").strip(),
                due_expr=due_expression(task.get(f"{CAMUNDA}dueDate"), tz),
                follow_up_expr=due_expression(task.get(f"{CAMUNDA}followUpDate"), tz),
                priority=int(priority) if priority else 50,
            )
        for node in process.iter():
            props = element_properties(node) if isinstance(node.tag, str) and node.get("id") else {}
            if props.get("stops_clock"):
                model.stops_clock[(pid, node.get("id"))] = props["stops_clock"].strip()
                lane = lanes.get(node.get("id"))
                model.clock_owner[(pid, node.get("id"))] = resolve_lane(lane) if lane else None
                if props.get("department"):
                    model.clock_owner_expr[(pid, node.get("id"))] = props["department"].strip()
            if props.get("milestone"):
                model.milestones[(pid, node.get("id"))] = MilestoneInfo(
                    node.get("id"), props["milestone"], props.get("outcome"), props.get("outcome_field"))
        if pid == model.process_key:
            model.outcome_ends = outcome_ends(process)
            process_props = element_properties(process)
            model.kpi_fields = kpi_fields(process)
            model.owner_department = process_props.get("owner_department") or None
            model.withdraw_message = process_props.get("withdraw_message") or None
            model.withdrawable_until = process_props.get("withdrawable_until") or "decided"
            years = (process_props.get("retention_years") or "").strip()
            model.retention_years = int(years) if years.isdecimal() else None
            target = (process_props.get("case_target_workdays") or "").strip()
            model.case_target_workdays = int(target) if target.isdecimal() else None
            model.kpi_success = frozenset(o.strip() for o in process_props.get("kpi_success_outcomes", "").split(",")
                                          if o.strip())
        model.interrupting |= {sub.get("id") for sub in bpmn_find(process, ".//b:subProcess[@triggeredByEvent='true']")
                               if any((e.get("isInterrupting") or "true").strip().lower() != "false"
                                      for e in bpmn_find(sub, "./b:startEvent"))}
        for timer in bpmn_find(process, ".//b:timerEventDefinition"):
            event = timer.getparent()
            model.timers[(pid, event.get("id"))] = TimerInfo(
                element_id=event.get("id"), name=event.get("name") or event.get("id"),
                sla=element_properties(event).get("sla"), attached_to=event.get("attachedToRef"))


__all__ = ["CompiledSet", "ProcessModel", "UserTaskInfo", "TimerInfo", "compile_files", "read_files", "FIELD_TYPES", "ROLES"]
