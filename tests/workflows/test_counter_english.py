"""The correction form (补正登记) of every process served at a window has English labels and materials' names."""
import re

from workflows import counter
from workflows.portal import PUBLIC


def test_every_correction_field_of_every_window_process_has_its_english_label():
    for process in [p for p in PUBLIC if counter.served(p)]:
        form = counter.correction_form(process, {"materials": []})
        english = counter.in_english(form)
        assert [(f.id, f.type, [c for c, _ in f.options]) for f in english] == \
            [(f.id, f.type, [c for c, _ in f.options]) for f in form], "only the names change, never the values"
        for f in english:
            words = [f.label, *(name for _, name in f.options)]
            assert not any(re.search(r"[\u4e00-\u9fff]", w) for w in words), (process, f.id, words)
