"""Names in English written in the BPMN by the designer: a process's and its steps' `name:en`, a form field's
`label:en` and its options' `options:en`; mistakes are named for the deploy check."""
from lxml import etree

from engine import translations
from factories import bpmn

BODY = """<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="decide"/>
  <bpmn:userTask id="decide" name="教育局审定"><bpmn:extensionElements>
    <camunda:properties><camunda:property name="name:en" value="Decision by the Education Bureau"/></camunda:properties>
    <camunda:formData><camunda:formField id="decision" label="审定结果" type="enum">
      <camunda:properties><camunda:property id="label:en" value="Decision"/>
        <camunda:property id="options:en" value="admit:Admitted | reject:Refused"/></camunda:properties>
      <camunda:value id="admit" name="录取"/><camunda:value id="reject" name="不予录取"/>
    </camunda:formField></camunda:formData></bpmn:extensionElements></bpmn:userTask>
  <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="e"/><bpmn:endEvent id="e"/>"""


def test_a_designer_names_steps_fields_and_options_in_english_in_the_bpmn():
    catalogs = translations.of_files({"p.bpmn": bpmn("decided", BODY, lanes={"EDU": ["s", "decide", "e"]})})
    cat = catalogs["decided"]
    assert cat.name("decide", "教育局审定") == "Decision by the Education Bureau"
    assert cat.name("e", "结束") == "结束", "an untranslated name stays as the BPMN has it"
    assert cat.label("decide", "decision", "审定结果") == "Decision"
    assert cat.option("decide", "decision", "admit", "录取") == "Admitted"
    assert cat.option("decide", "decision", "waitlist", "列入候补") == "列入候补"


def test_a_wrong_translation_is_named():
    body = (BODY.replace('value="admit:Admitted | reject:Refused"', 'value="admit:Admitted|maybe:Perhaps"')
            .replace('value="Decision by the Education Bureau"', 'value=" "'))
    _catalogs, problems = translations.read(etree.fromstring(bpmn("decided", body)))
    messages = [message for _node, message in problems]
    assert "name:en must be a name of 1 to 200 characters" in messages
    assert "field decision: options:en names 'maybe', which is not one of the field's options (admit, reject)" in messages
    bad = BODY.replace('value="admit:Admitted | reject:Refused"', 'value="admit=Admitted"')
    assert [m for _n, m in translations.read(etree.fromstring(bpmn("decided", bad)))[1]] == [
        "field decision: options:en must read id:name|id:name"]


def test_the_deploy_check_names_a_wrong_translation(rt):
    from engine import repository
    from engine.errors import DeployError
    from factories import SYSTEM
    import pytest

    body = BODY.replace('value="admit:Admitted | reject:Refused"', 'value="admit:Admitted|maybe:Perhaps"')
    with pytest.raises(DeployError) as refused, rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"p.bpmn": bpmn("decided", body, lanes={"EDU": ["s", "decide", "e"]})})
    assert "options:en names 'maybe'" in str(refused.value)


def test_a_decisions_answers_are_named_in_english_too():
    body = BODY.replace('<camunda:formField id="decision" label="审定结果" type="enum">', (
        '<camunda:formField id="ok" label="核验结论" type="boolean"><camunda:properties>'
        '<camunda:property id="true_label" value="通过"/><camunda:property id="options:en" value="true:Passed|false:Failed"/>'
        '</camunda:properties></camunda:formField><camunda:formField id="decision" label="审定结果" type="enum">'))
    catalogs, problems = translations.read(etree.fromstring(bpmn("decided", body)))
    assert problems == [] and catalogs["decided"].option("decide", "ok", "false", "不通过") == "Failed"
    wrong = body.replace("true:Passed|false:Failed", "yes:Passed")
    assert [m for _n, m in translations.read(etree.fromstring(bpmn("decided", wrong)))[1]] == [
        "field ok: options:en names 'yes', which is not one of the field's options (false, true)"]


DATA = ('<bpmn:extensionElements><camunda:properties>'
        '<camunda:property name="data:recommendation" value="建议结果; options=admit:录取|reject:不予录取"/>'
        '<camunda:property name="data:recommendation:en" value="Recommendation; options=admit:Admit|reject:Refuse"/>'
        '<camunda:property name="data:en" value="英文说明"/>'
        '</camunda:properties></bpmn:extensionElements>')


def test_data_fields_are_named_in_english_by_the_process_and_by_the_forms_that_ask_for_them():
    catalogs, problems = translations.read(etree.fromstring(bpmn("decided", DATA + BODY)))
    cat = catalogs["decided"]
    assert problems == []
    assert cat.field_label("recommendation") == "Recommendation" and cat.value_name("recommendation", "reject") == "Refuse"
    assert cat.field_label("decision") == "Decision" and cat.value_name("decision", "admit") == "Admitted"
    assert cat.field_label("en") is None, "a field called en is a field, not a translation"
    from engine import glossary
    terms = glossary.read(etree.fromstring(bpmn("decided", DATA + BODY)).find(".//{*}process"), lambda lane: lane)
    assert set(terms.terms) == {"recommendation", "en", "decision"}
    assert glossary.problems(etree.fromstring(bpmn("decided", DATA + BODY)).find(".//{*}process"), None) == []


def test_a_wrong_data_translation_is_named():
    wrong = DATA.replace("options=admit:Admit|reject:Refuse", "options=admit:Admit|maybe:Perhaps; personal=id")
    catalogs, problems = translations.read(etree.fromstring(bpmn("decided", wrong + BODY)))
    messages = [m for _n, m in problems]
    assert messages == [
        "field recommendation: data:recommendation:en names 'maybe', which is not one of the field's options (admit, "
        "reject)",
        "data:recommendation:en: only options= may follow the name"]
    assert catalogs["decided"].value_name("recommendation", "admit") == "Admit", "what is right is still used"
    second = etree.fromstring(bpmn("decided", DATA.replace('name="data:recommendation:en"', 'name="data:points:en"') + BODY))
    assert [m for _n, m in translations.read(second)[1]] == [
        "data:points:en translates a data field the process does not declare; declare data:points first"]


def test_a_version_read_again_under_the_same_id_is_not_taken_from_another_databases_past(rt):
    """The catalogues are kept per database and version; a database emptied and deployed again (ids start over)
    gets its own names, not the ones an earlier version with the same id had."""
    from sqlalchemy import select, update

    from engine import repository
    from engine.models import DeploymentFile, ProcessDefinition
    from factories import SYSTEM

    lanes = {"EDU": ["s", "decide", "e"]}
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"p.bpmn": bpmn("decided", BODY, lanes=lanes)})
    with rt.db.read() as session:
        first = session.execute(select(ProcessDefinition)).scalar_one()
        assert translations.of_definition(session, first)["decided"].name("decide", "") == "Decision by the Education Bureau"
    renamed = bpmn("decided", BODY.replace("Decision by the Education Bureau", "Final decision"), lanes=lanes).decode()
    with rt.db.write() as session:  # what an emptied database deployed again holds under the same id
        session.execute(update(DeploymentFile).values(content=renamed))
        session.execute(update(ProcessDefinition).values(content_hash="another"))
    with rt.db.read() as session:
        again = session.execute(select(ProcessDefinition)).scalar_one()
        assert again.id == first.id
        assert translations.of_definition(session, again)["decided"].name("decide", "") == "Final decision"
