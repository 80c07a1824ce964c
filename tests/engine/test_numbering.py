"""A new case's row and number: on PostgreSQL one statement once this process knows the newest version; a version
deployed by another process, a number someone took by hand and a process that is not deployed are all noticed."""
import pytest

from engine import audit
from engine.errors import NotFound
from engine.models import Case
from engine.runtime import Runtime
from tests.factories import SYSTEM, bpmn, start
from engine import repository

BODY = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
        '<bpmn:userTask id="t" name="审核"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>'
        '<bpmn:endEvent id="e"/>')


def _file(prefix: str) -> dict[str, bytes]:
    props = (f'<bpmn:extensionElements><camunda:properties><camunda:property name="key_prefix" value="{prefix}"/>'
             "</camunda:properties></bpmn:extensionElements>")
    return {"numbered.bpmn": bpmn("numbered", props + BODY, {"EDU": ["s", "t", "e"]})}


def _deploy(rt: Runtime, prefix: str):
    with rt.db.write() as session:
        return repository.deploy(session, rt, SYSTEM, _file(prefix))


def _statements(rt: Runtime, process: str, **kwargs) -> tuple[int, str, int]:
    """Statements a start ran, its key and the version it started."""
    before = rt.db.counts.statements
    out = start(rt, process, **kwargs)
    count = rt.db.counts.statements - before
    with rt.db.read() as session:
        definition_id = session.get(Case, out.case_id).definition_id
    return count, out.business_key, definition_id


def test_a_start_takes_one_statement_less_once_the_newest_version_is_known(rt, db_url):
    _deploy(rt, "NUM")
    start(rt, "numbered")  # parses the process, reads the calendar
    rt.newest_versions.clear()
    long_way, key1, _ = _statements(rt, "numbered")
    at_once, key2, _ = _statements(rt, "numbered")
    assert key1.startswith("NUM-") and key2 == key1[:-6] + f"{int(key1[-6:]) + 1:06d}"
    if db_url.startswith("postgresql"):
        assert (long_way, at_once) == (3, 2)  # version, then number and row, then the step's write; or two
    else:
        assert at_once == long_way


def test_a_version_deployed_by_another_process_is_started_with_its_own_key_prefix(rt):
    _deploy(rt, "NUM")
    _, key, old_version = _statements(rt, "numbered")
    other = Runtime(rt.db)  # another web process deploys a new version with another prefix
    _deploy(other, "NEW")
    _, key, new_version = _statements(rt, "numbered")
    assert new_version != old_version and key.startswith("NEW-") and key.endswith("-000001")
    _, key, version = _statements(rt, "numbered")
    assert version == new_version and key.endswith("-000002")
    with rt.db.read() as session:
        assert audit.verify(session).ok


def test_a_number_taken_by_hand_is_skipped(rt):
    _deploy(rt, "NUM")
    key = start(rt, "numbered").business_key
    taken = key[:-6] + f"{int(key[-6:]) + 1:06d}"
    start(rt, "numbered", business_key=taken)
    following = start(rt, "numbered").business_key
    assert following == key[:-6] + f"{int(key[-6:]) + 2:06d}"


def test_a_process_that_is_not_deployed_is_named(rt):
    _deploy(rt, "NUM")
    start(rt, "numbered")
    rt.newest_versions["ghost"] = 1  # a stale guess must not start anything
    with pytest.raises(NotFound, match="ghost"):
        start(rt, "ghost")
