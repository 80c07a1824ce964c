"""The DMN editor of the browser modeler (dmn-js) in Chromium: in the Chinese UI its decision table, cell and column
menus, hit policies, DRD and boxed and literal expressions speak Chinese (web/modeler/zh-CN-dmn.js), also the texts
dmn-js writes without translating them (web/modeler/fixed-texts.js: drag handles, a list's remove buttons), and no text
the dictionary lacks is shown; in English it stays English (screenshots in test-artifacts/)."""
from __future__ import annotations

from conftest import ARTIFACTS, ui_login
from engine import decisions, repository
from factories import SYSTEM, bpmn, start

SHOWN_LABELS = """() => Array.from(document.querySelectorAll(
  '.modeler-layout [title], .modeler-layout [aria-label], .modeler-layout [placeholder]'),
  (e) => [e.title, e.getAttribute('aria-label'), e.placeholder || ''].join(' | '))"""
UNTRANSLATED = "() => Array.from(window.jrModeler.getActiveViewer().get('untranslated'))"
# texts dmn-js writes without its translate service (web/modeler/fixed-texts.js hands them to it)
FIXED = ("Move Input", "Move Output", "Remove item", "Decision table context menu")


def _open_rule_table(page, server) -> None:
    page.goto(f"{server}/designer/modeler")
    page.wait_for_selector("#canvas[data-ready='bpmn']", timeout=20000)
    page.click("#new-dmn")
    page.wait_for_selector("#canvas[data-ready='dmn'] .tjs-table", timeout=20000)


def _texts(page, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


def _hit_policies(page, screenshot: str = "") -> list[str]:
    page.click(".hit-policy .dms-input")
    page.wait_for_selector(".dms-select-options .option")
    policies = _texts(page, ".dms-select-options .option")
    if screenshot:
        page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
    page.keyboard.press("Escape")
    return policies


def _nothing_untranslated_shown(page, seen: list[str]) -> None:
    missing = page.evaluate(UNTRANSLATED)
    shown = "\n".join(seen + [page.inner_text(".modeler-layout")] + page.evaluate(SHOWN_LABELS))
    assert [text for text in missing if text in shown] == []
    assert [text for text in FIXED if text in shown] == []


def test_the_rule_table_editor_speaks_chinese(world, server, page):
    ui_login(page, server, "designer")
    _open_rule_table(page, server)
    seen: list[str] = []
    assert page.inner_text(".hit-policy .dms-label") == "命中策略："
    assert page.inner_text(".hit-policy .dms-input") == "首条命中"
    assert page.get_attribute(".hit-policy", "title") == "规则可以重叠，取第一条匹配的规则"
    assert _texts(page, "thead .clause") == ["当", "则"]
    assert page.inner_text("thead th.annotation") == "注释"
    assert _texts(page, "thead .input-variable, thead .output-variable") == ["文本（string）", "文本（string）"]
    assert page.inner_text(".view-drd-button") == "查看决策需求图"
    assert page.get_attribute("thead .add-input button", "title") == "添加输入"
    assert page.get_attribute("thead th.input-cell .dmn-icon-drag", "title") == "拖动以移动输入列"
    assert page.get_attribute("thead th.output-cell .dmn-icon-drag", "title") == "拖动以移动输出列"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "modeler-dmn-zh.png"), full_page=True)
    _nothing_untranslated_shown(page, seen)
    # the hit policies the engine runs, named as on the rest of the site
    policies = _hit_policies(page, screenshot="modeler-dmn-zh-hit-policy.png")
    assert policies == ["唯一命中", "首条命中", "汇总命中"]
    seen += policies
    # a column's editor
    page.dblclick("thead th.input-cell")
    page.wait_for_selector(".context-menu")
    editor = page.inner_text(".context-menu")
    assert "表达式" in editor and "预设取值" in editor and "添加预设取值" in editor
    seen.append(editor)
    _nothing_untranslated_shown(page, seen)
    page.keyboard.press("Escape")
    page.dblclick("thead th.output-cell")
    page.wait_for_selector(".context-menu")
    editor = page.inner_text(".context-menu")
    assert "输出变量名" in editor and "类型" in editor, editor
    seen.append(editor)
    _nothing_untranslated_shown(page, seen)
    page.keyboard.press("Escape")
    # a text cell's editing helper (it writes FEEL: the designing guide says so)
    page.click("tbody td.input-cell")
    page.click(".simple-mode-button[title='编辑']")
    page.wait_for_selector(".context-menu .simple-string-edit")
    helper = page.inner_text(".context-menu")
    assert "编辑文本" in helper and "匹配其一" in helper and "添加取值" in helper, helper
    seen.append(helper)
    page.fill(".context-menu .simple-string-edit input[type='text']", '"own", "rent"')
    page.keyboard.press("Enter")
    page.wait_for_selector(".context-menu .simple-string-edit input[type='checkbox']")
    assert page.get_attribute(".context-menu .dms-list-component .item [title]", "title") == "删除此项"
    page.screenshot(path=str(ARTIFACTS / "modeler-dmn-zh-cell.png"), full_page=True)
    _nothing_untranslated_shown(page, seen)
    page.keyboard.press("Escape")
    cell = page.evaluate("async () => { const { xml } = await window.jrModeler.saveXML(); "
                         "return new DOMParser().parseFromString(xml, 'text/xml').querySelector('inputEntry text').textContent; }")
    assert cell == '"own","rent"'  # FEEL's "one of" (the engine reads it: engine/unary_tests.py)
    # a rule's menu
    page.click("tbody td.input-cell", button="right")
    page.wait_for_selector(".context-menu .context-menu-entry-add-rule-above")
    menu = _texts(page, ".context-menu .context-menu-group-entry")
    assert "在上方添加规则" in menu and "删除规则" in menu and "添加单元格说明" in menu
    assert page.get_attribute(".context-menu [aria-label]", "aria-label") == "决策表右键菜单"
    seen += menu
    page.screenshot(path=str(ARTIFACTS / "modeler-dmn-zh-menu.png"), full_page=True)
    _nothing_untranslated_shown(page, seen)
    page.keyboard.press("Escape")
    # the decision requirements diagram
    page.click(".view-drd-button")
    page.wait_for_selector(".djs-palette .entry[data-action='create.decision']")
    assert page.get_attribute(".djs-palette .entry[data-action='create.decision']", "aria-label") == "创建决策"
    assert page.get_attribute(".drill-down-overlay .dmn-icon-decision-table", "title") == "打开决策表"
    page.click(".djs-element[data-element-id='new_rules']")
    page.wait_for_selector(".djs-context-pad .entry")
    pad = page.evaluate("() => Array.from(document.querySelectorAll('.djs-context-pad .entry'), (e) => e.title)")
    assert {"追加决策", "添加文本注释", "更改类型", "删除"} <= set(pad), pad
    page.click(".djs-context-pad .entry[title='更改类型']")
    page.wait_for_selector(".djs-popup .entry")
    choices = _texts(page, ".djs-popup .entry")
    assert "字面表达式" in choices, choices
    seen += choices
    page.screenshot(path=str(ARTIFACTS / "modeler-dmn-zh-drd.png"), full_page=True)
    _nothing_untranslated_shown(page, seen)


def test_a_deployed_rule_table_opens_in_chinese(world, server, page):
    ui_login(page, server, "designer")
    page.goto(f"{server}/designer/modeler")
    page.wait_for_selector("#canvas[data-ready='bpmn']", timeout=20000)
    option = page.locator("#open-file option[value$=':admission_points.dmn']").first.get_attribute("value")
    page.wait_for_selector("body[data-checked]")  # the new process's check is back
    checked = page.get_attribute("body", "data-checked")
    page.select_option("#open-file", option)
    page.wait_for_selector("#canvas[data-ready='dmn'] .tjs-table", timeout=20000)
    page.wait_for_function("(before) => document.body.dataset.checked !== before", arg=checked)
    assert page.inner_text(".hit-policy .dms-input") == "汇总命中"
    assert _texts(page, "thead .input-variable") == ["整数（integer）", "整数（integer）", "文本（string）", "布尔（boolean）"]
    assert _texts(page, "thead .clause") == ["当", "且", "且", "且", "则", "且"]
    # a table wider and longer than the box scrolls inside it, its last rule within reach, the page keeps its width
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    page.locator("tbody tr").last.scroll_into_view_if_needed()
    assert page.locator("tbody tr").last.is_visible()
    page.evaluate("() => { const box = document.getElementById('canvas'); box.scrollTop = box.scrollHeight; }")
    page.screenshot(path=str(ARTIFACTS / "modeler-dmn-zh-deployed.png"), full_page=True)
    _nothing_untranslated_shown(page, [])


def test_the_rule_table_editor_stays_english_in_english(world, server, page):
    ui_login(page, server, "designer")
    page.click("button:has-text('English')")
    page.wait_for_selector("html[lang='en']")
    _open_rule_table(page, server)
    assert page.inner_text(".hit-policy .dms-label") == "Hit policy:"
    assert page.inner_text(".hit-policy .dms-input") == "First"
    assert _texts(page, "thead .clause") == ["When", "Then"]
    assert _hit_policies(page) == ["Unique", "First", "Collect"]  # the ones the engine runs
    page.click(".hit-policy .dms-input")
    page.click(".dms-select-options .option:has-text('Collect')")
    assert 'hitPolicy="COLLECT"' in page.evaluate("async () => (await window.jrModeler.saveXML()).xml")
    page.evaluate("() => window.jrModeler.getActiveViewer().get('modeling').editHitPolicy('PRIORITY')")
    page.wait_for_selector(".hit-policy .dms-input:has-text('Priority')")
    assert _hit_policies(page) == ["Unique", "First", "Priority", "Collect"]  # a file's own stays shown
    assert page.inner_text(".view-drd-button") == "View DRD"
    assert page.evaluate("() => { try { window.jrModeler.getActiveViewer().get('untranslated'); return true; } "
                         "catch (e) { return false; } }") is False  # no dictionary in English


GRADE = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="n">
<decision id="grade" name="补贴档次"><decisionTable id="dt" hitPolicy="FIRST">
<input id="i1" label="住房类型"><inputExpression id="ie1" typeRef="string"><text>housing</text></inputExpression></input>
<output id="o" name="level" typeRef="string"/>
<rule id="r1"><inputEntry id="a1"><text>"own"</text></inputEntry><outputEntry id="o1"><text>"A"</text></outputEntry></rule>
<rule id="r2"><inputEntry id="a2"><text>-</text></inputEntry><outputEntry id="o2"><text>"B"</text></outputEntry></rule>
</decisionTable></decision></definitions>"""
GRADED = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="r"/>'
          '<bpmn:businessRuleTask id="r" name="分档" camunda:decisionRef="grade"/>'
          '<bpmn:sequenceFlow id="f2" sourceRef="r" targetRef="t"/><bpmn:userTask id="t" name="办"/>'
          '<bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')


def _level(world, housing: str) -> str:
    case = start(world.rt, "graded", {"housing": housing})
    with world.rt.db.read() as session:
        return decisions.of_case(session, case.case_id)[-1].details["outputs"][0]["value"]


def test_a_list_the_cell_helper_writes_is_deployed_and_decides(world, server, page):
    """The text cell's helper (匹配其一) turns `"own"` into `"own","rent"`; deployed from the page, the table decides
    by it (the engine once refused such a comma list at deploy)."""
    with world.rt.db.write() as session:
        repository.deploy(session, world.rt, SYSTEM, {"graded.bpmn": bpmn("graded", GRADED, {"EDU": ["s", "r", "t", "e"]}),
                                                      "grade.dmn": GRADE.encode()})
    assert _level(world, "rent") == "B"
    ui_login(page, server, "designer")
    page.goto(f"{server}/designer/modeler")
    page.wait_for_selector("#canvas[data-ready='bpmn']", timeout=20000)
    page.select_option("#open-file", page.locator("#open-file option[value$=':grade.dmn']").first.get_attribute("value"))
    page.wait_for_selector("#canvas[data-ready='dmn'] .tjs-table", timeout=20000)
    page.click("tbody tr:first-child td.input-cell")
    page.click(".simple-mode-button[title='编辑']")
    page.wait_for_selector(".context-menu .simple-string-edit input[type='checkbox']")
    page.fill(".context-menu .simple-string-edit input[type='text']", '"rent"')
    page.keyboard.press("Enter")
    page.wait_for_selector(".context-menu .simple-string-edit .dms-list-component .item:nth-child(2)")
    page.keyboard.press("Escape")
    assert page.inner_text("tbody tr:first-child td.input-cell") == '"own","rent"'
    page.fill("#deploy-note", "租房也属一档")
    page.click("#deploy-files")
    page.wait_for_selector("#deploy-result.success, #deploy-result.error", timeout=10000)
    assert "已部署：" in page.inner_text("#deploy-result"), page.inner_text("#deploy-result") + page.inner_text("#problems")
    assert _level(world, "rent") == "A" and _level(world, "own") == "A" and _level(world, "dorm") == "B"


BOXED = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/"
  xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/" id="boxed" name="boxed" namespace="n">
<businessKnowledgeModel id="points" name="积分"><variable id="v1" name="积分" typeRef="number"/>
  <encapsulatedLogic id="f1" kind="FEEL"><formalParameter id="p1" name="years" typeRef="number"/>
    <literalExpression id="l1"><text>years * 10</text></literalExpression></encapsulatedLogic></businessKnowledgeModel>
<businessKnowledgeModel id="table" name="分档"><variable id="v2" name="分档"/>
  <encapsulatedLogic id="f2" kind="FEEL"><context id="c2"/></encapsulatedLogic></businessKnowledgeModel>
<decision id="grade" name="档次"><variable id="v3" name="档次" typeRef="string"/>
  <literalExpression id="l3"><text>"A"</text></literalExpression></decision>
<dmndi:DMNDI><dmndi:DMNDiagram id="dd">
  <dmndi:DMNShape id="s1" dmnElementRef="points"><dc:Bounds height="46" width="135" x="150" y="80"/></dmndi:DMNShape>
  <dmndi:DMNShape id="s2" dmnElementRef="table"><dc:Bounds height="46" width="135" x="150" y="200"/></dmndi:DMNShape>
  <dmndi:DMNShape id="s3" dmnElementRef="grade"><dc:Bounds height="80" width="180" x="400" y="80"/></dmndi:DMNShape>
</dmndi:DMNDiagram></dmndi:DMNDI></definitions>"""
# what a boxed expression shows that is not a text of the editor: the expression and names typed into the file, a
# type's code as written (number), a function's kind (FEEL) and the bpmn.io logo
ENGLISH_SHOWN = r"""() => { const found = new Set(), box = document.querySelector('.modeler-layout');
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.offsetParent && /[A-Za-z]{2,}/.test(node.nodeValue)) found.add(node.nodeValue.trim()); }
  for (const e of box.querySelectorAll('[title], [aria-label], [placeholder]'))
    for (const name of ['title', 'aria-label', 'placeholder'])
      if (/[A-Za-z]{2,}/.test(e.getAttribute(name) || '')) found.add(e.getAttribute(name));
  return [...found]; }"""
DATA = {"years", "years: number", "number", "string", "FEEL", "dmn:Context", "Powered by bpmn.io"}


def _open_view(page, element: str) -> None:
    page.evaluate("async (id) => { const m = window.jrModeler; "
                  "await m.open(m.getViews().find((v) => v.element.id === id)); }", element)


def test_the_boxed_and_literal_expression_editors_speak_chinese(world, server, page):
    """A business knowledge model's function (the boxed expression view) and a decision's literal expression: their
    headings, labels, editors and the texts dmn-js writes without translating them (结果类型, a parameter without a
    name, an expression the editor cannot show) read in Chinese."""
    ui_login(page, server, "designer")
    _open_rule_table(page, server)
    page.evaluate("async (xml) => { await window.jrModeler.importXML(xml); }", BOXED)
    _open_view(page, "points")
    page.wait_for_selector(".function-definition")
    seen = [page.inner_text(".modeler-layout")]
    assert page.inner_text(".element-variable > h2") == "结果"
    assert page.inner_text(".element-variable-type > label") == "结果类型"
    assert page.inner_text(".element-variable-name-label") == "变量名"
    page.hover(".function-definition-kind")  # its edit button shows on hovering
    page.click(".function-definition-kind button")
    page.wait_for_selector(".context-menu h3")
    assert page.inner_text(".context-menu h3") == "编辑函数种类"
    page.keyboard.press("Escape")
    page.hover(".function-definition-parameters")
    page.click(".function-definition-parameters button")
    page.wait_for_selector(".context-menu .formal-parameters")
    assert _texts(page, ".formal-parameters th") == ["名称", "类型"]
    page.click(".formal-parameters .add-parameter")
    page.wait_for_selector(".function-definition-parameters span:has-text('未命名')")
    assert page.inner_text(".function-definition-parameters > div").startswith("(years: number, <未命名>")
    seen.append(page.inner_text(".modeler-layout"))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "modeler-dmn-zh-boxed.png"), full_page=True)
    assert set(page.evaluate(ENGLISH_SHOWN)) <= DATA, page.evaluate(ENGLISH_SHOWN)
    _nothing_untranslated_shown(page, seen)
    page.keyboard.press("Escape")
    _open_view(page, "table")  # a function whose body the editor cannot show says so
    page.wait_for_selector(".function-definition-body span")
    assert page.inner_text(".function-definition-body span") == "不支持 dmn:Context 类型的表达式。"
    assert set(page.evaluate(ENGLISH_SHOWN)) <= DATA, page.evaluate(ENGLISH_SHOWN)
    _open_view(page, "grade")  # a decision's literal expression
    page.wait_for_selector(".literal-expression-properties")
    assert _texts(page, ".variables-table td:first-child") == ["变量名：", "变量类型："]
    page.screenshot(path=str(ARTIFACTS / "modeler-dmn-zh-literal.png"), full_page=True)
    assert set(page.evaluate(ENGLISH_SHOWN)) <= DATA, page.evaluate(ENGLISH_SHOWN)
    _nothing_untranslated_shown(page, [page.inner_text(".modeler-layout")])
