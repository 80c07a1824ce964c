"""Chinese messages are set as Chinese civil servants write them: names in full-width “…” (not "…" or 「…」), no
space beside “ ”, none between a Chinese character and a placeholder (由%(user)s签收) or a number (至少8个字符,
第%(seq)d条); Latin words and units keep their spaces (不是 PDF 文件, 10 MB), and so do the digits of a Latin name
(ISO 8601 日期). Checked over every msgstr of the Chinese catalogue, the Chinese literals of workflows/ and engine/,
and the Chinese texts of the processes in bpmn/ (names, documentation, labels, messages)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from babel.messages.pofile import read_po
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "web" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"  # Chinese characters and full-width punctuation （，：、）
PLACEHOLDER = r"(?:%\([A-Za-z_0-9]+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdif]|\{[A-Za-z_0-9]*\})"
# a word that begins with a number or a placeholder (8, 2026Q4, %(name)s()), not after a Latin word (ISO 8601)
# nor a list's number (4. 教育局 …)
_NUMBER_WORD = rf"(?<![^ {CJK}“”])(?<![A-Za-z] )(?!\d+\. )(?:\d|{PLACEHOLDER})[^ {CJK}“”]*"
FAULTS = {
    "ASCII-quoted name": re.compile(r'(?<![=A-Za-z0-9_])"[^"]*"|「|」'),  # a code literal isExecutable="false" is code
    "space beside a full-width quote": re.compile(r" [“”]|[“”] "),
    "space between Chinese and a placeholder": re.compile(rf"[{CJK}] +{PLACEHOLDER}|{PLACEHOLDER} +[{CJK}]"),
    "space between Chinese and a number": re.compile(rf"[{CJK}] +\d|{_NUMBER_WORD} +[{CJK}]"),
    "# before a number in Chinese": re.compile(rf"[{CJK}] ?#(?:\d|{PLACEHOLDER})"),
}


def faults(text: str) -> list[str]:
    """The rules of Chinese spacing a text breaks, each with the piece that breaks it."""
    return [f"{rule}: {m.group(0)!r}" for rule, pattern in FAULTS.items() for m in pattern.finditer(text)]


def test_the_rules_find_western_habits_and_leave_latin_words_alone():
    assert faults('环节 "%(task)s" 已办结') and faults('环节"%(task)s"已办结')
    assert faults("流程在环节「%(step)s」无法继续。")
    assert faults("已送 “%(x)s” 审核") and faults("由 %(user)s 签收") and faults("%(key)s 的“%(step)s”")
    assert faults("至少 8 个字符") and faults("不超过 20 个字符") and faults("审计日志在第 #%(seq)d 条处被篡改")
    assert faults("请写成 2026、2026Q4 或 2026-11") and faults("函数%(name)s() 同名")
    for good in ("环节“%(task)s”已办结", "由%(user)s签收", "至少8个字符", "第%(seq)d条", "每个文件不超过10 MB",
                 "%(file)s不是 PDF、JPEG 或 PNG 文件", "不是有效的 ISO 8601 时长", "不是 UTF-8 文本", "Excel 文件",
                 "（PT1M 或更长）", "被标记为不可执行（isExecutable=\"false\"）", "请写成2026、2026Q4或2026-11"):
        assert not faults(good), (good, faults(good))


def test_every_chinese_message_is_spaced_as_chinese_is_written():
    with CATALOGUE.open("rb") as po:
        catalogue = read_po(po)
    found = [(message.id, text, faults(text)) for message in catalogue if message.id
             for text in (message.string if isinstance(message.string, tuple) else (message.string,))
             if text and faults(text)]
    assert not found, "\n".join(f"{msgid!r} -> {text!r}: {fault}" for msgid, text, fault in found)


def _chinese_literals(path: Path) -> list[str]:
    """The string literals holding Chinese in a Python file, without its docstrings (English prose for programmers,
    which quotes Chinese as English does)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and re.search(f"[{CJK}]", node.value)]


def test_the_chinese_strings_of_the_processes_and_the_engine_are_spaced_as_chinese_is_written():
    found = [(path.relative_to(ROOT).as_posix(), text, faults(text))
             for folder in ("workflows", "engine") for path in sorted((ROOT / folder).rglob("*.py"))
             for text in _chinese_literals(path) if faults(text)]
    assert not found, "\n".join(f"{path}: {text!r}: {fault}" for path, text, fault in found)


# Code in a process file, where quotes are syntax: scripts, conditions and a decision table's FEEL cells ("通过")
_CODE = {"script", "conditionExpression", "inputEntry", "outputEntry", "inputExpression"}


def _chinese_texts(path: Path) -> list[tuple[str, str]]:
    """(where, text) of each text and attribute value in a .bpmn or .dmn file holding Chinese, its code left out."""
    found = []
    for element in etree.parse(str(path)).iter():
        if not isinstance(element.tag, str) or {etree.QName(e).localname for e in (element, element.getparent())
                                                 if e is not None} & _CODE:
            continue
        parent = element.getparent()
        where = element.get("id") or element.get("name") or (parent is not None and parent.get("id")) or \
            etree.QName(element).localname
        texts = [*element.attrib.values(), element.text or ""]
        found += [(where, text) for text in texts if re.search(f"[{CJK}]", text)]
    return found


def test_the_chinese_texts_of_the_process_files_are_spaced_as_chinese_is_written():
    found = [(f"{path.name} {where}", text, faults(text)) for path in sorted((ROOT / "bpmn").iterdir())
             if path.suffix in (".bpmn", ".dmn") for where, text in _chinese_texts(path) if faults(text)]
    assert found == [] and len([t for p in (ROOT / "bpmn").glob("*.bpmn") for t in _chinese_texts(p)]) > 50, \
        "\n".join(f"{where}: {text!r}: {fault}" for where, text, fault in found)
