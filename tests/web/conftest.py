"""Web fixtures: the app on a real database with the real processes, users with passwords, and a
real HTTP server for the browser tests (Debian's Chromium driven by Playwright)."""
from __future__ import annotations

import fcntl
import os
import pickle
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import MetaData, text, update
from werkzeug.serving import make_server

from engine import tokens
from engine.models import User
from engine.passwords import hash_password
from engine.routing import Actor, add_user
from world import World

from web import create_app

PASSWORD = "Test-Passw0rd"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def world(db_url):
    w = World(db_url)
    with w.rt.db.write() as session:
        session.execute(update(User).values(password_hash=hash_password(PASSWORD)))
        add_user(session, "auditor", "审计员", hash_password(PASSWORD), roles=("auditor",))
        add_user(session, "admin", "管理员", hash_password(PASSWORD), roles=("admin",))
        add_user(session, "designer", "流程设计员", hash_password(PASSWORD), roles=("designer",))
    return w


@pytest.fixture
def app(world, tmp_path):
    return create_app({"DATABASE_URL": world.rt.db.url, "TESTING": True, "WTF_CSRF_ENABLED": False,
                       "SECRET_KEY": "test"})


_DEMOS: dict[str, dict[str, list[dict]]] = {}


@pytest.fixture
def demo(world, tmp_path_factory):
    """The demo data set (small) with every password set to PASSWORD and the figures' facts built.

    It is built once per database kind and run, then restored row by row into each test's clean database
    (building it takes the engine through 76 cases; restoring it takes a fraction of a second). In a parallel
    run the first worker that needs it builds it and the others read its snapshot from a shared file."""
    kind = world.rt.db.engine.dialect.name
    if kind not in _DEMOS:
        _DEMOS[kind], built_here = _shared_snapshot(tmp_path_factory, f"demo-{kind}", lambda: _build_demo(world))
        if built_here:
            return world
    _restore(world.rt.db.engine, _DEMOS[kind])
    return world


def _build_demo(world) -> dict[str, list[dict]]:
    from engine import facts
    from workflows.demo import build_demo

    build_demo(world.rt, cases_wanted=40, history=36)
    with world.rt.db.write() as session:
        session.execute(update(User).values(password_hash=hash_password(PASSWORD)))
        facts.rebuild_all(session, world.rt)
    return _snapshot(world.rt.db.engine)


def _shared_snapshot(tmp_path_factory, name: str, build) -> tuple[dict[str, list[dict]], bool]:
    """`build()`'s rows, built once per run: under pytest-xdist the workers share them through a file in the
    run's temporary folder (the first one builds under a lock, the others wait and read). Returns (rows, built here)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return build(), True
    folder = tmp_path_factory.getbasetemp().parent  # the run's folder, above each worker's own
    path = folder / f"{name}.pickle"
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return pickle.loads(path.read_bytes()), False
        rows = build()
        partial = folder / f"{name}.pickle.partial"
        partial.write_bytes(pickle.dumps(rows))
        partial.replace(path)
        return rows, True


def _tables(engine) -> list:
    meta = MetaData()
    meta.reflect(engine)
    return [table for table in meta.sorted_tables if table.name != "alembic_version"]


def _snapshot(engine) -> dict[str, list[dict]]:
    with engine.connect() as conn:
        return {table.name: [dict(row._mapping) for row in conn.execute(table.select())] for table in _tables(engine)}


def _restore(engine, rows: dict[str, list[dict]]) -> None:
    """Replace every table's rows by the snapshot's (parents first) and move the id sequences past them."""
    tables = _tables(engine)
    with engine.begin() as conn:
        for table in reversed(tables):
            conn.execute(table.delete())
        for table in tables:
            if rows.get(table.name):
                conn.execute(table.insert(), rows[table.name])
        if engine.dialect.name == "postgresql":
            for table in tables:
                for column in table.primary_key.columns:
                    sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                            {"t": table.name, "c": column.name}).scalar()
                    if sequence:
                        conn.execute(text(f'SELECT setval(:s, COALESCE((SELECT max("{column.name}") FROM "{table.name}"), 0) + 1, false)'),
                                     {"s": sequence})


def ui_login(page, server, username):
    """Log in through the login page of the served app."""
    page.goto(f"{server}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(lambda url: "/login" not in url)


def login(client, username: str):
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.data[:500]
    return client


@pytest.fixture
def server(world):
    """The app served over real HTTP on a free local port, with CSRF on."""
    app = create_app({"DATABASE_URL": world.rt.db.url, "SECRET_KEY": "browser-test"})
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()


@pytest.fixture(scope="session")
def browser():
    """One Chromium per test process; each test gets fresh browser contexts of its own (new_page), which share no
    cookies, storage or cache with another test's."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (.ci/run installs Debian's chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture
def new_page(browser, request):
    """Make browser pages (one per user); on failure every page's screenshot is saved in test-artifacts/."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
        contexts.append(context)
        return context.new_page()

    yield make
    failed = getattr(request.node, "rep_call", None)
    for number, context in enumerate(contexts):
        if failed is not None and failed.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for pg in context.pages:
                pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{number}.png"), full_page=True)
        context.close()


@pytest.fixture
def page(new_page):
    """One browser page (screenshot on failure)."""
    return new_page()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def issue(world):
    """Issue a token (system token unless `user` is given) and return its bearer header."""
    def make(name: str, role: str, department: str | None = None, user: str | None = None) -> dict[str, str]:
        with world.rt.db.write() as session:
            issued = tokens.issue(session, Actor.system("test"), name, role, department, user)
        return {"Authorization": f"Bearer {issued.secret}"}
    return make


@pytest.fixture
def client(app):
    return app.test_client()
