"""BPMN constructs that other modelers write and SpiffWorkflow does not run as such.

SpiffWorkflow 3 reads an event definition it does not know as a plain (none) event: a link event
would become a dead end, a compensation handler a task nobody reaches, an error start event of an
event sub-process a sub-process that starts with the case. This module says, per construct, whether
the engine runs it, and prepares for SpiffWorkflow a copy of the file in which what can be run is
written the way it understands:

- link events: a throw link and the catch link of the same name in the same (sub-)process become one
  sequence flow ("go to"), exactly their meaning;
- compensation boundary events and their handlers (`isForCompensation`) are kept as documentation:
  BPMN runs them only when compensation is thrown, and a process that throws it is refused with a
  plain message (the engine does not undo completed work by itself);
- data objects, data stores, their associations and input/output specifications are documentation
  here (case data comes from forms and service tasks), so they are left out of what runs;
- processes marked `isExecutable="false"` (other organisations' pools, black boxes) are not run.
"""
from __future__ import annotations

import copy

from lxml import etree

from .lint_messages import M, definition_words, kind as words_of

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_B = f"{{{BPMN_NS}}}"

# Event definitions SpiffWorkflow runs, by kind of event (its parsers list them); `link` and
# `compensate` are handled by the rewrite below.
SUPPORTED_DEFINITIONS = {
    "startEvent": {"message", "signal", "timer", "conditional"},
    "endEvent": {"message", "cancel", "error", "escalation", "terminate"},
    "intermediateCatchEvent": {"message", "signal", "timer", "conditional", "link"},
    "intermediateThrowEvent": {"escalation", "message", "signal", "link"},
    "boundaryEvent": {"cancel", "error", "escalation", "message", "signal", "timer", "conditional", "compensate"},
}
_DOCUMENTATION = ("dataInputAssociation", "dataOutputAssociation", "ioSpecification")
_SCOPES = ("process", "subProcess", "transaction", "adHocSubProcess")
_OTHER_FORMS = {"http://flowable.org/bpmn": "Flowable", "http://activiti.org/bpmn": "Activiti"}


def _local(node) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _bpmn(node, path: str) -> list:
    return node.xpath(path, namespaces={"b": BPMN_NS})


def executable(process) -> bool:
    """Whether a process runs: anything but isExecutable="false" (SpiffWorkflow's reading too)."""
    return (process.get("isExecutable") or "true").strip().lower() != "false"


def definitions(event) -> list[str]:
    """The kinds of event definition on an event: message, timer, link …"""
    return [_local(d)[:-len("EventDefinition")] for d in event
            if _local(d).endswith("EventDefinition")]


def link_name(event) -> str | None:
    found = _bpmn(event, "./b:linkEventDefinition")
    return (found[0].get("name") or "").strip() if found else None


def is_link(event, kind: str) -> bool:
    return _local(event) == kind and link_name(event) is not None


def compensation_only(node) -> bool:
    """A compensation boundary event or handler: reached only when compensation is thrown."""
    return (node.get("isForCompensation") or "").strip().lower() == "true" or (
        _local(node) == "boundaryEvent" and "compensate" in definitions(node))


def throws_compensation(process) -> list:
    """Events that throw compensation (intermediate throw or end events)."""
    return [e for e in process.iter() if _local(e) in ("intermediateThrowEvent", "endEvent")
            and "compensate" in definitions(e)]


def _scope(node):
    return next((a for a in node.iterancestors() if _local(a) in _SCOPES), None)


def problems(process) -> list[tuple[object, str]]:
    """(element, plain message) for every construct of this process that the engine cannot run."""
    out: list[tuple[object, str]] = []
    for event in process.iter():
        kind = _local(event)
        if kind not in SUPPORTED_DEFINITIONS:
            continue
        for definition in definitions(event):
            if definition not in SUPPORTED_DEFINITIONS[kind]:
                out.append((event, M("foreign_definition", definition=definition_words(definition), kind=_words(kind),
                                      instead=_instead(kind, definition))))
        if len(set(definitions(event))) > 1 and ("link" in definitions(event) or "compensate" in definitions(event)):
            out.append((event, M("foreign_combined", kind=_words(kind))))
    out.extend(_link_problems(process))
    for form in process.iter():
        vendor = _OTHER_FORMS.get(etree.QName(form).namespace or "") if isinstance(form.tag, str) else None
        if vendor and _local(form) == "formProperty":
            holder = next(form.iterancestors(f"{_B}userTask", f"{_B}startEvent"), form)
            out.append((holder, M("foreign_form", vendor=vendor, name=form.get("id") or "")))
    return out


def _link_problems(process) -> list[tuple[object, str]]:
    out = []
    catches: dict[tuple[object, str], list] = {}
    for event in process.iter():
        if is_link(event, "intermediateCatchEvent"):
            catches.setdefault((_scope(event), link_name(event)), []).append(event)
    thrown = set()
    for event in process.iter():
        if not is_link(event, "intermediateThrowEvent"):
            continue
        name = link_name(event)
        targets = catches.get((_scope(event), name), [])
        thrown.add((_scope(event), name))
        if not name:
            out.append((event, M("link_unnamed")))
        elif not targets:
            out.append((event, M("link_no_catch", name=name)))
        elif len(targets) > 1:
            out.append((event, M("link_many", name=name, count=len(targets))))
    for (scope, name), events in catches.items():
        if (scope, name) not in thrown:
            for event in events:
                out.append((event, M("link_no_throw", name=name)))
    return out


def _words(kind: str):
    return words_of(kind)


def _instead(kind: str, definition: str):
    if definition == "compensate":
        return M("foreign_instead_compensate")
    if kind == "startEvent" and definition in ("error", "escalation"):
        return M("foreign_instead_boundary", definition=definition_words(definition))
    return M("foreign_instead_other")


def for_spiff(root):
    """A copy of a BPMN file's tree written as SpiffWorkflow runs it (see the module's text)."""
    root = copy.deepcopy(root)
    for process in _bpmn(root, "./b:process"):
        if not executable(process):
            continue
        _links_to_flows(process)
        _drop_compensation(process)  # never run: a process that throws compensation is refused
        for node in [n for n in process.iter() if _local(n) in _DOCUMENTATION]:
            if etree.QName(node).namespace == BPMN_NS and node.getparent() is not None:
                node.getparent().remove(node)
    return root


def _links_to_flows(process) -> None:
    catches = {(_scope(e), link_name(e)): e for e in process.iter() if is_link(e, "intermediateCatchEvent")}
    for thrower in [e for e in process.iter() if is_link(e, "intermediateThrowEvent")]:
        target = catches.get((_scope(thrower), link_name(thrower)))
        if target is None:
            continue  # refused by problems()
        flow = etree.SubElement(_scope(thrower), f"{_B}sequenceFlow")
        flow.set("id", f"{thrower.get('id')}__link__{target.get('id')}")
        flow.set("sourceRef", thrower.get("id"))
        flow.set("targetRef", target.get("id"))
    for definition in _bpmn(process, ".//b:linkEventDefinition"):
        definition.getparent().remove(definition)


def _drop_compensation(process) -> None:
    dropped = {n.get("id") for n in process.iter() if isinstance(n.tag, str) and compensation_only(n)}
    if not dropped:
        return
    for node in [n for n in process.iter() if isinstance(n.tag, str) and (
            n.get("id") in dropped or (_local(n) == "association" and (
                n.get("sourceRef") in dropped or n.get("targetRef") in dropped)))]:
        node.getparent().remove(node)
    for ref in _bpmn(process, ".//b:lane/b:flowNodeRef"):
        if (ref.text or "").strip() in dropped:
            ref.getparent().remove(ref)
