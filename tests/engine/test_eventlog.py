"""Process-mining export: XES and CSV event logs that pm4py reads, one trace per case, every event."""
from __future__ import annotations

import io
import json
from datetime import date

import pandas as pd
import pm4py
from sqlalchemy import func, select

from engine import eventlog
import pytest

from engine.cli import main
from engine.config import Settings, make_runtime
from engine.models import AuditEntry, Case
from workflows.demo import build_demo


@pytest.fixture
def rt(db):
    """The runtime with the workflows' service handlers, as the app and the CLI build it."""
    return make_runtime(Settings.from_env(db.url))


def _expected(rt, process: str | None = None) -> tuple[int, int]:
    with rt.db.read() as session:
        cases = select(Case.id) if process is None else select(Case.id).where(Case.process_key == process)
        traces = session.execute(select(func.count()).select_from(cases.subquery())).scalar_one()
        events = session.execute(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.case_id.in_(cases))).scalar_one()
    return traces, events


@pytest.mark.slow
def test_the_demo_log_loads_in_pm4py_with_every_trace_and_event(rt, tmp_path, capsys):
    build_demo(rt, cases_wanted=30, history=24)
    capsys.readouterr()
    target = tmp_path / "demo.xes"
    assert main(["--db", rt.db.url, "export", "xes", "--out", str(target)]) == 0
    traces, events = _expected(rt)
    assert f"{traces} traces, {events} events" in capsys.readouterr().out
    log = pm4py.read_xes(str(target), return_legacy_log_object=False)
    assert log["case:concept:name"].nunique() == traces and len(log) == events
    assert {"schedule", "complete"} <= set(log["lifecycle:transition"])
    assert {g.split("-")[0] for g in set(log["org:group"]) - {""}} <= {"EDU", "PSB", "HRSS", "HUD", "HEALTH", "STREET", "FIN",
                                                                   "JOINT"}  # street offices are STREET-…
    with rt.db.read() as session:
        recorded = session.execute(select(AuditEntry.details).where(AuditEntry.event == "event_log_exported")).scalar_one()
    assert json.loads(recorded)["traces"] == traces


@pytest.mark.slow
def test_csv_log_has_pm4pys_columns_and_honours_the_selection(rt):
    build_demo(rt, cases_wanted=20, history=12)
    with rt.db.read() as session:
        text = "".join(eventlog.csv_log(session, eventlog.Selection("subsidy_approval"), rt.calendar.tz))
        none = "".join(eventlog.csv_log(session, eventlog.Selection(end=date(2000, 1, 1)), rt.calendar.tz))
    frame = pm4py.format_dataframe(pd.read_csv(io.StringIO(text)), case_id="case:concept:name",
                                   activity_key="concept:name", timestamp_key="time:timestamp")
    traces, events = _expected(rt, "subsidy_approval")
    assert frame["case:concept:name"].nunique() == traces and len(frame) == events
    assert set(frame["case:process"]) == {"subsidy_approval"}
    assert none.strip() == ",".join(eventlog.CSV_COLUMNS)


def test_no_case_data_goes_into_the_log(rt):
    build_demo(rt, cases_wanted=10, history=0)
    with rt.db.read() as session:
        text = "".join(eventlog.xes(session, eventlog.Selection(), rt.calendar.tz))
        ids = [json.loads(d)["data"]["applicant_id"] for d in session.execute(
            select(AuditEntry.details).where(AuditEntry.event == "case_started")).scalars()
            if "applicant_id" in json.loads(d).get("data", {})]
    assert ids and not [i for i in ids if i in text]
