"""The designer's pages as a designer reads them (issue #13 item 7): a file no viewer can draw shows the validator's
words, not a viewer's error; two versions are compared side by side, element by element, not as a unified diff."""
import io
import re

from sqlalchemy import select

from conftest import login
from engine.models import ProcessDefinition
from test_designer import INQUIRY, upload


def deploy(client, content: bytes, note: str) -> None:
    page = upload(client, "formal_inquiry.bpmn", content).data.decode()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    assert client.post("/designer/deploy", data={"token": token, "note": note}).status_code == 302


def test_a_file_that_is_not_xml_shows_the_validators_words_instead_of_a_diagram(app, world):
    client = login(app.test_client(), "designer")
    broken = INQUIRY[:4000]  # cut off in the middle: not well-formed XML
    response = client.post("/designer/validate", content_type="multipart/form-data", data={"files": [
        (io.BytesIO(broken), "formal_inquiry.bpmn"), (io.BytesIO(INQUIRY.replace(b"formal_inquiry", b"other_inquiry")),
                                                      "other_inquiry.bpmn")]})
    page = response.data.decode()
    assert response.status_code == 422
    block = page.split('class="flash error undrawable" data-file="formal_inquiry.bpmn"')[1].split("</div>")[0]
    assert "改正以下问题后才能绘制此文件的流程图" in block and "XML 格式不正确" in block
    assert 'data-xml="/designer/uploads/' in page and page.count('class="diagram bpmn-file"') == 1  # the readable one
    assert "无法绘制此文件的流程图，请查看上方列出的问题。" in page  # what the viewer says if it still fails


def test_two_versions_are_compared_side_by_side_element_by_element(app, world):
    client = login(app.test_client(), "designer")
    changed = (INQUIRY.decode().replace("撰写函询", "撰写正式函询")
               .replace('<bpmn:endEvent id="end_supervised" name="', '<bpmn:endEvent id="end_supervised" name="督办')
               .replace('label="追问问题（追问须写明）"', 'label="追问的问题"').encode())
    deploy(client, changed, "环节更名")
    with world.rt.db.read() as session:
        old, new = session.execute(select(ProcessDefinition.id).where(ProcessDefinition.process_key == "formal_inquiry")
                                   .order_by(ProcessDefinition.version)).scalars().all()
    page = client.get(f"/designer/compare?a={old}&b={new}").data.decode()
    assert "@@" not in page and "+++" not in page  # not a unified diff
    assert 'class="compare-file" data-file="formal_inquiry.bpmn"' in page.replace("card compare-file", "compare-file")
    draft = page.split('data-element="draft_inquiry"')[1].split("</details>")[0]
    assert '<span class="tag change-changed">修改</span> 用户任务 <strong>撰写正式函询</strong>' in draft
    row = re.search(r'<tr class="c-changed"><td><pre>(.*?)</pre></td><td><pre>(.*?)</pre></td></tr>', draft)
    assert "撰写函询" in row.group(1) and "撰写正式函询" in row.group(2)  # before | after, the same line
    review = page.split('data-element="review_answer"')[1].split("</details>")[0]
    assert "追问问题（追问须写明）" in review and "追问的问题" in review
    assert 'data-element="end_supervised"' in page and "<th>第1版</th><th>第2版</th>" in page
    assert 'data-element="draft_answer"' not in page  # what did not change is not listed
    assert re.search(r'<small class="muted">[^<]*修改：\d+', page) and not re.search(r"修改 \d", page)  # counts
    assert client.get(f"/designer/compare?a={old}&b={old}").data.decode().count("两个版本内容相同") == 1
