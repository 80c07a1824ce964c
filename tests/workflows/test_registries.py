"""Department registries: ID number checks, CSV import with a report of bad rows, and the HTTP client
against a real local HTTP server (found, not found, server errors with retries, timeouts)."""
import json
import random
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from engine.cli import main
from workflows import idcards, registries
from workflows.models import RegistryRecord

GOOD_ID = "11010519491231002X"


def test_id_numbers_follow_gb_11643():
    assert idcards.problem(GOOD_ID) is None
    assert idcards.problem("110105194912310021") == "ID number check digit does not match (GB 11643)"
    assert idcards.problem("11010519491331002X").startswith("ID number contains an impossible birth date")
    assert idcards.problem("1101051949") == "ID number must have 18 characters, not 10"
    assert idcards.problem("11010519491231002Y") == "ID number must be 17 digits followed by a digit or X"
    assert idcards.problem_code("1101051949") == ("id_length", {"length": 10})
    assert idcards.problem("110105194912310021", zh=True) == "校验码不符（GB 11643）"  # as case data says it
    assert idcards.mask(GOOD_ID) == "110105********002X"
    rng = random.Random(1)
    for _ in range(200):
        assert idcards.problem(idcards.make("330106", date(1990, 2, 28), rng)) is None
    assert idcards.birth_date(GOOD_ID) == date(1949, 12, 31)


def write_csv(path, rows, header="id_number,name,permit_no,address,district,issued,expires,status"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


GOOD_ROW = f"{GOOD_ID},张伟,330106201800123,杭州市西湖区文三路100号,西湖区,2018-03-01,2028-03-01,valid"


def count(db):
    with db.read() as session:
        return session.execute(select(func.count()).select_from(RegistryRecord)).scalar()


def test_csv_import_is_idempotent_and_updates_changed_rows(db, db_url, tmp_path, capsys):
    path = write_csv(tmp_path / "residence_permits.csv", [GOOD_ROW])
    assert main(["--db", db_url, "registry", "import", "PSB", str(path)]) == 0
    assert "1 new, 0 updated" in capsys.readouterr().out
    assert main(["--db", db_url, "registry", "import", "psb", str(path)]) == 0
    assert "0 new, 0 updated" in capsys.readouterr().out
    write_csv(path, [GOOD_ROW.replace("valid", "revoked")])
    assert main(["--db", db_url, "registry", "import", "PSB", str(path)]) == 0
    assert "0 new, 1 updated" in capsys.readouterr().out
    with db.read() as session:
        record = registries.DatabaseRegistry(session).lookup("PSB", "residence_permits", GOOD_ID.lower())
    assert record["status"] == "revoked" and record["name"] == "张伟"


def test_bad_rows_are_all_reported_and_nothing_is_imported(db, db_url, tmp_path, capsys):
    rows = [GOOD_ROW,
            "110105194912310021,李四,1,地址,西湖区,2018-03-01,2028-03-01,valid",
            f"{GOOD_ID},王五,2,地址,西湖区,2018-13-01,2028-03-01,lost",
            "330106198805030019,,3,地址,西湖区,2018-03-01,2028-03-01,valid"]
    path = write_csv(tmp_path / "residence_permits.csv", rows)
    assert main(["--db", db_url, "registry", "import", "PSB", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "residence_permits.csv:3: id_number: ID number '110105194912310021' check digit does not match (GB 11643)"
    assert out[1].startswith("residence_permits.csv:4: issued:") and "status: 'lost' is not one of valid, revoked" in out[1]
    assert f"id_number: {GOOD_ID} is also on line 2" in out[1]
    assert out[2].startswith("residence_permits.csv:5:") and "name: is empty" in out[2]
    assert out[-1] == "error: 3 bad row(s); nothing was imported"
    assert count(db) == 0


def test_wrong_columns_and_unknown_datasets_are_named(db, db_url, tmp_path, capsys):
    path = write_csv(tmp_path / "residence_permits.csv", ["x,y"], header="id,name")
    assert main(["--db", db_url, "registry", "import", "PSB", str(path)]) == 1
    assert "missing columns: id_number, permit_no" in capsys.readouterr().out
    assert main(["--db", db_url, "registry", "import", "PSB", str(path), "--dataset", "cars"]) == 1
    assert "no registry dataset PSB/cars; known:" in capsys.readouterr().err
    assert main(["--db", db_url, "registry", "import", "PSB", str(tmp_path / "missing.csv"), "--dataset", "residence_permits"]) == 1
    assert "cannot read the file" in capsys.readouterr().err


class Department(BaseHTTPRequestHandler):
    """A department's registry service: 200 for a known key, 404, 500 for 'BROKEN', slow for 'SLOW'."""

    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        Department.hits.append(self.path)
        key = self.path.rsplit("/", 1)[-1]
        if key == "SLOW":
            time.sleep(1.0)
        if key == "BROKEN":
            self.send_response(500)
            self.end_headers()
            return
        if key == "GARBLED":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<html>")
            return
        if key == GOOD_ID:
            body = json.dumps({"id_number": key, "name": "张伟", "status": "valid"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def service():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Department)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Department.hits = []
    yield f"http://127.0.0.1:{server.server_address[1]}/psb"
    server.shutdown()
    server.server_close()


def test_http_registry_found_and_not_found(service):
    client = registries.HttpRegistry(service, timeout=2)
    assert client.lookup("PSB", "residence_permits", GOOD_ID.lower())["name"] == "张伟"
    assert client.lookup("PSB", "residence_permits", "330106198805030019") is None
    assert Department.hits == [f"/psb/residence_permits/{GOOD_ID}", "/psb/residence_permits/330106198805030019"]


@pytest.mark.parametrize("key, reason", [("BROKEN", "HTTP 500"), ("SLOW", "timed out"), ("GARBLED", "not valid JSON")])
def test_http_registry_retries_then_reports_unavailable(service, key, reason):
    client = registries.HttpRegistry(service, timeout=0.3, retries=2, backoff=0.01)
    with pytest.raises(registries.RegistryUnavailable, match=reason):
        client.lookup("PSB", "residence_permits", key)
    assert len(Department.hits) == 3


def test_registry_for_uses_http_when_configured(service, monkeypatch, db):
    monkeypatch.setenv("JOINTREVIEW_REGISTRY_URL_PSB", service)
    with db.read() as session:
        assert isinstance(registries.registry_for("PSB", session), registries.HttpRegistry)
        assert isinstance(registries.registry_for("HRSS", session), registries.DatabaseRegistry)
