"""Log lines: one JSON object per line with the request id of the request they belong to (or plain text)."""
from __future__ import annotations

import json
import logging

import pytest

from engine import logs


@pytest.fixture(autouse=True)
def root_logger():
    """Leave the root logger as the test found it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:], root.level = handlers, level


def test_json_lines_carry_the_request_id(capsys):
    logs.setup("json")
    token = logs.request_id.set("req-7")
    try:
        logging.getLogger("jointreview.test").warning("事项 %s 已超期", "INQ-1", extra={"status": 409})
    finally:
        logs.request_id.reset(token)
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert (line["level"], line["logger"], line["message"], line["request_id"], line["status"]) == (
        "warning", "jointreview.test", "事项 INQ-1 已超期", "req-7", 409)


def test_text_lines_and_setup_twice_keeps_one_handler(capsys):
    logs.setup("text")
    logs.setup("text")
    logging.getLogger("jointreview.test").info("hello")
    err = capsys.readouterr().err
    assert err.count("hello") == 1 and "INFO jointreview.test [-] hello" in err
