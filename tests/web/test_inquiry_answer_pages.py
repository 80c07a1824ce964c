"""Once a formal inquiry (部门函询) is answered, the asking department's step that decides on it shows the answer,
its grounds and the documents kept with it read-only next to the form: the 审阅答复 of an inquiry of its own, and
the review step a case returns to after the inquiry it called. The department asked keeps those documents at its
拟写答复 step."""
import io
import re

from conftest import login
from world import opened

from sqlalchemy import select

from engine import attachments
from engine.models import Task
from workflows import idcards


def answer_step(app, world, claim: bool = True):
    """公安局's step to answer 住建局's inquiry about an applicant's address, claimed by psb_reviewer unless `claim` is
    false: (the step's id, psb_reviewer's client, the outcome)."""
    world.app = app
    out = world.start("admission_review", world.person(hud={"address": "杭州市西湖区天目山路1号"}).admission())
    out = world.complete("hud_reviewer", out, "review_hud", hud_ok=False, housing_type="rent_filed",
                         hud_finding="地址不一致", hud_need_inquiry=True, hud_inquiry_target="PSB")
    out = world.complete("hud_reviewer", out, "draft_inquiry", inquiry_subject="居住地址核实",
                         questions="请核实申请人实际居住地址", reply_days=5)
    draft = opened(out)["draft_answer"]
    psb = login(app.test_client(), "psb_reviewer")
    if claim:
        psb.post(f"/tasks/{draft}/claim")
    return draft, psb, out


def rests_on(page: str) -> dict[str, str]:
    """The `id="rests-on"` section as label → text."""
    section = page.split('id="rests-on"')[1].split("</section>")[0]
    return {dt: re.sub(r"<[^>]+>", "\n", dd).strip() for dt, dd in re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", section)}


def _asked_and_answered(world, person):
    out = world.start("admission_review", person.admission())
    out = world.complete("hud_reviewer", out, "review_hud", hud_ok=False, housing_type="rent_filed",
                         hud_finding="地址不一致", hud_need_inquiry=True, hud_inquiry_target="PSB")
    out = world.complete("hud_reviewer", out, "draft_inquiry", inquiry_subject="居住地址核实",
                         questions="请核实申请人实际居住地址", reply_days=5)
    assert 'id="rests-on"' not in world_page(world, "psb_reviewer", opened(out)["draft_answer"])
    out = world.complete("psb_reviewer", out, "draft_answer", answer=f"经核实，{person.id_number}已迁至天目山路1号",
                         evidence="户籍迁移登记表一份（附件1）")
    return world.complete("psb_supervisor", out, "sign_answer", sign_decision="approve")


def world_page(world, user: str, task: str) -> str:
    return login(world.app.test_client(), user).get(f"/tasks/{task}").data.decode()


def test_the_asking_department_reads_the_answer_where_it_decides(app, world):
    world.app = app
    person = world.person(hud={"address": "杭州市西湖区天目山路1号"})
    out = _asked_and_answered(world, person)
    page = world_page(world, "hud_reviewer", opened(out)["review_answer"])
    assert page.index('id="rests-on"') < page.index('id="task-form"'), "above the form it decides with"
    assert rests_on(page) == {"答复意见": f"经核实，{idcards.mask(person.id_number)}已迁至天目山路1号",
                              "依据及附件说明": "户籍迁移登记表一份（附件1）"}
    assert "<h2>办理依据</h2>" in page
    out = world.complete("hud_reviewer", out, "review_answer", review_decision="accept")
    page = world_page(world, "hud_reviewer", opened(out)["review_hud"])
    assert rests_on(page) == {"部门函询 · 答复意见": f"经核实，{idcards.mask(person.id_number)}已迁至天目山路1号",
                              "部门函询 · 依据及附件说明": "户籍迁移登记表一份（附件1）"}
    chief = world_page(world, "hud_supervisor", opened(out)["review_hud"])
    assert person.id_number in rests_on(chief)["部门函询 · 答复意见"], "a section chief reads it in full, as elsewhere"


def test_a_review_step_that_asked_nobody_shows_no_answer(app, world):
    world.app = app
    out = world.start("admission_review", world.person(hud={"address": "杭州市西湖区天目山路1号"}).admission())
    assert 'id="rests-on"' not in world_page(world, "hud_reviewer", opened(out)["review_hud"])


def open_task(world, out, element: str) -> str:
    with world.rt.db.read() as session:
        return session.execute(select(Task.id).where(Task.case_id == out.case_id, Task.element_id == element,
                                                     Task.state == "open")).scalar_one()


def _upload(client, task: str, name: str = "户籍迁移登记表.pdf", content: bytes = b"%PDF-1.4 scanned"):
    return client.post(f"/tasks/{task}/attachments", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_the_department_asked_keeps_documents_with_its_answer_and_the_asker_opens_them(app, world):
    draft, psb, out = answer_step(app, world)
    assert 'id="no-kept-files"' in psb.get(f"/tasks/{draft}").data.decode()
    refused = _upload(psb, draft, "notes.txt", b"plain words")  # not a scan: named, nothing kept
    assert refused.status_code == 422 and "notes.txt不是 PDF、JPEG 或 PNG 文件" in refused.data.decode()
    assert _upload(psb, draft).status_code == 302
    kept = psb.get(f"/tasks/{draft}").data.decode().split('id="kept-files"')[1].split("</section>")[0]
    assert "户籍迁移登记表.pdf" in kept and "notes" not in kept
    assert psb.post(f"/tasks/{draft}", data={"answer": "已迁址", "evidence": "见附件"}).status_code == 302
    sign = login(app.test_client(), "psb_supervisor").get(f"/tasks/{open_task(world, out, 'sign_answer')}").data.decode()
    assert "户籍迁移登记表.pdf" in rests_on(sign)["答复附件"], "the section chief signs the answer with its documents"
    out = world.complete("psb_supervisor", open_task(world, out, "sign_answer"), sign_decision="revise",
                         sign_comment="补充迁移时间")
    again = opened(out)["draft_answer"]
    psb.post(f"/tasks/{again}/claim")
    assert "户籍迁移登记表.pdf" in psb.get(f"/tasks/{again}").data.decode().split('id="kept-files"')[1], \
        "sent back for changes, the answer keeps its documents"
    assert psb.post(f"/tasks/{again}", data={"answer": "已于2025年迁址", "evidence": "见附件"}).status_code == 302
    out = world.complete("psb_supervisor", open_task(world, out, "sign_answer"), sign_decision="approve")
    hud = login(app.test_client(), "hud_reviewer")
    review = hud.get(f"/tasks/{opened(out)['review_answer']}").data.decode()
    link = re.search(r'href="(/cases/[^"]+/attachments/\d+)\?view=1"[^>]*>户籍迁移登记表.pdf<', review).group(1)
    out = world.complete("hud_reviewer", out, "review_answer", review_decision="accept")
    decide = hud.get(f"/tasks/{opened(out)['review_hud']}").data.decode()
    assert rests_on(decide)["部门函询 · 答复附件"] == "户籍迁移登记表.pdf" and link in decide
    assert hud.get(link).data == b"%PDF-1.4 scanned", "the asking department opens it"
    assert psb.get(link).data == b"%PDF-1.4 scanned", "the department that kept it opens it again"
    assert login(app.test_client(), "hrss_reviewer").get(link).status_code == 404  # no part in the case


def test_a_step_that_keeps_no_documents_takes_none(app, world):
    out = world.start("admission_review", world.person(hud={"address": "杭州市西湖区天目山路1号"}).admission())
    task = opened(out)["review_hud"]
    hud = login(app.test_client(), "hud_reviewer")
    assert 'id="kept-files"' not in hud.get(f"/tasks/{task}").data.decode()
    refused = _upload(hud, task)
    assert refused.status_code == 422 and "本环节不收附件或已办结，无法上传" in refused.data.decode()
    with world.rt.db.read() as session:
        assert attachments.of_case(session, out.case_id) == []


def test_only_who_may_complete_the_step_keeps_documents_with_it(app, world):
    """A signer added before the holder (前加签) reads and signs; a crafted upload of theirs kept a document with
    the holder's answer. While the step is with the signer nobody adds one, and the holder is told why."""
    draft, psb, out = answer_step(app, world, claim=False)
    assert psb.post(f"/tasks/{draft}/signers", data={"signer-to": "psb_supervisor", "signer-position": "before",
                                                      "signer-reason": "请先核对", "answer": "拟答复"}).status_code == 302
    signer = login(app.test_client(), "psb_supervisor")
    refused = _upload(signer, draft, "signer.pdf")
    assert refused.status_code == 409 and "加签，请等待其返回" in refused.data.decode()
    held = _upload(psb, draft, "holder.pdf")  # was a bare 403 page
    assert held.status_code == 409 and "加签，请等待其返回" in held.data.decode()
    with world.rt.db.read() as session:
        assert attachments.of_case(session, out.case_id) == []


def test_a_signer_after_reads_the_documents_kept_with_the_answer_as_links(app, world):
    """The answer a signer after signs lists the documents kept with it: they read answer_files:
    [{'id': 7, 'file': '户籍迁移登记表.pdf'}] (the data's key and Python's words); now 答复附件 and a link."""
    draft, psb, out = answer_step(app, world)
    assert _upload(psb, draft).status_code == 302
    assert psb.post(f"/tasks/{draft}/signers", data={"signer-to": "psb_supervisor", "signer-position": "after",
                                                      "signer-reason": "请复核"}).status_code == 302
    assert psb.post(f"/tasks/{draft}", data={"answer": "已迁址", "evidence": "见附件"}).status_code == 302
    page = login(app.test_client(), "psb_supervisor").get(f"/tasks/{draft}").data.decode()
    signed = page.split('id="sign-answer"')[1].split("</dl>")[0]
    assert "<dt>answer_files" not in signed and "[{" not in signed and "&#39;" not in signed, signed
    assert "<dt>答复附件</dt>" in signed
    assert re.search(r'href="/cases/[^"]+/attachments/\d+\?view=1"[^>]*>户籍迁移登记表.pdf</a>', signed), signed
