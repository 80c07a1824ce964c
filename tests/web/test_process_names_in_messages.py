"""An engine message names a process by its key; the page names it as the reader reads it (补贴审批 in Chinese,
Subsidy approval in English), as its newest version names it; a key no version has stays as it is."""
from __future__ import annotations

import io
import re

from conftest import login
from engine.errors import Message
from workflows.walkthrough import BPMN
from web.i18n import coded_text, say

from language_support import EN, ZH


def test_a_process_key_in_an_engine_message_is_named_in_the_readers_language(app):
    refused = Message("withdraw_not_offered", process="subsidy_approval")
    unknown = Message("alert_step_unknown", step="review_psb", process="subsidy_approval")
    with app.test_request_context(headers=ZH):
        assert say(refused) == "补贴审批不能由申请人撤回"
        assert say(unknown) == "“review_psb”不是“补贴审批”现行版本中的环节"
        assert coded_text("migrate_in_called", {"process": "formal_inquiry", "version": 3}) == (
            "案件正处于被调用流程“部门函询”中，而第3版已无该流程")
    with app.test_request_context(headers=EN):
        assert say(refused) == "Subsidy approval cannot be withdrawn by the applicant"
        assert say(unknown) == "“review_psb” is not a step of the newest version of Subsidy approval"
        assert coded_text("migrate_in_called", {"process": "formal_inquiry", "version": 3}) == (
            "it is inside the called process Inquiry to a department, which version 3 does not have")


def test_a_key_no_version_has_stays_as_it_is(app):
    with app.test_request_context(headers=EN):
        assert say(Message("no_process_deployed", process="nowhere")) == "no process “nowhere” is deployed"


def test_the_designer_is_told_of_a_deploy_by_the_processes_names_in_english(app):
    client = login(app.test_client(), "designer")
    client.post("/language", data={"language": "en"})
    files = [(io.BytesIO(p.read_bytes()), p.name) for p in sorted(BPMN.iterdir())]
    page = client.post("/designer/validate", data={"files": files}, content_type="multipart/form-data").data.decode()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    done = client.post("/designer/deploy", data={"token": token, "note": "again"}, follow_redirects=True,
                       headers=EN).data.decode()
    assert "Subsidy approval: unchanged (version 1)." in done and "补贴审批: unchanged" not in done
