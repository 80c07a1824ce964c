"""The `jointreview` command line: every command's --help, a full run, and plain errors with exit 1."""
import json

import pytest

from engine.cli import build_parser, main
from factories import BPMN_DIR

COMMANDS = ["init-db", "validate", "deploy", "start", "tasks", "cases", "claim", "release", "complete", "reassign", "worker",
            "user", "audit", "token", "send-back", "withdraw", "withdraw-application", "transfer", "delegate", "copy", "urge",
            "supervise", "add-signer", "sign", "remove-signer", "calendar", "rules", "migrate"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert "usage: jointreview" in capsys.readouterr().out


def test_audit_verify_has_help(capsys):
    with pytest.raises(SystemExit):
        main(["audit", "verify", "--help"])
    assert "hash chain" in capsys.readouterr().out or build_parser()


def run(url, capsys, *args):
    code = main(["--db", url, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_case_through_the_command_line(db_url, capsys):
    assert run(db_url, capsys, "init-db")[0] == 0
    for user, dept in (("wang", "EDU:reviewer"), ("li", "PSB:reviewer"), ("zhao", "EDU:supervisor")):
        assert run(db_url, capsys, "user", "add", user, "--name", user, "--dept", dept, "--no-password")[0] == 0
    code, _, err = run(db_url, capsys, "deploy", str(BPMN_DIR / "two_lane.bpmn"))
    assert code == 1 and "say why this version is deployed: --note" in err  # a version says why it was deployed
    code, out, _ = run(db_url, capsys, "deploy", str(BPMN_DIR / "two_lane.bpmn"), "--note", "两部门核验上线")
    assert code == 0 and "two_lane v1 (两部门核验): new version" in out
    assert "unchanged" in run(db_url, capsys, "deploy", str(BPMN_DIR / "two_lane.bpmn"), "--note", "再部署")[1]
    code, out, _ = run(db_url, capsys, "start", "two_lane", "--data", json.dumps({"applicant_name": "张三"}), "--key", "ADM-2026-000123")
    assert code == 0 and "started ADM-2026-000123 (running)" in out and "受理审查" in out
    code, out, _ = run(db_url, capsys, "tasks", "--user", "wang")
    task_id = out.split()[0]
    assert "ADM-2026-000123" in out and "(unclaimed)" in out
    assert "no tasks" in run(db_url, capsys, "tasks", "--user", "li")[1]
    assert run(db_url, capsys, "claim", task_id, "--user", "wang")[0] == 0
    code, _, err = run(db_url, capsys, "claim", task_id, "--user", "li")
    assert code == 1 and err.startswith("error: li may not claim")
    code, _, err = run(db_url, capsys, "complete", task_id, "--user", "wang", "--data", '{"months": "many"}')
    assert code == 1 and "months: must be a whole number" in err
    code, _, err = run(db_url, capsys, "complete", task_id, "--user", "wang", "--data", "{not json")
    assert code == 1 and "--data is not valid JSON" in err
    code, out, _ = run(db_url, capsys, "complete", task_id, "--user", "wang", "--data", '{"complete": true, "months": 30}')
    assert code == 0 and "居住证核验" in out
    code, out, _ = run(db_url, capsys, "worker", "--once")
    assert code == 0 and "fired timers of 0 case(s)" in out
    code, out, _ = run(db_url, capsys, "audit", "verify")
    assert code == 0 and "audit log intact" in out
    code, out, _ = run(db_url, capsys, "cases", "--status", "running")
    assert code == 0 and out.startswith("ADM-2026-000123") and "two_lane" in out
    assert run(db_url, capsys, "cases", "--status", "stuck")[1] == "no cases\n"


def test_errors_are_plain_and_exit_non_zero(tmp_path, capsys):
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    code, _, err = run(fresh, capsys, "tasks")
    assert code == 1 and "run `jointreview init-db` first" in err
    run(fresh, capsys, "init-db")
    code, _, err = run(fresh, capsys, "start", "nothing")
    assert code == 1 and err == "error: no process 'nothing' is deployed\n"
    code, _, err = run(fresh, capsys, "deploy", str(tmp_path / "missing.bpmn"))
    assert code == 1 and "no such file or folder" in err
    code, _, err = run(fresh, capsys, "complete", "no-such-task", "--user", "nobody")
    assert code == 1 and "no active user 'nobody'" in err
    code, _, err = run(fresh, capsys, "user", "add", "x", "--dept", "NOPE:reviewer", "--no-password")
    assert code == 1 and "no department 'NOPE'" in err


def test_passwords_from_standard_input_are_checked_and_hashed(db_url, capsys, monkeypatch):
    import io

    from engine.db import Database
    from engine.models import User
    from engine.passwords import verify_password
    from sqlalchemy import select

    assert run(db_url, capsys, "init-db")[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("123\n"))
    code, _, err = run(db_url, capsys, "user", "add", "li", "--dept", "PSB:reviewer", "--password-stdin")
    assert code == 1 and "password is too weak" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("Li-Passw0rd\n"))
    assert run(db_url, capsys, "user", "add", "li", "--dept", "PSB:reviewer", "--password-stdin")[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("New-Passw0rd\n"))
    assert run(db_url, capsys, "user", "password", "li", "--password-stdin")[0] == 0
    db = Database(db_url)
    with db.read() as session:
        stored = session.execute(select(User.password_hash).where(User.username == "li")).scalar_one()
    db.dispose()
    assert stored.startswith("scrypt:") and verify_password(stored, "New-Passw0rd")


def test_user_access_and_activation_from_the_command_line(db_url, capsys):
    assert run(db_url, capsys, "init-db")[0] == 0
    assert run(db_url, capsys, "user", "add", "wu", "--dept", "EDU:reviewer", "--no-password")[0] == 0
    assert run(db_url, capsys, "user", "access", "wu", "--dept", "PSB:supervisor", "--role", "auditor")[0] == 0
    assert run(db_url, capsys, "user", "deactivate", "wu")[0] == 0
    code, _, err = run(db_url, capsys, "tasks", "--user", "wu")
    assert code == 1 and "no active user 'wu'" in err
    assert run(db_url, capsys, "user", "activate", "wu")[0] == 0
    assert run(db_url, capsys, "tasks", "--user", "wu")[0] == 0
    code, _, err = run(db_url, capsys, "user", "access", "wu", "--dept", "NOPE:reviewer")
    assert code == 1 and "no department 'NOPE'" in err


def test_api_tokens_from_the_command_line(db_url, capsys):
    from engine import tokens
    from engine.db import Database

    assert run(db_url, capsys, "init-db")[0] == 0
    assert run(db_url, capsys, "user", "add", "li", "--dept", "PSB:reviewer", "--no-password")[0] == 0
    code, out, err = run(db_url, capsys, "token", "issue", "psb-system", "--role", "reviewer", "--dept", "psb",
                         "--expires-days", "30")
    secret = out.strip()
    assert code == 0 and secret.startswith("jrt_") and "shown only this once" in err
    code, _, err = run(db_url, capsys, "token", "issue", "li-token", "--role", "supervisor", "--dept", "PSB", "--user", "li")
    assert code == 1 and "li does not hold the supervisor role in PSB" in err
    code, _, err = run(db_url, capsys, "token", "issue", "Bad Name", "--role", "portal", "--dept", "EDU")
    assert code == 1 and "name:" in err and "department: a portal token has no department" in err
    code, out, _ = run(db_url, capsys, "token", "list")
    assert "psb-system" in out and "reviewer@PSB" in out and "active" in out and secret not in out
    database = Database(db_url)
    with database.read() as session:
        token, actor = tokens.authenticate(session, secret)
        assert actor.username == "api:psb-system" and actor.departments == {"PSB": "reviewer"}
    assert run(db_url, capsys, "token", "revoke", "psb-system")[0] == 0
    code, _, err = run(db_url, capsys, "token", "revoke", "psb-system")
    assert code == 1 and "already revoked" in err
    with database.read() as session, pytest.raises(tokens.NotAuthenticated, match="revoked"):
        tokens.authenticate(session, secret)
    database.dispose()
