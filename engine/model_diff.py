"""Two versions of a process's files compared as a designer reads a change, not as an XML diff: in a BPMN file,
element by element (a step, a gateway, a flow, a lane, the process's own settings) added, removed or changed,
each change shown before | after, line by line, with the element's kind and name; what only moved on the diagram
is counted apart. A rule table (DMN) is compared row by row (engine/rule_diff.py)."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from itertools import zip_longest

from lxml import etree

from . import rule_diff
from .bpmnxml import BPMN_NS, local_name

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
# the elements a change is told by; anything else (forms, properties, scripts, timers) belongs to the one it is in
ELEMENTS = {"process", "participant", "collaboration", "message", "signal", "error", "escalation", "lane",
            "sequenceFlow", "messageFlow", "startEvent", "endEvent", "userTask", "serviceTask", "scriptTask",
            "businessRuleTask", "callActivity", "task", "manualTask", "sendTask", "receiveTask", "subProcess",
            "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "intermediateCatchEvent",
            "intermediateThrowEvent", "boundaryEvent", "textAnnotation", "association", "dataObject",
            "dataObjectReference", "dataStoreReference"}
ADDED, REMOVED, CHANGED = "added", "removed", "changed"
CONTEXT = 1  # unchanged lines shown around a change; the rest is folded
MATCHED = 4_000_000  # lines before × lines after matched line by line; beyond, what differs shows as one change


@dataclass
class Row:
    """One line of a side-by-side comparison: before | after, and how it changed (same, changed, added, removed,
    or fold for unchanged lines left out)."""

    before: str
    after: str
    change: str


@dataclass
class ElementChange:
    element_id: str
    kind: str  # the BPMN element's local name (userTask …), for the page to name it
    name: str
    status: str  # added, removed, changed
    rows: list[Row] = field(default_factory=list)


@dataclass
class FileChange:
    name: str
    elements: list[ElementChange] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)  # names of elements only moved or redrawn on the diagram
    table: dict[str, dict] = field(default_factory=dict)  # a DMN file: decision id → rule_diff's table
    lines: list[Row] = field(default_factory=list)  # a file that cannot be read as XML: its lines side by side

    @property
    def counts(self) -> list[tuple[str, int]]:
        """How many elements were changed, added and removed."""
        return [(status, sum(e.status == status for e in self.elements)) for status in (CHANGED, ADDED, REMOVED)]


def compare(before: dict[str, str], after: dict[str, str]) -> list[FileChange]:
    """Every file that differs between two versions (name → text), with what changed in it."""
    out = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, ""), after.get(name, "")
        if old == new:
            continue
        change = _dmn(name, old, new) if name.endswith(".dmn") else _bpmn(name, old, new)
        if change.elements or change.moved or change.table or change.lines:
            out.append(change)
    return out


def _parse(text: str):
    if not text:
        return None
    try:
        return etree.fromstring(text.encode("utf-8"), _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None


def _bpmn(name: str, old: str, new: str) -> FileChange:
    a, b = _parse(old), _parse(new)
    change = FileChange(name)
    if (old and a is None) or (new and b is None):
        change.lines = _rows(old.splitlines(), new.splitlines(), fold=True)
        return change
    ea, eb = _elements(a), _elements(b)
    names = {i: _name(n, {**ea, **eb}) for i, n in {**ea, **eb}.items()}
    for element_id in list(eb) + [i for i in ea if i not in eb]:
        was, now = ea.get(element_id), eb.get(element_id)
        label = names[element_id]
        if was is None:
            change.elements.append(ElementChange(element_id, local_name(now), label, ADDED,
                                                 _rows([], _lines(now), fold=False)))
        elif now is None:
            change.elements.append(ElementChange(element_id, local_name(was), label, REMOVED,
                                                 _rows(_lines(was), [], fold=False)))
        else:
            before, after = _lines(was), _lines(now)
            if before != after:
                change.elements.append(ElementChange(element_id, local_name(now), label, CHANGED,
                                                     _rows(before, after, fold=True)))
    da, db = _drawing(a), _drawing(b)
    changed = {i for i in db if i in da and da[i] != db[i]} - {e.element_id for e in change.elements}
    change.moved = sorted(names.get(i, i) for i in changed)
    return change


def _name(node, elements: dict) -> str:
    """An element by its name; an unnamed flow as "from → to" by the names of its ends; else its id."""
    name = (node.get("name") or "").strip()
    if name:
        return name
    ends = [elements.get(node.get(ref)) for ref in ("sourceRef", "targetRef")]
    if all(e is not None for e in ends):
        return " → ".join((e.get("name") or "").strip() or e.get("id") for e in ends)
    return node.get("id")


def _elements(root) -> dict[str, object]:
    if root is None:
        return {}
    return {n.get("id"): n for n in root.iter() if isinstance(n.tag, str) and n.get("id")
            and etree.QName(n).namespace == BPMN_NS and local_name(n) in ELEMENTS}


def _lines(node, depth: int = 0, top: bool = True) -> list[str]:
    """An element's own content as readable lines: its kind and attributes, then each part it holds (form fields,
    properties, scripts, conditions…) indented; elements it contains that are told apart are left out."""
    if not top and etree.QName(node).namespace == BPMN_NS and local_name(node) in ELEMENTS and node.get("id"):
        return []
    attributes = " ".join(f'{name}="{v}"' for name, v in sorted((etree.QName(k).localname, v) for k, v in node.attrib.items())
                          if not (top and name == "id"))  # in one order: a modeler that writes them in another changed nothing
    pad = "  " * depth
    out = [f"{pad}{local_name(node)}{' ' + attributes if attributes else ''}"]
    text = (node.text or "").strip()
    if text:
        lines = text.splitlines()
        if len(lines) == 1 and len(lines[0]) <= 80:
            out[0] += f": {lines[0]}"
        else:
            out += [f"{pad}  {line.rstrip()}" for line in lines]
    for child in node:
        if isinstance(child.tag, str) and etree.QName(child).localname not in ("flowNodeRef", "incoming", "outgoing"):
            out += _lines(child, depth + 1, top=False)
    refs = [(c.text or "").strip() for c in node if isinstance(c.tag, str) and local_name(c) == "flowNodeRef"]
    if refs:  # a lane: the steps it holds, as one sorted list (their order in the file means nothing)
        out.append(f"{pad}  flowNodeRef: {', '.join(sorted(refs))}")
    return out


def _drawing(root) -> dict[str, tuple]:
    """Diagram shapes and edges by the element they draw: their bounds and waypoints."""
    if root is None:
        return {}
    out = {}
    for n in root.iter():
        if isinstance(n.tag, str) and local_name(n) in ("BPMNShape", "BPMNEdge") and n.get("bpmnElement"):
            out[n.get("bpmnElement")] = tuple(tuple(sorted(c.attrib.items())) for c in n.iter() if c is not n
                                              and local_name(c) in ("Bounds", "waypoint"))
    return out


def _opcodes(before: list[str], after: list[str]) -> list[tuple[str, int, int, int, int]]:
    """How `before` becomes `after`, line by line; where the lines that differ are too many to match (a file of
    thousands of like lines took difflib minutes: its work grows with their product), the lines in common at the start
    and the end, and what lies between as one change."""
    head = 0
    while head < min(len(before), len(after)) and before[head] == after[head]:
        head += 1
    tail = 0
    while tail < min(len(before), len(after)) - head and before[-1 - tail] == after[-1 - tail]:
        tail += 1
    if (len(before) - head - tail) * (len(after) - head - tail) <= MATCHED:
        return difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes()
    ends = [("equal", 0, head, 0, head)] if head else []
    middle = [("replace", head, len(before) - tail, head, len(after) - tail)]
    return ends + middle + ([("equal", len(before) - tail, len(before), len(after) - tail, len(after))] if tail else [])


def _rows(before: list[str], after: list[str], fold: bool) -> list[Row]:
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in _opcodes(before, after):
        if tag == "equal":
            same = [Row(x, x, "same") for x in before[i1:i2]]
            if fold and len(same) > 2 * CONTEXT + 1:
                head = same[:CONTEXT] if rows else []
                tail = same[-CONTEXT:] if i2 < len(before) or j2 < len(after) else []
                same = head + [Row("…", "…", "fold")] + tail
            rows += same
        elif tag == "delete":
            rows += [Row(x, "", REMOVED) for x in before[i1:i2]]
        elif tag == "insert":
            rows += [Row("", y, ADDED) for y in after[j1:j2]]
        else:
            rows += [Row(x or "", y or "", CHANGED) for x, y in zip_longest(before[i1:i2], after[j1:j2])]
    return rows


def _dmn(name: str, old: str, new: str) -> FileChange:
    change = FileChange(name)
    a, b = _parse(old), _parse(new)
    if (old and a is None) or (new and b is None):
        change.lines = _rows(old.splitlines(), new.splitlines(), fold=True)
        return change
    root = b if b is not None else a
    for decision in (d.get("id") for d in root.iter() if isinstance(d.tag, str) and local_name(d) == "decision"):
        table = rule_diff.diff(old, new, decision)
        if table["rows"]:
            change.table[decision] = table
    if not change.table:  # a change outside the rows (a name, a column, a new file): its lines side by side
        change.lines = _rows(old.splitlines(), new.splitlines(), fold=True)
    return change


__all__ = ["compare", "FileChange", "ElementChange", "Row", "ADDED", "REMOVED", "CHANGED"]
