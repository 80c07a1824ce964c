"""How a message names a rule table (a DMN decision): by its name, never by its id, and in Chinese in 《》 as a
Chinese document cites a rule (《积分入学积分规则》第2版); in English by the English name the DMN gives it (the
decision's extension property `name:en`, as a BPMN element's) in quotes, “School admission points rules”, its
Chinese name where it has none. The mail, the notices, the engine's refusals and the pages all write a table
through `cited`."""
from __future__ import annotations


class TableName(str):
    """A rule table as a message names it: the str is its DMN name, and it keeps its decision id and its English
    name (empty when the DMN gives none), so that a message can cite it in the reader's language."""

    decision: str
    english: str

    def __new__(cls, name: str, decision: str = "", english: str = "") -> "TableName":
        self = super().__new__(cls, name)
        self.decision, self.english = decision, (english or "").strip()
        return self

    def __reduce__(self):  # pickled and copied with its id and English name
        return (TableName, (str(self), self.decision, self.english))


def cited(name: str | None, chinese: bool = True) -> str:
    """A rule table as a message writes it: 《name》 in Chinese, “English name” in English (a TableName's English
    name; the table's own name when it has none)."""
    if not chinese:
        english = (getattr(name, "english", "") or str(name or "")).strip()
        return f"“{english}”" if english else ""
    name = (name or "").strip()
    if not name:
        return name
    return name if name.startswith("《") and name.endswith("》") else f"《{name}》"
