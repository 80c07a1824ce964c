"""Chinese labels take the full-width colon (审核意见：), not the ASCII one (审核意见:): in the Chinese catalogue, in
the templates (which put the language's colon, colon(), after a translated label) and in the processes' own
Chinese labels. A syntax a person types as it is, shown in “…” (“代码:名称”), keeps its ASCII colon. The pages
themselves are read for it by the crawl of test_language.py."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from babel.messages.pofile import read_po

from language_support import ascii_colon

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "web" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
# a translated label, then a colon typed into the template: {{ _("Due") }}: where {{ _("Due") }}{{ colon() }} belongs
LABEL_THEN_COLON = re.compile(r"""_\((["'])[^"']*\1\)\s*\}\}\s*:""")


def test_ascii_colon_finds_a_colon_after_chinese_but_not_in_a_quoted_syntax():
    assert ascii_colon("审核意见: 同意") == "见:"
    assert ascii_colon("（已超期）:") == "）:"
    assert ascii_colon("审核意见：同意") is None
    assert ascii_colon("选项 “a” 不是“代码:名称”格式") is None
    assert ascii_colon("每日摘要（08:00）") is None


def test_no_chinese_message_puts_an_ascii_colon_after_chinese():
    with CATALOGUE.open("rb") as po:
        catalogue = read_po(po)
    found = []
    for message in catalogue:
        for text in (message.string if isinstance(message.string, tuple) else (message.string,)):
            if message.id and text and ascii_colon(text):
                found.append((message.id, text))
    assert not found, found


def test_templates_put_the_languages_colon_after_a_label():
    found = [(path.name, line) for path in sorted((ROOT / "web" / "templates").glob("*.html"))
             for line in path.read_text(encoding="utf-8").splitlines() if LABEL_THEN_COLON.search(line)]
    assert not found, found
    assert LABEL_THEN_COLON.search('<span>{{ _("Due") }}: {{ task.due_at|due }}</span>')


def _strings(path: Path) -> list[str]:
    """The string literals of a Python file, without its docstrings (English prose for programmers)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_the_processes_chinese_labels_take_the_chinese_colon():
    found = [(path.name, line) for path in sorted((ROOT / "bpmn").iterdir()) if path.suffix in (".bpmn", ".dmn")
             for line in path.read_text(encoding="utf-8").splitlines() if ascii_colon(line)]
    found += [(path.name, text) for path in sorted((ROOT / "workflows").rglob("*.py"))
              for text in _strings(path) if ascii_colon(text)]
    assert not found, found
