"""Reading BPMN XML as written: namespaces, extension properties and lanes (shared by the linter, the
compiler and the data dictionary)."""
from __future__ import annotations

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
CAMUNDA = f"{{{CAMUNDA_NS}}}"


def is_bpmn(content: bytes) -> bool:
    """Whether a file is well-formed XML with a BPMN <definitions> root (what a diagram viewer can draw)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except (etree.XMLSyntaxError, ValueError):
        return False
    return root is not None and root.tag == f"{{{BPMN_NS}}}definitions"


def local_name(node) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def bpmn_find(node, path: str) -> list:
    return node.xpath(path, namespaces={"b": BPMN_NS, "c": CAMUNDA_NS})


def element_properties(node) -> dict[str, str]:
    props = bpmn_find(node, "./b:extensionElements/c:properties/c:property")
    return {p.get("name", ""): p.get("value", "") for p in props}


def lane_map(process) -> dict[str, str]:
    """element id → innermost lane name; nested lanes are visited after their parents. An element inside
    an expanded sub-process that its lane does not list lies in the lane of that sub-process."""
    out: dict[str, str] = {}
    for lane in sorted(bpmn_find(process, ".//b:lane"), key=lambda n: len(list(n.iterancestors()))):
        for ref in bpmn_find(lane, "./b:flowNodeRef"):
            out[(ref.text or "").strip()] = (lane.get("name") or "").strip()
    for node in bpmn_find(process, ".//b:subProcess//*[@id]"):
        if node.get("id") not in out:
            outer = next((a.get("id") for a in node.iterancestors() if a.get("id") in out), None)
            if outer is not None:
                out[node.get("id")] = out[outer]
    return out
