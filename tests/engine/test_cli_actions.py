"""The approval actions on the command line: each acts as --user with the engine's checks, prints what
happened, and refuses bad input with a plain message and exit code 1."""
from __future__ import annotations

from sqlalchemy import select

from engine.cli import main
from engine.models import Task, TaskSigner
from factories import BPMN_DIR


def run(url, capsys, *args):
    code = main(["--db", url, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def open_task(rt, element):
    with rt.db.read() as session:
        return session.execute(select(Task.id).where(Task.element_id == element, Task.state == "open")).scalar_one()


def test_the_actions_through_the_command_line(rt, db_url, capsys):
    assert run(db_url, capsys, "init-db")[0] == 0
    for user, dept in (("wang", "EDU:reviewer"), ("sun", "EDU:reviewer"), ("zhao", "EDU:supervisor"),
                       ("li", "PSB:reviewer"), ("zhou", "JOINT:supervisor")):
        assert run(db_url, capsys, "user", "add", user, "--name", user, "--dept", dept, "--no-password")[0] == 0
    assert run(db_url, capsys, "deploy", str(BPMN_DIR / "send_back.bpmn"), "--note", "退回演示")[0] == 0
    assert run(db_url, capsys, "start", "send_back", "--data", '{"signers": ["a"]}', "--key", "SB-1")[0] == 0
    intake = open_task(rt, "intake")
    # 转办 and 委派
    code, _, err = run(db_url, capsys, "transfer", intake, "--user", "wang", "--to", "li", "--reason", "忙")
    assert code == 1 and "li cannot take" in err
    code, out, _ = run(db_url, capsys, "transfer", intake, "--user", "wang", "--to", "sun", "--reason", "休假")
    assert code == 0 and "transferred '受理' to sun" in out
    # 加签 after, the holder completes, the signer signs: the step is done
    code, out, _ = run(db_url, capsys, "add-signer", intake, "--user", "sun", "--to", "zhao", "--position", "after",
                       "--reason", "请科长签字")
    assert code == 0 and "zhao signs after sun" in out
    code, out, _ = run(db_url, capsys, "complete", intake, "--user", "sun", "--data", '{"household": "本市户籍"}')
    assert code == 0
    code, _, err = run(db_url, capsys, "sign", intake, "--user", "wang", "--decision", "agree")
    assert code == 1 and "not asked to sign" in err
    code, out, _ = run(db_url, capsys, "sign", intake, "--user", "zhao", "--decision", "agree", "--opinion", "同意")
    assert code == 0 and "opened" in out and "教育审核" in out
    # 退回: list the targets, then send back
    edu_check = open_task(rt, "edu_check")
    code, out, _ = run(db_url, capsys, "send-back", edu_check, "--user", "wang")
    assert code == 0 and intake in out and "受理" in out
    code, _, err = run(db_url, capsys, "send-back", edu_check, "--user", "wang", "--to", intake)
    assert code == 1 and "reason" in err
    code, out, _ = run(db_url, capsys, "send-back", edu_check, "--user", "wang", "--to", intake, "--reason", "户籍证明缺失")
    assert code == 0 and "sent back" in out
    reopened = open_task(rt, "intake")
    # 催办, 抄送, 减签 of a signer before
    code, out, _ = run(db_url, capsys, "urge", reopened, "--user", "zhao", "--note", "请今日办结")
    assert code == 0 and "urged (1 times so far)" in out
    code, out, _ = run(db_url, capsys, "copy", reopened, "--user", "sun", "--to", "JOINT")
    assert code == 0 and "copied to 1 people" in out
    assert run(db_url, capsys, "claim", reopened, "--user", "sun")[0] == 0
    assert run(db_url, capsys, "add-signer", reopened, "--user", "sun", "--to", "wang", "--position", "before",
               "--reason", "先请王复核")[0] == 0
    with rt.db.read() as session:
        signer = session.execute(select(TaskSigner.id).where(TaskSigner.task_id == reopened)).scalar_one()
    code, _, err = run(db_url, capsys, "remove-signer", str(signer), "--user", "li", "--reason", "x")
    assert code == 1 and "only a supervisor of EDU" in err
    code, out, _ = run(db_url, capsys, "remove-signer", str(signer), "--user", "zhao", "--reason", "无需复核")
    assert code == 0 and f"signer #{signer} removed" in out
    # 撤回申请 is for processes that allow it
    code, _, err = run(db_url, capsys, "withdraw-application", "SB-1", "--user", "wang", "--reason", "申请人撤回")
    assert code == 1 and err.startswith("error: ")
    code, _, err = run(db_url, capsys, "supervise", "SB-1", "--user", "wang", "--reason", "超期", "--days", "2")
    assert code == 1 and "only JOINT open supervision items" in err
    code, _, err = run(db_url, capsys, "sign", reopened, "--user", "nobody", "--decision", "agree")
    assert code == 1 and "no active user 'nobody'" in err
