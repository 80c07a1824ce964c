"""Sub-units of a department (street offices of 街道办) and the area each covers."""
import pytest
from sqlalchemy import select

from engine import directory
from engine.cli import main
from engine.errors import InvalidInput
from engine.models import AuditEntry
from factories import SYSTEM


def test_a_unit_covers_the_addresses_of_its_area_the_longest_name_winning(rt):
    with rt.db.write() as session:
        directory.add_unit(session, SYSTEM, "STREET-WX", "文新街道", "Wenxin", "STREET", "西湖区", ["文三路", "文一西路"])
        directory.add_unit(session, SYSTEM, "STREET-XX", "西溪街道", "", "STREET", "西湖区", ["文三", "西溪路"])
        directory.add_unit(session, SYSTEM, "STREET-HS", "湖墅街道", "", "STREET", "拱墅区", ["湖墅南路", "文三路"])
    with rt.db.read() as session:
        assert directory.unit_for(session, "STREET", "西湖区", "杭州市西湖区文三路 100 号").code == "STREET-WX"
        assert directory.unit_for(session, "STREET", None, "杭州市西湖区西溪路1号").code == "STREET-XX"  # district from the address
        assert directory.unit_for(session, "STREET", "拱墅区", "文三路1号").code == "STREET-HS"  # the district decides
        assert directory.unit_for(session, "STREET", "滨江区", "江南大道1号") is None
        assert directory.unit_for(session, "EDU", "西湖区", "文三路1号") is None
        assert [u.code for u in directory.units(session, "STREET")] == ["STREET-HS", "STREET-WX", "STREET-XX"]
        assert directory.parent_of(session, "STREET-WX") == "STREET" and directory.parent_of(session, "STREET") is None
        assert rt.is_department(session, "STREET-WX")  # a unit is a department steps can be routed to


def test_a_bad_unit_is_refused_naming_every_field_and_nothing_is_saved(rt):
    with rt.db.write() as session, pytest.raises(InvalidInput) as info:
        directory.add_unit(session, SYSTEM, "x", "", "", "NOPE", None, [])
    assert set(info.value.fields) == {"code", "name_zh", "parent", "covers"}
    with rt.db.write() as session:
        directory.add_unit(session, SYSTEM, "STREET-WX", "文新街道", "", "STREET", "西湖区", ["文三路"])
    with rt.db.write() as session, pytest.raises(InvalidInput) as info:  # a unit's unit, a department made a unit
        directory.add_unit(session, SYSTEM, "STREET-A", "某社区", "", "STREET-WX", "西湖区", [])
    assert "parent" in info.value.fields
    with rt.db.write() as session, pytest.raises(InvalidInput) as info:
        directory.add_unit(session, SYSTEM, "EDU", "教育局", "", "STREET", "西湖区", [])
    assert "top-level department" in info.value.fields["code"]
    with rt.db.read() as session:
        assert [u.code for u in directory.units(session, "STREET")] == ["STREET-WX"]


def test_the_command_line_adds_and_lists_units(rt, capsys):
    db_url = str(rt.db.url)
    assert main(["--db", db_url, "unit", "street-wx", "--parent", "STREET", "--name", "文新街道", "--district", "西湖区",
                 "--covers", "文三路，文一西路", "--covers", "古墩路"]) == 0
    assert "unit STREET-WX (文新街道) of STREET covers 西湖区: 文三路、文一西路、古墩路" in capsys.readouterr().out
    assert main(["--db", db_url, "units", "street"]) == 0
    assert "STREET-WX" in capsys.readouterr().out
    with rt.db.read() as session:
        saved = session.execute(select(AuditEntry).where(AuditEntry.event == "department_unit_saved")).scalars().all()
    assert [e.actor for e in saved] == ["system:cli"]
    assert main(["--db", db_url, "unit", "STREET-X", "--parent", "NOPE", "--name", "某街道", "--covers", "某路"]) == 1
    assert "parent: 'NOPE' is not a top-level department" in capsys.readouterr().err


def test_seeding_names_each_standard_departments_head_and_keeps_a_title_set_by_hand(rt):
    from engine.models import Department
    from engine.routing import seed_departments
    with rt.db.write() as session:  # the rt fixture seeded them: a bureau's head is 局长, an office's 主任
        titles = {d.code: (d.head_title_zh, d.head_title_en) for d in session.execute(select(Department)).scalars()}
        assert titles["EDU"] == ("局长", "Director-General") and titles["JOINT"] == ("主任", "Director")
        assert titles["HEALTH"][0] == titles["STREET"][0] == "主任"
        session.get(Department, "HUD").head_title_zh = "主任"  # set by an administrator
        session.get(Department, "PSB").head_title_zh = None  # stored before titles existed
    with rt.db.write() as session:
        assert seed_departments(session) == 0
    with rt.db.read() as session:
        assert session.get(Department, "HUD").head_title_zh == "主任"
        assert session.get(Department, "PSB").head_title_zh == "局长"


def _titles(rt, code):
    from engine.models import Department
    with rt.db.read() as session:
        row = session.get(Department, code)
        return row.head_title_zh, row.head_title_en


def _title_events(rt):
    import json
    with rt.db.read() as session:
        rows = session.execute(select(AuditEntry).where(AuditEntry.event == "department_head_title_set")
                               .order_by(AuditEntry.seq)).scalars().all()
    return [(e.actor, e.department, json.loads(e.details)) for e in rows]


def test_the_command_line_shows_and_sets_a_departments_head_title_audited(rt, capsys):
    db_url = str(rt.db.url)
    assert main(["--db", db_url, "head-title", "hud"]) == 0  # shown as it stands
    assert capsys.readouterr().out.strip() == "the head of HUD is called 局长 / Director-General"
    assert main(["--db", db_url, "head-title", "hud", "--zh", " 主任 ", "--en", "Director", "--user", "edu_head"]) == 1
    assert "no active user 'edu_head'" in capsys.readouterr().err  # who changes it must be a user
    assert main(["--db", db_url, "head-title", "hud", "--zh", " 主任 ", "--en", "Director"]) == 0
    assert capsys.readouterr().out.strip() == "the head of HUD is called 主任 / Director"
    assert _titles(rt, "HUD") == ("主任", "Director")
    assert _title_events(rt) == [("system:cli", "HUD", {"department": "HUD", "before": ["局长", "Director-General"],
                                                         "after": ["主任", "Director"]})]
    assert main(["--db", db_url, "head-title", "HUD", "--zh", "主任", "--en", "Director"]) == 0  # as it is
    assert len(_title_events(rt)) == 1, "nothing changed, nothing recorded"
    assert main(["--db", db_url, "head-title", "HUD", "--clear"]) == 0
    assert "HUD has no title of its own" in capsys.readouterr().out
    assert _titles(rt, "HUD") == (None, None) and _title_events(rt)[-1][2]["after"] == [None, None]


def test_a_bad_head_title_or_an_unknown_department_is_refused_and_nothing_changes(rt, capsys):
    db_url = str(rt.db.url)
    capsys.readouterr()
    assert main(["--db", db_url, "head-title", "NOPE", "--zh", "主任", "--en", "Director"]) == 1
    assert capsys.readouterr().err.strip() == "error: no department 'NOPE'"
    assert main(["--db", db_url, "head-title", "NOPE"]) == 1
    assert "no department 'NOPE'" in capsys.readouterr().err
    assert main(["--db", db_url, "head-title", "EDU", "--zh", "主任"]) == 1  # both languages, or neither
    err = capsys.readouterr().err
    assert "the head's title was not saved" in err and "en: give the head's title in English" in err and "zh:" not in err
    assert main(["--db", db_url, "head-title", "EDU", "--zh", "主" * 21, "--en", "Director\nof it"]) == 1
    err = capsys.readouterr().err
    assert "zh: give the head's title in Chinese, e.g. 局长 or 主任 (at most 20 characters, one line)" in err
    assert "en: give the head's title in English" in err
    assert main(["--db", db_url, "head-title", "EDU", "--zh", " ", "--en", " "]) == 1  # blank is no way to clear
    assert main(["--db", db_url, "head-title", "EDU", "--clear", "--zh", "主任"]) == 2
    assert "not both" in capsys.readouterr().err
    assert _titles(rt, "EDU") == ("局长", "Director-General") and _title_events(rt) == []
    with rt.db.write() as session, pytest.raises(InvalidInput) as info:  # the engine names each bad field
        directory.set_head_title(session, SYSTEM, "EDU", "", None)
    assert set(info.value.fields) == {"zh", "en"}

