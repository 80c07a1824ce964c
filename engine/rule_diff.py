"""A rule table's change, row by row, as a readable table (not an XML diff): the rows added, removed and changed,
each cell that changed shown as "old → new". Rows are matched by their id; columns follow the new version."""
from __future__ import annotations

from lxml import etree

from .bpmnxml import local_name

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
ADDED, REMOVED, CHANGED = "新增", "删除", "修改"


def _text(node) -> str:
    return " ".join("".join(t.text or "" for t in node.iter() if local_name(t) == "text").split()) or "-"


def _table(xml: str, decision: str) -> dict | None:
    if not xml:
        return None
    try:
        root = etree.fromstring(xml.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError:
        return None
    node = next((n for n in root.iter() if local_name(n) == "decision" and n.get("id") == decision), None)
    table = next((t for t in node.iter() if local_name(t) == "decisionTable"), None) if node is not None else None
    if table is None:
        return None
    inputs = [c.get("label") or _text(c) for c in table if local_name(c) == "input"]
    outputs = [c.get("label") or c.get("name") or "" for c in table if local_name(c) == "output"]
    rules = []
    for number, rule in enumerate((c for c in table if local_name(c) == "rule"), start=1):
        cells = [_text(e) for e in rule if local_name(e) == "inputEntry"]
        cells += [_text(e) for e in rule if local_name(e) == "outputEntry"]
        note = next((" ".join((d.text or "").split()) for d in rule if local_name(d) == "description"), "")
        rules.append({"id": rule.get("id") or f"#{number}", "number": number, "cells": cells, "note": note})
    return {"columns": inputs + outputs, "rules": rules}


def diff(old_xml: str, new_xml: str, decision: str) -> dict:
    """{"columns": [...], "rows": [[change, rule number, cells…, note], …]} for the rows that differ."""
    old, new = _table(old_xml, decision), _table(new_xml, decision)
    if new is None:
        return {"columns": [], "rows": []}
    columns = ["变更", "规则", *new["columns"], "说明"]
    width = len(new["columns"])
    before = {r["id"]: r for r in (old["rules"] if old else [])}
    rows = []
    for rule in new["rules"]:
        was = before.pop(rule["id"], None)
        cells = (rule["cells"] + [""] * width)[:width]
        if was is None:
            rows.append([ADDED, str(rule["number"]), *cells, rule["note"]])
            continue
        old_cells = (was["cells"] + [""] * width)[:width]
        if old_cells == cells and was["note"] == rule["note"]:
            continue
        shown = [c if o == c else f"{o} → {c}" for o, c in zip(old_cells, cells)]
        note = rule["note"] if was["note"] == rule["note"] else f"{was['note'] or '-'} → {rule['note'] or '-'}"
        rows.append([CHANGED, str(rule["number"]), *shown, note])
    for rule in before.values():
        rows.append([REMOVED, str(rule["number"]), *(rule["cells"] + [""] * width)[:width], rule["note"]])
    return {"columns": columns, "rows": rows}
