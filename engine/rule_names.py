"""How a message names a rule table (a DMN decision): by its name, never by its id, and in Chinese in 《》 as a
Chinese document cites a rule (《积分入学积分规则》第2版); in English its plain name. The mail, the notices, the
engine's refusals and the pages all write a table through `cited`."""
from __future__ import annotations


def cited(name: str | None, chinese: bool = True) -> str:
    """A rule table as a message writes it: 《name》 in Chinese, the plain name in English."""
    name = (name or "").strip()
    if not name or not chinese:
        return name
    return name if name.startswith("《") and name.endswith("》") else f"《{name}》"
