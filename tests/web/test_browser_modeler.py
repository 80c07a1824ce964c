"""The browser modeler in Chromium: a designer draws a small process, the validator marks a problem on the diagram
(a user task outside any lane), the designer puts it in a lane of a department from the directory, saves a draft
and deploys with a note (screenshots in test-artifacts/)."""
from __future__ import annotations

import time

from sqlalchemy import select

from conftest import ARTIFACTS, ui_login
from engine.models import ProcessDefinition
from engine.models_office import DesignerDraft

DRAW = """() => {
  const m = window.jrModeler;
  const factory = m.get('elementFactory'), modeling = m.get('modeling'), registry = m.get('elementRegistry');
  const root = m.get('canvas').getRootElement();
  const start = registry.get('start');
  const task = modeling.createShape(factory.createShape({ type: 'bpmn:UserTask' }), { x: 330, y: 178 }, root);
  modeling.updateLabel(task, '材料核验');
  modeling.updateProperties(task, { id: 'check_materials' });
  const end = modeling.createShape(factory.createShape({ type: 'bpmn:EndEvent' }), { x: 500, y: 178 }, root);
  modeling.connect(start, task); modeling.connect(task, end);
  return task.id;
}"""

LANE = """() => {
  const m = window.jrModeler;
  const factory = m.get('elementFactory'), modeling = m.get('modeling'), registry = m.get('elementRegistry');
  const root = m.get('canvas').getRootElement();
  const pool = modeling.createShape(factory.createParticipantShape(), { x: 350, y: 180 }, root);
  modeling.splitLane(pool, 2);
  const lanes = registry.filter((e) => e.type === 'bpmn:Lane');
  modeling.removeShape(lanes[1]);
  const lane = registry.filter((e) => e.type === 'bpmn:Lane')[0] || pool;
  m.get('selection').select(lane);
  return lane.type;
}"""


def _until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the page did not get there in time"
        time.sleep(0.05)


def test_a_designer_draws_fixes_and_deploys_in_the_browser(world, server, page):
    ui_login(page, server, "designer")
    page.goto(f"{server}/designer")
    page.click("#open-modeler")
    page.wait_for_selector("#canvas[data-ready='bpmn']", timeout=20000)
    page.wait_for_selector(".bio-properties-panel", timeout=10000)  # the properties panel (Camunda moddle)
    page.fill("#file-name", "material_check.bpmn")
    before = page.get_attribute("body", "data-checked")
    page.evaluate(DRAW)
    _until(lambda: page.get_attribute("body", "data-checked") != before)  # (the app's CSP forbids eval)
    page.wait_for_selector("#problems li[data-element='check_materials']", timeout=10000)
    assert page.locator(".djs-element.jr-problem[data-element-id='check_materials']").count() == 1
    assert page.inner_text("#problems li[data-element='check_materials']").startswith("check_materials：")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "modeler-problem.png"), full_page=True)
    # the fix: a pool with one lane, named after a department from the directory
    assert page.evaluate(LANE) == "bpmn:Lane"
    page.wait_for_selector("#lane-tools:not([hidden])")
    page.select_option("#lane-department", "教育局")
    page.wait_for_selector("#problem-count:has-text('未发现问题')", timeout=10000)
    assert page.locator("#problems li").count() == 0
    page.click("#save-draft")
    page.wait_for_selector("#deploy-result:has-text('草稿已保存')")
    with world.rt.db.read() as session:
        assert session.execute(select(DesignerDraft.name).where(DesignerDraft.username == "designer")).scalars().all() == [
            "material_check.bpmn"]
    page.click("#deploy-files")  # no note: refused
    page.wait_for_selector("#deploy-result:has-text('部署说明')")
    page.fill("#deploy-note", "新增材料核验流程")
    page.click("#deploy-files")
    page.wait_for_selector("#deploy-result.success, #deploy-result.error", timeout=10000)
    assert "已部署：" in page.inner_text("#deploy-result"), page.inner_text("#deploy-result") + page.inner_text("#problems")
    assert page.inner_text("#deploy-result").endswith("第1版") and " v1" not in page.inner_text("#deploy-result")
    page.screenshot(path=str(ARTIFACTS / "modeler-deployed.png"), full_page=True)
    page.click("#deploy-files")  # the same files again: no new version, and the page says so
    page.wait_for_selector("#deploy-result.warning", timeout=10000)
    assert page.inner_text("#deploy-result") == "未部署新版本：文件与现行版本相同。"
    with world.rt.db.read() as session:
        assert session.execute(select(ProcessDefinition.process_key).where(
            ProcessDefinition.process_key == "new_process")).scalar_one() == "new_process"
        assert session.execute(select(DesignerDraft)).first() is None  # deployed drafts go


SELECT_NEW = """(type) => {
  const m = window.jrModeler;
  const root = m.get('canvas').getRootElement();
  const shape = m.get('modeling').createShape(m.get('elementFactory').createShape({ type }), { x: 420, y: 178 }, root);
  m.get('selection').select(shape);
}"""
SELECT_PROCESS = "() => { const m = window.jrModeler; m.get('selection').select(m.get('canvas').getRootElement()); }"
GROUP_TITLES = "() => Array.from(document.querySelectorAll('.bio-properties-panel-group-header-title'), (e) => e.textContent)"
IGNORED_GROUPS = ("TaskListener", "ExecutionListener", "AsynchronousContinuations", "JobExecution", "Input", "Output",
                  "ExternalTask", "Errors", "HistoryCleanup", "Tasklist", "CandidateStarter", "StartInitiator")


def _open_modeler(page, server) -> None:
    page.goto(f"{server}/designer/modeler")
    page.wait_for_selector("#canvas[data-ready='bpmn']", timeout=20000)
    page.wait_for_selector(".bio-properties-panel", timeout=10000)


def _select(page, script: str, arg=None) -> list[str]:
    """Select an element; the properties panel's group titles once it shows them."""
    before = page.inner_text(".bio-properties-panel-header")
    page.evaluate(script, arg)
    _until(lambda: page.inner_text(".bio-properties-panel-header") != before)
    return page.evaluate(GROUP_TITLES)


def _ignored_groups_shown(page) -> list[str]:
    return [g for g in IGNORED_GROUPS if page.locator(f"[data-group-id='group-CamundaPlatform__{g}']").count()]


def test_the_modeler_speaks_chinese_and_shows_only_what_the_engine_reads(world, server, page):
    ui_login(page, server, "designer")
    _open_modeler(page, server)
    assert page.locator(".djs-palette .entry[title='创建任务']").count() == 1
    assert page.locator(".djs-palette .entry[title='创建网关']").count() == 1
    assert page.locator(".djs-palette .entry[title='Create task']").count() == 0
    assert _select(page, SELECT_NEW, "bpmn:UserTask") == ["常规", "说明", "任务分派", "表单", "扩展属性"]
    assert page.inner_text(".bio-properties-panel-header-type") == "用户任务"
    assert page.locator(".djs-context-pad .entry[title='追加任务']").count() == 1
    assert page.locator(".djs-context-pad .entry[title='更改类型']").count() == 1
    page.click("[data-group-id='group-CamundaPlatform__UserAssignment'] .bio-properties-panel-group-header")
    assignment = page.inner_text("[data-group-id='group-CamundaPlatform__UserAssignment']")
    assert "候选组（角色）" in assignment and "截止日期" in assignment and "优先级" in assignment
    assert page.locator("[data-entry-id='assignee'], [data-entry-id='candidateUsers']").count() == 0  # never read
    page.dispatch_event("[data-group-id='group-CamundaPlatform__ExtensionProperties'] .bio-properties-panel-add-entry",
                        "click")
    page.wait_for_selector("[data-group-id='group-CamundaPlatform__ExtensionProperties'] .bio-properties-panel-list-item")
    properties = page.inner_text("[data-group-id='group-CamundaPlatform__ExtensionProperties']")
    assert "名称" in properties and "值" in properties and "<空>" in properties
    assert _ignored_groups_shown(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "modeler-zh.png"), full_page=True)
    assert _select(page, SELECT_NEW, "bpmn:ServiceTask") == ["常规", "说明", "实现方式", "扩展属性"]
    assert _ignored_groups_shown(page) == []
    choices = page.evaluate("""() => Array.from(document.querySelectorAll("[data-entry-id='implementationType'] option"))
      .filter((o) => getComputedStyle(o).display !== 'none').map((o) => o.textContent)""")
    assert choices == ["<无>", "外部任务"]  # no Java class, expression, delegate expression or connector
    _select(page, SELECT_NEW, "bpmn:BusinessRuleTask")
    page.click("[data-group-id='group-CamundaPlatform__Implementation'] .bio-properties-panel-group-header")
    page.select_option("[data-entry-id='implementationType'] select", "dmn")
    page.wait_for_selector("[data-entry-id='decisionRef']")
    assert "决策引用" in page.inner_text("[data-group-id='group-CamundaPlatform__Implementation']")
    assert page.locator("[data-entry-id='decisionRefBinding'], [data-entry-id='decisionRefResultVariable']").count() == 0
    assert _select(page, SELECT_NEW, "bpmn:ScriptTask") == ["常规", "说明", "脚本", "扩展属性"]
    assert _select(page, SELECT_PROCESS) == ["常规", "说明", "扩展属性"]
    assert page.locator("[data-entry-id='versionTag']").count() == 0
    empty = page.locator("[data-group-id='group-CamundaPlatform__ExtensionProperties'] .bio-properties-panel-group-header.empty")
    assert empty.bounding_box()["height"] < 40  # not the app's padded empty-state box
    labels = page.evaluate("() => Array.from(document.querySelectorAll('.bio-properties-panel-label'), (e) => e.textContent)")
    assert labels and all(any("\u4e00" <= c <= "\u9fff" for c in label) for label in labels), labels
    page.screenshot(path=str(ARTIFACTS / "modeler-zh-process.png"), full_page=True)
    # texts the dictionary lacks (the panel asks for the labels of the groups it leaves out too) are nowhere shown
    missing = page.evaluate("() => Array.from(window.jrModeler.get('untranslated'))")
    shown = page.inner_text(".modeler-layout")
    titles = page.evaluate("() => Array.from(document.querySelectorAll('.modeler-layout [title]'), (e) => e.title)")
    assert [text for text in missing if text in shown or text in titles] == []


def test_the_modeler_stays_english_in_english(world, server, page):
    ui_login(page, server, "designer")
    page.click("button:has-text('English')")
    page.wait_for_selector("html[lang='en']")
    _open_modeler(page, server)
    assert page.locator(".djs-palette .entry[title='Create task']").count() == 1
    assert _select(page, SELECT_NEW, "bpmn:UserTask") == ["General", "Documentation", "User assignment", "Forms",
                                                          "Extension properties"]
    assert _select(page, SELECT_NEW, "bpmn:ServiceTask") == ["General", "Documentation", "Implementation",
                                                             "Extension properties"]
    assert _ignored_groups_shown(page) == []
