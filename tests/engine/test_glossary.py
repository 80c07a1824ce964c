"""A process's data dictionary comes from its BPMN: form labels and options, lanes, `data:` declarations."""
import pytest

from engine.errors import DeployError
from engine.definitions import read_files
from factories import BPMN_DIR, bpmn

ROOT_BPMN = BPMN_DIR.parents[2] / "bpmn"

TASK = ('<bpmn:userTask id="check" name="核验"><bpmn:extensionElements><camunda:formData>'
        '<camunda:formField id="psb_note" label="核验意见" type="string"><camunda:properties>'
        '<camunda:property id="peer_blind" value="true" /></camunda:properties></camunda:formField>'
        '<camunda:formField id="level" label="等级" type="enum"><camunda:value id="a" name="甲" />'
        '<camunda:value id="b" name="乙" /></camunda:formField>'
        '<camunda:formField id="phone2" label="备用电话" type="string"><camunda:properties>'
        '<camunda:property id="personal" value="{personal}" /></camunda:properties></camunda:formField>'
        '</camunda:formData></bpmn:extensionElements></bpmn:userTask>')


def process(declarations: dict[str, str], personal: str = "phone") -> bytes:
    props = "".join(f'<camunda:property name="data:{k}" value="{v}" />' for k, v in declarations.items())
    body = (f'<bpmn:extensionElements><camunda:properties>{props}</camunda:properties></bpmn:extensionElements>'
            '<bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="check" />'
            + TASK.format(personal=personal) +
            '<bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="e" /><bpmn:endEvent id="e" />')
    return bpmn("glossed", body, {"公安局": ["s", "check", "e"]})


def test_labels_options_departments_and_personal_data_come_from_the_bpmn(rt):
    files = {"glossed.bpmn": process({"applicant_id": "申请人身份证号; personal=id",
                                      "target": "被函询部门; department_code",
                                      "risk": "风险等级; department=EDU; options=high:高|low:低; peer_blind"})}
    with rt.db.read() as session:
        terms = rt.compile(session, files).processes["glossed"].glossary
    assert list(terms.terms) == ["applicant_id", "target", "risk", "psb_note", "level", "phone2"]
    assert terms.label("psb_note") == "核验意见" and terms.terms["psb_note"].department == "PSB"
    assert terms.terms["level"].reads("b") == "乙" and terms.terms["risk"].reads(["high", "low"]) == ["高", "低"]
    assert terms.personal("applicant_id") == "id" and terms.personal("phone2") == "phone"
    assert terms.terms["target"].department_code and terms.label("unknown_key") == "unknown_key"
    assert terms.terms["risk"].department == "EDU" and terms.peers() == {"PSB", "EDU"}


def test_peer_reviewers_do_not_see_each_others_findings_but_deciders_and_auditors_do(rt):
    with rt.db.read() as session:
        model = rt.compile(session, read_files([ROOT_BPMN]), strict=False).processes["admission_review"]
    terms = model.glossary
    assert terms.owner == "EDU" and {"PSB", "HRSS", "HUD", "HEALTH"} <= terms.peers()
    assert terms.hidden_from("hrss_finding", {"PSB": "reviewer"}, auditor=False)  # a peer: 背靠背
    assert not terms.hidden_from("hrss_finding", {"HRSS": "reviewer"}, auditor=False)  # its own
    assert not terms.hidden_from("hrss_finding", {"EDU": "reviewer"}, auditor=False)  # the deciding owner
    assert not terms.hidden_from("hrss_finding", {"JOINT": "reviewer"}, auditor=False)  # the joint office decides appeals
    assert not terms.hidden_from("hrss_finding", {}, auditor=True)
    assert not terms.hidden_from("insured_months", {"PSB": "reviewer"}, auditor=False)  # not marked: shared
    # the inquiry a department answers declares only what the inquiry shares: whom it concerns (the ID number
    # masked), not the findings
    inquiry = model.glossaries["formal_inquiry"]
    assert inquiry.personal("applicant_id") == "id" and "applicant_name" in inquiry.terms
    assert "hrss_finding" not in inquiry.terms and "phone" not in inquiry.terms
    assert inquiry.terms["requester_department"].department_code


@pytest.mark.parametrize("declaration, personal, message", [
    ("证件; personal=passport", "phone", "data:x: personal 'passport' is not one of id, phone, account, name"),
    ("证件; colour=red", "phone", "data:x: unknown setting 'colour'"),
    ("证件; secret", "phone", "data:x: unknown flag 'secret'"),
    ("证件; department=NOPE", "phone", "data:x: department 'NOPE' is not a department"),
    ("证件; options=a", "phone", "data:x: option 'a' is not code:name"),
    ("证件", "email", "form field phone2: personal 'email' is not one of"),
])
def test_a_bad_declaration_is_refused_at_deploy_naming_it(rt, declaration, personal, message):
    with rt.db.read() as session, pytest.raises(DeployError) as info:
        rt.compile(session, {"glossed.bpmn": process({"x": declaration}, personal)})
    assert any(message in p.message and p.element == "glossed" for p in info.value.problems), info.value.problems
