"""Hostile expressions run out of their budget fast, in bounded memory, while other work goes on."""
from __future__ import annotations

import threading
import time
import tracemalloc

import pytest

from engine import repository
from engine.budget import BudgetExceeded, ExpressionRefused
from engine.calendar import WorkCalendar
from engine.errors import DeployError, EngineError
from engine.expressions import RestrictedEnvironment, check
from engine.functions import build_functions
from engine.models import Case
from tests.factories import SYSTEM, bpmn, make_users, start

ENV = RestrictedEnvironment(build_functions(WorkCalendar()))
GUARD_SECONDS = 1.5      # a bomb must be stopped well within this much work (the wall-clock guard is 4 times it)
MEMORY_LIMIT = 200 * 2**20

# Bombs whose size only shows at run time (`n` comes from the case data): validation lets them pass.
DATA_BOMBS = [
    "sum(range(n))",
    "'a' * n",
    "[1] * n",
    "'%*d' % (n, 1)",
    "f'{1:>{n}}'",
    "'a'.ljust(n)",
    "'a'.center(n)",
    "'a'.zfill(n)",
    "'\\t'.expandtabs(n)",
    "((n ** 64) ** 64) ** 64",
    "1 << n",
    "round(1, -n)",
    "max(range(n))",
    "sorted(range(n))",
    "len(list(range(n)))",
    "len(str([[[x] * 1000] * 1000] * 1000))",
    "x in [[x] * 1000] * 1000",
    "[i * j for i in range(100000) for j in range(100000)]",
    "(lambda f: f(f, 40))(lambda f, k: 1 if k == 0 else f(f, k - 1) + f(f, k - 1))",
    "len((s * 1000).replace(s, s * 1000) * 10)",
    "len(','.join([s * 1000] * 100000))",
    "f'{x:%1000000000Y}'",
    "any(workdays_between('2020-01-01', '2029-12-31') < 0 for i in range(100000))",
    # found by trying to break the budget: deep nesting, set operators, views, helpers, big ints, sizes
    "(t := ()) == () and len({[(t := (t,)) for i in range(200000)][-1]: 1})",
    "(t := ()) == () and [(t := (t, t)) for i in range(60)] and len({1: 1}.keys() & [t])",
    "{'k': [[[x] * 1000] * 1000] * 1000}.values()",
    "digits([[[x] * 1000] * 1000] * 1000)",
    "timer_due('P999999999Y')",
    "int('f' * n, 16) // 7",
    "len((0).to_bytes(n, 'big'))",
    "len(('%(a)s' * 100000) % {'a': s * 1000000})",
    "len('%(a(b))1500000000s' % {'a(b)': s})",
    "len(''.join(['%c' % i for i in range(256, 256 + 20000)]).encode('punycode'))",
    # second round: big ints and bytes weigh what printing them costs, divmod, from_bytes, exception payloads
    "len(str([(x << 14000) - 1] * 999999))",
    "len('%s' % ([(x << 14000) - 1] * 41000,))",
    "(s * 1000).encode() * 1000 in [(s * 999).encode() * 1000] * 999999",
    "divmod((0).from_bytes(s.encode() * 1000000, 'big'), 7)",
    "(t := [x]) and [(t := [t, t]) for i in range(40)] and ValueError(t)",
    "len(str([(s * 1000000)] * 31))",
]

SCRIPT_BOMBS = [
    "x = []\nfor i in range(40):\n    x = [x, x]\ny = str(x)",
    "t = ()\nfor i in range(60):\n    t = (t, t)\nd = {t: 1}",
    "t = ()\nfor i in range(60):\n    t = (t, t)\ns = set()\ns.add(t)",
    "t = ()\nfor i in range(60):\n    t = (t, t)\nd = {}\nd[t] = 1",
    "a = ()\nb = ()\nfor i in range(60):\n    a = (a, a)\n    b = (b, b)\nsame = a == b",
    "for i in range(1000000):\n    try:\n        'a' * n\n    except:\n        pass\nok = 1",
    "def f(k):\n    return 1 if k == 0 else f(k - 1) + f(k - 1)\nr = f(40)",
    "l = [0]\nfor i in range(60):\n    l.extend(l)",
    "s = 'ab'\nfor i in range(60):\n    s = s + s",
    "s = 'ab'\nfor i in range(60):\n    s += s",
    "x = [1]\nfor i in range(100000):\n    x = [x, x]\nkept = x",
    "big = []\nfor i in range(1000):\n    big.append('a' * 100000)\nkept = big",
    "t = ()\nfor i in range(300000):\n    t = (t,)\nd = {t: 1}",
    "t = ()\nfor i in range(60):\n    t = (t, t)\nd = dict([reversed([1, t])])",
    "a = [0] * 1000\nb = [a] * 1000\nd = {'k': [b] * 1000}\nr = len(f'{d.values()}')",
    "t = [0]\nu = [0]\nfor i in range(40):\n    t = [t, t]\n    u = [u, u]\nr = clamp(t, u, u)",
    "x = 'x' * 1000000\nr = len(f'{x}{x}{x}{x}{x}{x}{x}{x}{x}{x}' * 1)\nfor i in range(5):\n    r = len(f'{x}' * 30)",
    "x = [0] * 1000000\ny = len([*x, *x, *x, *x, *x, *x, *x, *x, *x, *x])",
    "l = [0]\nfor i in range(28):\n    l[:0] = l",
    "x = 'ab ' * 333333\nfor i in range(5000):\n    y = x.split()",
    "t = [0]\nfor i in range(40):\n    t = [t, t]\nraise ValueError(t)",
    "s = 'a' * 1000000\nl = [s] * 999990",
    "keep = []\nfor i in range(40):\n    keep.append(list('\\U0001F600' * 1000000))",
    "x = 'ok\\ud800'",
]

# Bombs written with constants: deploy-time validation refuses them with the reason.
STATIC_BOMBS = [
    "sum(range(10**12))", "'a'*10**9", "'%*d' % (10**9, 1)", "f'{1:>1000000000}'", "'a'.ljust(10**9)",
    "[1]*10**9", "((9**64)**64)**64", "1 << 10**9", "round(1, -10**9)", "len(str([[[0]*1000]*1000]*1000))",
    "'{0.__class__}'.format(x)", "'abc'.translate({97: 'x' * 1000})",
    "int('f' * 1000000, 16) // int('7' * 500000, 16) > 0", "len(('ﬃ' * 500000).upper())",
    "divmod((0).from_bytes(b'\\xff' * 1000000, 'big'), 7)", "len(str([('\\U000e0001' * 1000000)] * 31))", "len((0).to_bytes(1500000000, 'big'))",
]


@pytest.fixture
def users(rt):
    return make_users(rt)


def _guarded(action) -> tuple[float, BaseException | None, int]:
    """Run `action` in a thread with a wall-clock guard; while it runs, this thread keeps evaluating a
    plain expression and must be served. Returns (seconds, exception raised, peak bytes allocated).

    The seconds are the CPU time of the bomb's thread, on a run as in production: the work it got to do before the
    budget stopped it. The memory is measured on a second run with tracemalloc on. (Tracing every allocation makes
    an allocation-heavy bomb several times slower, and on a loaded machine, such as parallel tests, a thread's wall
    time mostly counts its waits for a core and for the interpreter lock: a bomb stopped after 0.1 s of work took
    1.8 s by the wall clock.)"""
    seconds, error, _ = _run_guarded(action, traced=False)
    _, traced_error, peak = _run_guarded(action, traced=True)
    assert isinstance(traced_error, EngineError), traced_error  # stopped with tracing on too
    return seconds, error, peak


def _run_guarded(action, traced: bool) -> tuple[float, BaseException | None, int]:
    outcome: dict = {"peak": 0}

    def run() -> None:
        if traced:
            tracemalloc.start()
        began = time.thread_time()
        try:
            action()
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome["error"] = exc
        outcome["seconds"] = time.thread_time() - began
        if traced:
            outcome["peak"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    served = 0
    while not traced and worker.is_alive() and served < 10_000:
        asked = time.monotonic()
        assert ENV.evaluate("a + 1", {"a": served}) == served + 1
        assert time.monotonic() - asked < 0.5, "a concurrent evaluation was not served while the bomb ran"
        served += 1
        time.sleep(0.005)
    worker.join(GUARD_SECONDS * 4)
    assert not worker.is_alive(), "the bomb was not stopped"
    return outcome["seconds"], outcome.get("error"), outcome["peak"]


@pytest.mark.parametrize("source", DATA_BOMBS)
def test_an_expression_bomb_fails_fast_in_bounded_memory(source):
    assert check(source) is None  # nothing to see statically: the size comes from the data
    seconds, error, peak = _guarded(lambda: ENV.evaluate(source, {"n": 10**9, "x": 1, "s": "a"}))
    assert isinstance(error, EngineError), error  # BudgetExceeded, or a plain refusal (an encoding, a duration)
    assert seconds < GUARD_SECONDS and peak < MEMORY_LIMIT
    assert error.message and "Traceback" not in error.message


@pytest.mark.parametrize("script", SCRIPT_BOMBS)
def test_a_script_bomb_fails_fast_in_bounded_memory(script):
    seconds, error, peak = _guarded(lambda: ENV.execute(script, {"n": 10**9}))
    assert isinstance(error, ExpressionRefused), error
    assert seconds < GUARD_SECONDS and peak < MEMORY_LIMIT


@pytest.mark.parametrize("source", STATIC_BOMBS)
def test_constant_bombs_are_refused_at_deploy_time(source):
    reason = check(source)
    assert reason and ("limit" in reason or "not allowed" in reason or "above" in reason), reason


def test_ordinary_expressions_still_work():
    data = {"points": 82, "names": ["张三", "李四"], "d": {("a", 1): 2}, "when": "2026-10-08"}
    assert ENV.evaluate("points >= 60 and '张三' in names", data) is True
    assert ENV.evaluate("f'{points:>5}|{points:.2f}'", data) == "   82|82.00"
    assert ENV.evaluate("'%05d-%s' % (points, names[0])", data) == "00082-张三"
    assert ENV.evaluate("sorted(names, key=lambda s: len(s))[0] + ','.join(names)", data) == "张三张三,李四"
    assert ENV.evaluate("sum(range(101)) + max(names.count('张三'), 0)", data) == 5051
    assert ENV.evaluate("d[('a', 1)] + len({('b', 2): 1}) + len({(1, 2), (1, 2)})", data) == 4
    assert ENV.evaluate("isinstance(names, list) and isinstance(points, (int, float)) and isinstance('', str)", data)
    context = {"items": [3, 1, 2]}
    ENV.execute("items.sort()\nitems.extend([4, 5])\nm = {}\nm['k'] = [i * 2 for i in items]\n"
                "total = sum(items)\ntext = 'x'.ljust(3, '.') + 'ab'.replace('a', 'A')", context)
    assert context["items"] == [1, 2, 3, 4, 5] and context["m"] == {"k": [2, 4, 6, 8, 10]}
    assert context["total"] == 15 and context["text"] == "x..Ab"


def test_only_time_spent_inside_evaluations_counts_against_a_step():
    """A step's expressions share one time budget, but the engine's own work, a busy database or a loaded
    machine between them is not charged: an ordinary condition after a slow moment still evaluates. Many
    heavy evaluations in one step still run out."""
    from engine import budget
    with budget.operation(seconds=0.3):
        time.sleep(0.5)
        assert ENV.evaluate("sum(range(1000))", {}) == 499500
    with budget.operation(seconds=0.3), pytest.raises(BudgetExceeded, match="time limit"):
        for _ in range(1000):
            ENV.evaluate("sum(range(10**6))", {})


def test_a_caught_budget_error_still_fails_the_evaluation():
    with pytest.raises(BudgetExceeded):
        ENV.execute("try:\n    x = 'a' * n\nexcept:\n    x = 'caught'", {"n": 10**9})


def test_a_failed_script_leaves_the_case_data_as_it_was():
    context = {"l": [1], "d": {"a": 1}}
    with pytest.raises(BudgetExceeded):
        ENV.execute("l.append(2)\nd['typename'] = 'x'\nfor i in range(10**7):\n    pass", context)
    assert context == {"l": [1], "d": {"a": 1}}


def test_deeply_nested_source_is_refused_not_crashing():
    assert "nested too deeply" in check("+".join(["a"] * 5000))
    assert check("not " * 100000 + "a")


def test_a_raised_payload_never_reaches_the_case_error(rt, users):
    script = "t = [0]&#10;for i in range(40):&#10;    t = [t, t]&#10;raise ValueError(t)"
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"raise.bpmn": _bomb_process("raise", script)})
    began = time.monotonic()
    out = start(rt, "raise")
    assert out.status == "failed" and time.monotonic() - began < 1.5 and len(out.error) < 600


def test_sum_adds_numbers_only():
    with pytest.raises(ExpressionRefused, match="numbers only"):
        ENV.evaluate("sum([[1], [2]], [])", {})


def _bomb_process(process_id: str, script: str) -> bytes:
    return bpmn(process_id, '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="x"/>'
                            f'<bpmn:scriptTask id="x" name="计算"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>'
                            '<bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="e"/><bpmn:endEvent id="e"/>')


def test_a_bomb_in_a_case_fails_that_case_within_a_second_and_others_go_on(rt, users):
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"bomb.bpmn": _bomb_process("bomb", "total = sum(range(size))"),
                                               "calm.bpmn": _bomb_process("calm", "total = 1 + 1")})
    result: dict = {}

    def calm() -> None:
        time.sleep(0.05)
        began = time.monotonic()
        result["calm"] = start(rt, "calm")
        result["calm_seconds"] = time.monotonic() - began

    other = threading.Thread(target=calm)
    other.start()
    began = time.monotonic()
    out = start(rt, "bomb", {"size": 10**12})
    seconds = time.monotonic() - began
    other.join(10)
    assert out.status == "failed" and seconds < 1.5
    assert out.error.startswith("x: ") and "1,000,000,000,000 items" in out.error
    assert result["calm"].status == "completed" and result["calm_seconds"] < 3
    with rt.db.read() as session:
        assert session.get(Case, out.case_id).status == "failed"


def test_a_script_that_loops_too_long_fails_the_case_not_the_server(rt, users):
    script = "r = 0\nfor i in range(1000000):\n    r += workdays_between('2020-01-01', '2029-12-31')"
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"slow.bpmn": _bomb_process("slow", script)})
    began = time.monotonic()
    out = start(rt, "slow")
    assert out.status == "failed" and time.monotonic() - began < 1.5
    assert "time limit" in out.error or "steps" in out.error


def test_deploy_refuses_a_constant_bomb_naming_the_element(rt, users):
    with pytest.raises(DeployError) as info:
        with rt.db.write() as session:
            repository.deploy(session, rt, SYSTEM, {"bomb.bpmn": _bomb_process("bomb", "x = 'a' * 10**9")})
    problem = info.value.problems[0]
    assert problem.element == "x" and "limit" in problem.message


def test_a_message_payload_expression_is_checked_at_deploy(rt, users):
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="throw"/>'
            '<bpmn:intermediateThrowEvent id="throw"><bpmn:messageEventDefinition messageRef="m" '
            'camunda:expression="\'{0.__class__}\'.format(1)"/></bpmn:intermediateThrowEvent>'
            '<bpmn:sequenceFlow id="f2" sourceRef="throw" targetRef="e"/><bpmn:endEvent id="e"/>')
    document = bpmn("payload", body).replace(b"<bpmn:process", b'<bpmn:message id="m" name="notice"/><bpmn:process')
    with pytest.raises(DeployError) as info:
        with rt.db.write() as session:
            repository.deploy(session, rt, SYSTEM, {"payload.bpmn": document})
    assert any(p.element == "throw" and "message payload" in p.message for p in info.value.problems)


def test_a_slow_service_handler_does_not_use_up_the_steps_expression_time(rt):
    """A registry that takes longer than the whole operation's expression budget (a slow network, a busy
    database) is not the process's expressions running long: the condition after it still evaluates."""
    from engine import budget
    rt.register("slow.registry", lambda call: time.sleep(budget.OPERATION_SECONDS + 0.2) or {"found": True})
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="ask"/>'
            '<bpmn:serviceTask id="ask" name="查询" camunda:type="external" camunda:topic="slow.registry"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="g"/><bpmn:exclusiveGateway id="g" default="no"/>'
            '<bpmn:sequenceFlow id="yes" sourceRef="g" targetRef="t"><bpmn:conditionExpression>found and '
            'sum(range(20000)) &gt; 0</bpmn:conditionExpression></bpmn:sequenceFlow>'
            '<bpmn:sequenceFlow id="no" sourceRef="g" targetRef="e"/><bpmn:userTask id="t" name="办"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"slow.bpmn": bpmn("slow", body, {"EDU": ["s", "ask", "g", "t", "e"]})})
    out = start(rt, "slow")
    assert out.status == "running" and out.error is None and [r["element_id"] for r in out.opened] == ["t"]
