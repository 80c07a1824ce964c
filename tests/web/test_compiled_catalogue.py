"""The catalogues compiled at start-up follow the .po files by content: a .po put back with an older time (a git
checkout of an older version) used to leave the newer compiled catalogue in place, the time compared being older."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from babel.messages.mofile import read_mo

from web import i18n

MSGID = "Claimed by %(user)s."


def _compiled(target: Path) -> str:
    with (target / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo").open("rb") as mo:
        return read_mo(mo).get(MSGID).string


def test_a_catalogue_put_back_with_an_older_time_is_compiled_again(tmp_path, monkeypatch):
    source, target = tmp_path / "translations", tmp_path / "instance" / "translations"
    shutil.copytree(i18n._SOURCE, source)
    monkeypatch.setattr(i18n, "_SOURCE", source)
    po = source / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
    original = po.read_text(encoding="utf-8")
    assert f'msgid "{MSGID}"\nmsgstr "已由%(user)s签收。"' in original
    po.write_text(original.replace('msgstr "已由%(user)s签收。"', 'msgstr "已由%(user)s签收（新）。"'), encoding="utf-8")
    i18n.compile_translations(target)
    assert _compiled(target) == "已由%(user)s签收（新）。"

    po.write_text(original, encoding="utf-8")  # the older version back, with its older time
    past = po.stat().st_mtime - 86400
    os.utime(po, (past, past))
    i18n.compile_translations(target)
    assert _compiled(target) == "已由%(user)s签收。"


def test_an_unchanged_catalogue_is_not_compiled_again(tmp_path, monkeypatch):
    source, target = tmp_path / "translations", tmp_path / "instance" / "translations"
    shutil.copytree(i18n._SOURCE, source)
    monkeypatch.setattr(i18n, "_SOURCE", source)
    i18n.compile_translations(target)
    mo = target / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo"
    before = mo.stat().st_mtime_ns
    os.utime(source / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po")  # touched, not changed
    i18n.compile_translations(target)
    assert mo.stat().st_mtime_ns == before and not list(mo.parent.glob("*.tmp"))
