"""Set Chinese text as Chinese civil servants write it, in the zh catalogue (or in given Python files' literals).

Names in full-width “…” (not "…" or 「…」); no space beside “ ”, nor between a Chinese character and a
placeholder (%(name)s, %s, {name}) or a number; Latin words and units keep their spaces (10 MB, 不是 PDF 文件),
and so do the digits of a Latin name (ISO 8601, UTF-8). Word bounds are written out in ASCII (not \\b: \\b takes a
Chinese character for a word character).

    python tools/zh_spacing.py                 # rewrites web/translations/zh_Hans_CN/LC_MESSAGES/messages.po
    python tools/zh_spacing.py FILE.py ...     # rewrites the Chinese string literals of these files

The result is to be read entry by entry: a rule of thumb, not a grammar.
"""
from __future__ import annotations

import io
import re
import sys
import tokenize
from pathlib import Path

CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"  # Chinese characters and full-width punctuation （，：、）
PLACEHOLDER = r"(?:%\([A-Za-z_0-9]+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdif]|\{[A-Za-z_0-9]*\})"
_RULES = [
    (re.compile("「([^「」]*)」"), r"“\1”"),  # 「name」 -> “name”
    (re.compile(rf'(?<=[{CJK} ])"([^"=]*)"(?=[{CJK} ]|$)'), r"“\1”"),  # "name" -> “name” (not a code literal a="b")
    (re.compile(rf"(?<=[{CJK}]) ?#(?={PLACEHOLDER})"), ""),  # 第 #%(seq)d 条 -> 第%(seq)d条
    (re.compile(rf"(?<=[–\-])#(?={PLACEHOLDER})"), ""),  # #%(first)s–#%(last)s -> %(first)s–%(last)s
    (re.compile(r" +(?=“)|(?<=“) +| +(?=”)|(?<=”) +"), ""),  # no space beside a full-width quote
    (re.compile(rf"(?<=[{CJK}]) +(?={PLACEHOLDER})"), ""),  # 由 %(user)s -> 由%(user)s
    (re.compile(rf"({PLACEHOLDER}) +(?=[{CJK}])"), r"\1"),  # %(user)s 签收 -> %(user)s签收
    (re.compile(rf"(?<=[{CJK}]) +(?=\d)"), ""),  # 至少 8 -> 至少8
    # 8 个 -> 8个, 2026Q4 或 -> 2026Q4或, %(name)s() 同名 -> %(name)s()同名: a word beginning with a number or a
    # placeholder; not the digits of a Latin name (ISO 8601 日期, UTF-8 文本, PT1M 或), a Latin word nor a list's
    # number (4. 教育局)
    (re.compile(rf"(?<![^ {CJK}“”])(?<![A-Za-z] )(?!\d+\. )((?:\d|{PLACEHOLDER})[^ {CJK}“”]*) +(?=[{CJK}])"), r"\1"),
]


def fix(text: str) -> str:
    """The text with the rules applied (until nothing changes: one rule may open the way for another)."""
    while True:
        before = text
        for pattern, replacement in _RULES:
            text = pattern.sub(replacement, text)
        if text == before:
            return text


_MSGSTR = re.compile(r'^(msgstr(?:\[\d+\])? ")(.*)("\s*)$')


def fix_catalogue(path: Path) -> int:
    """Rewrites the msgstrs of a .po file line by line (msgids untouched); returns how many changed."""
    out, changed = [], 0
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        m = _MSGSTR.match(line)
        if m and m.group(2):
            text = m.group(2).replace('\\"', '"')
            new = fix(text)
            if new != text:
                changed += 1
                line = m.group(1) + new.replace('"', '\\"') + m.group(3)
        out.append(line)
    path.write_text("".join(out), encoding="utf-8")
    return changed


def fix_python(path: Path) -> int:
    """Rewrites the string literals holding Chinese in a Python file (not comments, nor triple-quoted docstrings)."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    edits = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        literal = tok.type in (tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", -1))
        docstring = tok.string.lstrip("rbfuRBFU").startswith(('"""', "'''"))  # English prose for programmers
        if literal and not docstring and re.search(f"[{CJK}]", tok.string):
            new = fix(tok.string)
            if new != tok.string:
                edits.append((tok.start, tok.end, new))
    for (srow, scol), (erow, ecol), new in reversed(edits):
        start = sum(len(x) for x in lines[:srow - 1]) + scol
        end = sum(len(x) for x in lines[:erow - 1]) + ecol
        source = source[:start] + new + source[end:]
        lines = source.splitlines(keepends=True)
    path.write_text(source, encoding="utf-8")
    return len(edits)


if __name__ == "__main__":
    files = [Path(a) for a in sys.argv[1:]]
    if not files:
        po = Path(__file__).parent.parent / "web/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
        print(f"{po}: {fix_catalogue(po)} msgstrs changed")
    for f in files:
        print(f"{f}: {fix_python(f)} literals changed")
