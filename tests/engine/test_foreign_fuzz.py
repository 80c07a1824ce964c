"""Every file of the foreign corpus, broken one element or attribute at a time (removed or emptied), is
judged with plain messages: never an exception other than the list of problems, never a Python repr
(`None`, `<Element … at 0x…>`, `SomeError(…)`) in a message."""
from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from engine.definitions import compile_files
from engine.errors import DeployError
from engine.routing import Directory

FOREIGN = Path(__file__).parent / "foreign"
RAW = re.compile(r"0x[0-9a-fA-F]{6,}|\w+(Error|Exception)\(|b'<|\bNone\b|Traceback")
TZ = ZoneInfo("Asia/Shanghai")


def variants(content: bytes):
    count = len([n for n in etree.fromstring(content).iter() if isinstance(n.tag, str)])
    for index in range(count):
        for mode in ("remove", "empty-attributes", "drop-attributes"):
            tree = etree.fromstring(content)
            node = [n for n in tree.iter() if isinstance(n.tag, str)][index]
            if mode == "remove":
                if node.getparent() is None:
                    continue
                node.getparent().remove(node)
            elif not node.attrib:
                continue
            else:
                for name in list(node.attrib):
                    if mode == "empty-attributes":
                        node.attrib[name] = ""
                    else:
                        del node.attrib[name]
            yield f"{mode} {etree.QName(node).localname}#{index}", etree.tostring(tree)


@pytest.mark.parametrize("name", sorted(p.name for p in FOREIGN.glob("*.bpmn")))
def test_broken_variants_are_judged_in_plain_words(name):
    directory = Directory.standard()
    judged = 0
    for what, content in variants((FOREIGN / name).read_bytes()):
        try:
            compile_files({name: content}, directory.resolve, set(), set(), TZ)
        except DeployError as refused:
            raw = [p.message for p in refused.problems if RAW.search(p.message)]
            assert not raw, f"{name}, {what}: {raw}"
        judged += 1
    assert judged >= 5
