"""Demo data: departments, users for every role, registries of realistic fake people (some of them
inconsistent on purpose) and about 200 cases in every state, each run "as of" a moment in the past
so deadlines, reminders and escalations are real. Re-running adds nothing twice.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable

from sqlalchemy import func, select

from engine import alerts, cases, directory, facts, repository, timers, wallclock
from engine.definitions import read_files
from engine.errors import EngineError
from engine.models import Case, Task, User
from engine.passwords import hash_password, verify_password
from engine.routing import Actor, add_user, load_actor, seed_departments, standard_departments
from engine.runtime import Runtime

from . import idcards, registries
from .walkthrough import BPMN

CITY = "杭州市"
DISTRICTS = [("330102", "上城区", ["解放路", "清泰街", "望江东路"]), ("330105", "拱墅区", ["湖墅南路", "莫干山路", "大关路"]),
             ("330106", "西湖区", ["文三路", "天目山路", "古墩路"]), ("330108", "滨江区", ["江南大道", "长河路", "滨盛路"]),
             ("330109", "萧山区", ["市心路", "金城路", "人民路"]), ("330110", "余杭区", ["文一西路", "五常大道", "良睦路"])]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢姜崔钟谭陆汪范金石廖贾夏方邹孟熊秦邱江"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平",
         "刚", "建华", "海燕", "志强", "晓东", "丽华", "国庆", "春梅", "文博", "嘉欣"]
CHILD = ["子涵", "欣怡", "宇轩", "梓萱", "一诺", "浩宇", "诗涵", "沐阳", "若汐", "俊熙", "语桐", "锦程", "思远", "雨桐"]
EMPLOYERS = ["杭州某科技有限公司", "西湖区某餐饮店", "滨江某电子厂", "萧山某物流公司", "拱墅某建筑公司", "个体经营"]
ROLES = ["reviewer", "reviewer2", "supervisor", "head"]
STREET_OFFICES = {"上城区": ("STREET-HB", "湖滨街道"), "拱墅区": ("STREET-HS", "湖墅街道"), "西湖区": ("STREET-WX", "文新街道"),
                  "滨江区": ("STREET-CH", "长河街道"), "萧山区": ("STREET-CX", "城厢街道"), "余杭区": ("STREET-WC", "五常街道")}
GLOBAL_USERS = [("designer", "流程设计员", ("designer",)), ("auditor", "审计员", ("auditor",)), ("admin", "系统管理员", ("admin",))]


@dataclass
class Person:
    name: str
    id_number: str
    child_name: str
    child_id: str
    district: str
    address: str
    flaw: str  # which registry disagrees on purpose ("" for none)


def make_people(rng: random.Random, count: int) -> list[Person]:
    """People living in one city; every fifth one or so has an inconsistency somewhere."""
    flaws = ["", "", "", "", "", "expired_permit", "no_insurance", "address_mismatch", "cancelled_filing",
             "unvaccinated", "name_mismatch", "", "no_housing", ""]
    people, seen = [], set()
    while len(people) < count:
        code, district, streets = rng.choice(DISTRICTS)
        born = date(rng.randint(1978, 1995), rng.randint(1, 12), rng.randint(1, 28))
        number = idcards.make(code, born, rng)
        if number in seen:
            continue
        seen.add(number)
        surname = rng.choice(SURNAMES)
        child_id = idcards.make(code, date(rng.randint(2018, 2020), rng.randint(1, 12), rng.randint(1, 28)), rng)
        address = f"{CITY}{district}{rng.choice(streets)}{rng.randint(1, 399)}号{rng.randint(1, 30)}幢{rng.randint(101, 2603)}室"
        people.append(Person(surname + rng.choice(GIVEN), number, surname + rng.choice(CHILD), child_id, district, address,
                             flaws[len(people) % len(flaws)]))
    return people


def registry_rows(person: Person, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """The records each department holds about a person (inconsistent where `flaw` says so)."""
    issued = date(2026 - rng.randint(1, 9), rng.randint(1, 12), 1)
    rows: dict[str, list] = {"PSB/residence_permits": [dict(
        id_number=person.id_number, name=person.name + ("华" if person.flaw == "name_mismatch" else ""),
        permit_no=f"{person.id_number[:6]}{issued.year}{rng.randint(10000, 99999)}", address=person.address,
        district=person.district, issued=issued.isoformat(),
        expires="2025-06-30" if person.flaw == "expired_permit" else f"{issued.year + 10}-12-31", status="valid")]}
    if person.flaw != "no_insurance":
        rows["HRSS/social_insurance"] = [dict(id_number=person.id_number, name=person.name,
                                              insured_months=rng.randint(6, 96), last_paid="2026-10-01",
                                              employer=rng.choice(EMPLOYERS), employed=rng.random() > 0.3)]
    if person.flaw != "no_housing":
        own = rng.random() < 0.25
        rows["HUD/rental_filings"] = [dict(
            id_number=person.id_number, name=person.name, filing_no=f"ZL{rng.randint(2019, 2026)}{rng.randint(10000, 99999)}",
            housing_type="own" if own else "rent",
            address=person.address.replace("号", "号附") if person.flaw == "address_mismatch" else person.address,
            district=person.district, start=f"{rng.randint(2019, 2025)}-0{rng.randint(1, 9)}-01", end=None,
            status="cancelled" if person.flaw == "cancelled_filing" else "active")]
    rows["HEALTH/vaccinations"] = [dict(child_id_number=person.child_id, child_name=person.child_name,
                                        complete=person.flaw != "unvaccinated",
                                        missing="麻腮风疫苗第二剂" if person.flaw == "unvaccinated" else None)]
    rows["EDU/students"] = [dict(child_id_number=person.child_id, child_name=person.child_name,
                                 school=f"{person.district}实验小学", grade="一年级", enrolled=True)]
    return rows


class NotYet(Exception):
    """A step planned after the moment the demo is built: its case stays where it is (a case still in progress)."""


class Demo:
    """Drives demo cases through their steps, each step at its own moment in the past, none after `until` (the
    moment the demo is built: nothing may have happened later)."""

    def __init__(self, rt: Runtime, rng: random.Random, until: datetime) -> None:
        self.rt, self.rng, self.until = rt, rng, until
        with rt.db.read() as session:
            names = session.execute(select(User.username)).scalars().all()
            self.actors = {n: load_actor(session, n) for n in names}

    def user(self, department: str, role: str = "reviewer") -> Actor:
        if "-" in department:  # a street office's step: its grid worker
            return self.actors[f"{department.lower().replace('-', '_')}_grid"]
        name = f"{department.lower()}_{role if role != 'reviewer' else self.rng.choice(['reviewer', 'reviewer2'])}"
        return self.actors[name]

    def at(self, moment: datetime, action: Callable[[Any], cases.Outcome]) -> cases.Outcome:
        if moment > self.until:
            raise NotYet(moment)
        with wallclock.travel(moment), self.rt.db.write() as session:
            return action(session)

    def start(self, moment: datetime, key: str, process: str, data: dict) -> cases.Outcome:
        return self.at(moment, lambda s: cases.start(s, self.rt, Actor.system("portal"), process, data, business_key=key))

    def step(self, moment: datetime, out: cases.Outcome, element: str, role: str = "reviewer", **values) -> cases.Outcome:
        row = next((r for r in out.opened if r["element_id"] == element), None)
        if row is None:
            raise EngineError(f"demo {out.business_key}: expected task {element}, got {[r['element_id'] for r in out.opened]}")
        actor = self.user(row["department_code"], role)
        return self.at(moment, lambda s: cases.complete(s, self.rt, actor, row["id"], values))

    def message(self, moment: datetime, out: cases.Outcome, name: str, **payload) -> cases.Outcome:
        return self.at(moment, lambda s: cases.send_message(s, self.rt, Actor.system("portal"), out.business_key, name, payload))


def _admission(d: Demo, p: Person, t: datetime, key: str, stage: int) -> None:
    """An admission case taken `stage` steps along its path (0: just submitted … 4: appeal decided)."""
    materials = ["residence_permit", "social_insurance", "housing", "vaccination", "household_register"]
    data = dict(applicant_name=p.name, applicant_id=p.id_number, phone=f"13{d.rng.randint(100000000, 999999999)}",
                child_name=p.child_name, child_id=p.child_id, address=p.address, district=p.district,
                materials=materials if stage != 0 else materials[:2])
    out = d.start(t, key, "admission_review", data)
    if stage == 0:
        return
    hour = timedelta(hours=3)
    for element in [r["element_id"] for r in out.opened if r["element_id"].startswith("review_")]:
        dept = element.removeprefix("review_")
        if stage == 1 and dept in ("hud", "hrss"):  # the reviewer asks another department and waits
            out = d.step(t + hour, out, element, **_review_values(dept, inquiry=True))
            d.step(t + 2 * hour, out, "draft_inquiry", inquiry_subject="核实申请人信息",
                   questions="请核实申请人在贵局登记的信息是否与申报一致。", reply_days=3)
            return
        out = d.step(t + hour, out, element, **_review_values(dept))
    if stage == 1 or not out.opened:
        return
    recommendation = "admit" if d.rng.random() < 0.7 else "waitlist"
    out = d.step(t + timedelta(days=1), out, "decide", decision=recommendation, school_assigned=f"{p.district}实验小学",
                 decision_reasons="" if recommendation == "admit" else "积分未达录取线")
    if "sign_off" in {r["element_id"] for r in out.opened}:
        if stage == 2:
            return
        out = d.step(t + timedelta(days=1, hours=4), out, "sign_off", role="supervisor", sign_off_decision="confirm",
                     sign_off_note="同意审定结果")
    if stage == 5:  # no appeal: the appeal window closes and the decision takes effect
        d.at(t + timedelta(days=16), lambda s: cases.fire_timers(s, d.rt, out.case_id))
        return
    if stage >= 3:
        out = d.message(t + timedelta(days=2), out, "appeal", reason="对积分计算有异议，社保月数少算")
        if stage == 4:  # the joint office asks HRSS and EDU; the three sign (会签) and it decides
            out = d.step(t + timedelta(days=3), out, "joint_review", consult_hrss=True, consult_edu=True,
                         joint_note="申请人对社保月数有异议，请人社局、教育局会签")
            opinions = {"HRSS": "经核查缴费记录，月数无误", "EDU": "积分按人社局核定月数计算，无误", "JOINT": "同意维持"}
            for row in list(out.opened):
                actor = d.user(row["department_code"], "reviewer")
                out = d.at(t + timedelta(days=4), lambda s, r=row, a=actor: cases.complete(
                    s, d.rt, a, r["id"], {"dept_upheld": False, "dept_opinion": opinions[r["department_code"]]}))
            d.step(t + timedelta(days=5), out, "joint_decision", appeal_upheld=False,
                   joint_opinion="经人社局、教育局会签，社保月数无误，维持原审定")


def _review_values(dept: str, inquiry: bool = False) -> dict[str, Any]:
    base = {"psb": dict(psb_ok=True, residence_years=3, psb_finding="已核实，居住证有效"),
            "hrss": dict(hrss_ok=True, insured_months=24, employed=True, hrss_finding="补充提供缴费明细，核实无误"),
            "hud": dict(hud_ok=True, housing_type="rent_filed", hud_finding="现场核实租赁属实"),
            "health": dict(health_ok=True, health_finding="已补种，接种完整")}[dept]
    if inquiry:
        target = "PSB" if dept != "psb" else "HUD"
        base |= {f"{dept}_ok": False, f"{dept}_need_inquiry": True, f"{dept}_inquiry_target": target,
                 f"{dept}_finding": "信息不一致，需函询核实"}
    return base


def _subsidy(d: Demo, p: Person, t: datetime, key: str, stage: int, kind: str, account: str) -> None:
    """A subsidy case taken `stage` steps along (0 street check … 5 paid)."""
    data = dict(subsidy_type=kind, applicant_name=p.name, applicant_id=p.id_number,
                phone=f"139{d.rng.randint(10000000, 99999999)}", bank_account=account, child_id=p.child_id,
                address=p.address, district=p.district, household_type="normal", income_per_capita=2200,
                monthly_rent=1500 if kind == "housing" else 0)
    out = d.start(t, key, "subsidy_approval", data)
    if stage == 0:
        return
    form = dict(subsidy_type=kind, household_type=d.rng.choice(["normal", "normal", "low_income"]),
                income_per_capita=d.rng.choice([1500, 2200, 2800]), unemployed_months=d.rng.randint(3, 12),
                monthly_rent=d.rng.choice([1200, 1500, 2000]), first_check_ok=True, street_note="材料齐全，信息属实")
    out = d.step(t + timedelta(hours=2), out, "street_check", **form)
    if "manual_verify" in {r["element_id"] for r in out.opened}:
        if stage == 1:
            return
        out = d.step(t + timedelta(days=1), out, "manual_verify", verify_ok=True, verify_finding="补充材料后核实属实")
    if "onsite_check" in {r["element_id"] for r in out.opened}:
        if stage <= 2:
            return
        out = d.step(t + timedelta(days=2), out, "onsite_check", onsite_ok=True, onsite_note="网格员上门核实，情况属实")
    approval = next((r["element_id"] for r in out.opened if r["element_id"].startswith("approve_")), None)
    if approval is None or stage <= 2:
        return
    role = "supervisor" if approval == "approve_chief" else "head"
    out = d.step(t + timedelta(days=3), out, approval, role=role, approved=True, approval_note="同意")
    if stage >= 5:
        until = datetime.fromisoformat(_data_of(d, out.case_id)["notice_until"])
        out = d.at(until + timedelta(minutes=1), lambda s: cases.fire_timers(s, d.rt, out.case_id))
        if stage == 6:
            d.step(until + timedelta(days=1), out, "disburse", payment_status="paid",
                   payment_reference=f"PAY{key.replace('-', '')}",
                   paid_on=(until + timedelta(days=1)).date().isoformat(), paid_amount=_data_of(d, out.case_id)["amount"])


def _inquiry(d: Demo, t: datetime, key: str, stage: int) -> None:
    requester, target = d.rng.choice([("EDU", "HRSS"), ("HRSS", "PSB"), ("HUD", "PSB"), ("EDU", "HUD")])
    out = d.start(t, key, "formal_inquiry", {"requester_department": requester, "target_department": target})
    out = d.step(t + timedelta(hours=1), out, "draft_inquiry", inquiry_subject="关于申请人信息的核实",
                 questions="请核实申请人近三年在贵单位的登记信息。", reply_days=3)
    if stage >= 1:
        out = d.step(t + timedelta(days=1), out, "draft_answer", answer="经核查，登记信息与申报一致。", evidence="系统截图")
        out = d.step(t + timedelta(days=1, hours=3), out, "sign_answer", role="supervisor", sign_decision="approve")
        d.step(t + timedelta(days=2), out, "review_answer", review_decision="accept")


def _data_of(d: Demo, case_id: int) -> dict:
    with d.rt.db.read() as session:
        wf = cases.load(session, d.rt, session.get(Case, case_id))
    return dict(wf.last_task.data if wf.last_task is not None else wf.task_tree.data)


def _title(code: str, role: str) -> str:
    if role.startswith("reviewer"):
        return "审核员" + ("二" if role == "reviewer2" else "")
    if role == "supervisor":
        return "科长"
    return next((d.head_title_zh for d in standard_departments() if d.code == code), "局长")


def ensure_users(rt: Runtime, rng: random.Random) -> list[tuple[str, str, str]]:
    """Users for every department role and the global roles; (username, display name, password or note)."""
    out = []
    with rt.db.write() as session:
        existing = {u.username: u for u in session.execute(select(User)).scalars()}
        specs = [(f"{code.lower()}_{role}", f"{zh}{_title(code, role)}", {code: role.rstrip('2')}, ())
                 for code, zh, *_ in standard_departments() for role in ROLES]
        specs += [(name, title, {}, roles) for name, title, roles in GLOBAL_USERS]
        for _, district, streets in DISTRICTS:  # a street office per district, its area, and a grid worker (网格员)
            code, name = STREET_OFFICES[district]
            directory.add_unit(session, Actor.system("demo"), code, name, "", "STREET", district, streets)
            specs.append((f"{code.lower().replace('-', '_')}_grid", f"{name}网格员", {code: "reviewer"}, ()))
        for username, title, memberships, roles in specs:
            password = "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(10))
            user = existing.get(username)
            if user is None:
                add_user(session, username, title, hash_password(password), memberships, roles)
            elif not verify_password(user.password_hash, password):
                password = "(changed since the demo was created)"
            out.append((username, title, password))
    return out


DEMO_ALERT_RULES = [alerts.RuleSpec("admission_review", "age", 15), alerts.RuleSpec("admission_review", "sla", 80),
                    alerts.RuleSpec("subsidy_approval", "sla", 80), alerts.RuleSpec("subsidy_approval", "idle", 5),
                    alerts.RuleSpec("formal_inquiry", "idle", 3)]


def build_demo(rt: Runtime, seed: int = 2026, cases_wanted: int = 200, history: int = 300) -> int:
    """Create or complete the demo data set; prints users, passwords and what was made."""
    rng = random.Random(seed)
    rt.db.migrate()
    with rt.db.write() as session:
        seed_departments(session)
    rt.forget_departments()
    accounts = ensure_users(rt, rng)
    with rt.db.write() as session:
        repository.deploy(session, rt, Actor.system("demo"), read_files([BPMN]), note="demo data")
    people = make_people(rng, max(60, cases_wanted + history + 20))
    with rt.db.write() as session:
        batches: dict[str, list] = {}
        for person in people:
            for key, rows in registry_rows(person, rng).items():
                batches.setdefault(key, []).extend(rows)
        for key, rows in batches.items():
            department, name = key.split("/")
            registries.save_records(session, registries.dataset(department, name), rows, "demo")
    made = _make_cases(rt, rng, people, cases_wanted)
    made += _make_history(rt, rng, people[cases_wanted:], history)
    fired = timers.sweep(rt, Actor.system("demo"), limit=10000)
    with rt.db.write() as session:  # the figures and alerts of the data as it now stands
        present = {(r.process_key, r.kind) for r in alerts.rules(session)}  # admission's age rule comes with its BPMN
        for spec in DEMO_ALERT_RULES:
            if (spec.process_key, spec.kind) not in present:
                alerts.add_rule(session, rt, Actor.system("demo"), spec)
        facts.rebuild_all(session, rt)
        alerts.sweep(session)
    _report(rt, accounts, made, fired.fired)
    return 0


# Days a case needs to reach its stage (a subsidy's public notice lasts five working days after its approval):
# a current case is started that much longer ago, so that its steps lie in the past
DAYS_TO_STAGE = {("ADM", 2): 2, ("ADM", 3): 3, ("ADM", 4): 6, ("SUB", 1): 1, ("SUB", 2): 2, ("SUB", 3): 3,
                 ("SUB", 5): 12, ("SUB", 6): 13, ("INQ", 1): 2}


def _make_cases(rt: Runtime, rng: random.Random, people: list[Person], wanted: int) -> int:
    now = wallclock.now()
    demo = Demo(rt, rng, now)
    year = now.year
    shared_account = "6222021202009998877"
    made = 0
    plan = ([("ADM", s) for s in (0, 1, 1, 2, 2, 2, 3, 4, 4, 4)] + [("SUB", s) for s in (0, 1, 2, 3, 5, 6, 6)]
            + [("INQ", s) for s in (0, 1)])
    with rt.db.read() as session:
        existing = set(session.execute(select(Case.business_key)).scalars())
    for index in range(wanted):
        kind, stage = plan[index % len(plan)]
        key = f"{kind}-{year}-9{index + 1:05d}"
        if key in existing:
            continue
        person = people[index]
        age = timedelta(days=DAYS_TO_STAGE.get((kind, stage), 0) + rng.randint(1, 18), hours=rng.randint(0, 8))
        begun = now - age
        account = shared_account if index % 29 == 3 else None
        made += _make_one(demo, kind, stage, person, begun, key, account)
    return made


def _make_one(demo: Demo, kind: str, stage: int, person: Person, begun: datetime, key: str,
              account: str | None = None) -> int:
    """One demo case of `kind` taken to `stage`; 1 when it was made."""
    try:
        if kind == "ADM":
            _admission(demo, person, begun, key, stage)
        elif kind == "SUB":
            account = account or f"62220{demo.rng.randint(10**13, 10**14 - 1)}"
            _subsidy(demo, person, begun, key, stage, demo.rng.choice(["employment", "housing", "education"]), account)
        else:
            _inquiry(demo, begun, key, stage)
        return 1
    except NotYet:  # its next step would lie after now: it is still in progress
        return 1
    except EngineError as exc:
        print(f"  demo case {key} stopped early: {exc.message}")
        return 0


def _make_history(rt: Runtime, rng: random.Random, people: list[Person], wanted: int) -> int:
    """Finished cases spread over the last fifteen months, so that trends and comparisons mean something."""
    now = wallclock.now()
    demo = Demo(rt, rng, now)
    plan = [("ADM", 5), ("ADM", 5), ("ADM", 4), ("SUB", 6), ("SUB", 6), ("INQ", 1)]
    with rt.db.read() as session:
        existing = set(session.execute(select(Case.business_key)).scalars())
    made = 0
    for index in range(wanted):
        kind, stage = plan[index % len(plan)]
        # hours from the index, not the generator: a second run draws differently (it skips what exists), and near
        # New Year a different hour would give a different year in the key, hence a case made twice
        begun = now - timedelta(days=30 + (450 * index) // max(wanted, 1), hours=(index * 5) % 9)
        key = f"{kind}-{begun.year}-8{index + 1:05d}"
        if key in existing:
            continue
        made += _make_one(demo, kind, stage, people[index % len(people)], begun, key)
    return made


def _report(rt: Runtime, accounts: list, made: int, fired: int) -> None:
    with rt.db.read() as session:
        statuses = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
        queues = session.execute(select(Task.department_code, func.count()).where(Task.state == "open")
                                 .group_by(Task.department_code).order_by(Task.department_code)).all()
        overdue = session.execute(select(func.count()).select_from(Task).where(
            Task.state == "open", Task.due_at < wallclock.now())).scalar()
        escalated = session.execute(select(func.count()).select_from(Task).where(
            Task.state == "open", Task.escalated_at.is_not(None))).scalar()
    print("Demo users (username / name / password):")
    for username, title, password in accounts:
        print(f"  {username:<18} {title:<12} {password}")
    print(f"Demo cases: {made} new; by status: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    print("Open tasks by department: " + ", ".join(f"{d} {n}" for d, n in queues))
    print(f"Overdue open tasks: {overdue}; escalated: {escalated}; timers fired just now: {fired}")
