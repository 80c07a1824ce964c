"""Finding a case by a person's exact name or ID number: keyed digests in an index (no plain values stored),
written when a case starts and when a searchable value changes, gone with a purge, rebuilt by
`jointreview reindex-search`."""
from __future__ import annotations

from sqlalchemy import func, select

from engine import lookup, repository
from engine.cli import main
from engine.models import Case, CaseLookup
from factories import SYSTEM, bpmn, complete, make_users, opened, start

BODY = """<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="correct"/>
  <bpmn:userTask id="correct" name="更正"><bpmn:extensionElements><camunda:formData>
    <camunda:formField id="applicant_name" label="申请人姓名" type="string"/></camunda:formData></bpmn:extensionElements>
  </bpmn:userTask>
  <bpmn:sequenceFlow id="f2" sourceRef="correct" targetRef="decide"/>
  <bpmn:userTask id="decide" name="决定"/>
  <bpmn:sequenceFlow id="f3" sourceRef="decide" targetRef="e"/><bpmn:endEvent id="e"/>"""
ID = "11010519850615003X"


def found(rt, text: str) -> list[str]:
    with rt.db.read() as session:
        return sorted(session.execute(select(Case.business_key).where(Case.id.in_(lookup.matching(text)))).scalars())


def deploy(rt) -> None:
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"named.bpmn": bpmn("named", BODY, lanes={"EDU": ["s", "correct",
                                                                                                   "decide", "e"]})})


def test_a_case_is_found_by_the_exact_name_or_id_number_only(rt):
    deploy(rt)
    zhang = start(rt, "named", {"applicant_name": "张伟", "applicant_id": ID}).business_key
    wang = start(rt, "named", {"applicant_name": "王芳", "applicant_id": "330106198807120027"}).business_key
    start(rt, "named", {"title": "没有申请人的案件"})
    assert found(rt, "张伟") == [zhang]
    assert found(rt, " 张 伟 ") == [zhang]  # spaces dropped
    assert found(rt, ID.lower()) == [zhang]  # the final x in either case
    assert found(rt, "１１０１０５１９８５０６１５００３Ｘ") == [zhang]  # full-width digits typed by an IME
    assert found(rt, "王芳") == [wang]
    assert found(rt, "张") == [] and found(rt, ID[:6]) == [] and found(rt, "") == [] and found(rt, "x" * 500) == []
    with rt.db.read() as session:
        stored = session.execute(select(CaseLookup.digest)).scalars().all()
    assert len(stored) == 4 and not any("张" in d or ID in d or "王" in d for d in stored)


def test_a_corrected_name_is_found_and_the_old_one_no_longer(rt):
    deploy(rt)
    users = make_users(rt)
    out = start(rt, "named", {"applicant_name": "张卫", "applicant_id": ID})
    out = complete(rt, users["edu_reviewer"], opened(out)["correct"], {"applicant_name": "张伟"})
    assert found(rt, "张伟") == [out.business_key] and found(rt, "张卫") == []
    assert found(rt, ID) == [out.business_key]
    complete(rt, users["edu_reviewer"], opened(out)["decide"], {})
    assert found(rt, "张伟") == [out.business_key]  # a finished case is still found


def test_reindex_rebuilds_every_case(rt, db_url, capsys):
    deploy(rt)
    keys = [start(rt, "named", {"applicant_name": f"李{i}", "applicant_id": ID}).business_key for i in range(3)]
    with rt.db.write() as session:
        session.execute(CaseLookup.__table__.delete())
    assert found(rt, ID) == []
    assert main(["--db", db_url, "reindex-search"]) == 0
    assert "3 case(s)" in capsys.readouterr().out
    assert found(rt, ID) == sorted(keys) and found(rt, "李1") == [keys[1]]
    with rt.db.read() as session:
        assert session.execute(select(func.count()).select_from(CaseLookup)).scalar() == 6


def test_a_step_that_leaves_the_searchable_values_computes_and_writes_nothing(rt, monkeypatch):
    deploy(rt)
    users = make_users(rt)
    out = start(rt, "named", {"applicant_name": "张卫", "applicant_id": ID})
    digests = []
    real = lookup.digest
    monkeypatch.setattr(lookup, "digest", lambda value: digests.append(value) or real(value))
    out = complete(rt, users["edu_reviewer"], opened(out)["correct"], {"applicant_name": "张卫"})
    assert digests == []  # the values are compared as they are; only a changed one is digested
    out = complete(rt, users["edu_reviewer"], opened(out)["decide"], {})
    assert digests == [] and found(rt, "张卫") == [out.business_key]


def test_a_name_emptied_by_a_step_keeps_the_case_findable_by_the_old_one(rt):
    deploy(rt)
    users = make_users(rt)
    out = start(rt, "named", {"applicant_name": "张卫", "applicant_id": ID})
    complete(rt, users["edu_reviewer"], opened(out)["correct"], {"applicant_name": ""})
    assert found(rt, "张卫") == [out.business_key] and found(rt, ID) == [out.business_key]
