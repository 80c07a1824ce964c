"""The window's rating form (好差评) in a real browser: each of the five grades is a radio button beside its
number and its word (5 非常满意 … 1 非常不满意, the grades of the national 政务服务好差评 scheme)."""
from sqlalchemy import select

from conftest import ui_login
from engine.models import Case


def test_each_grade_is_a_button_beside_its_number_and_word(demo, server, page):
    with demo.rt.db.read() as session:
        key = session.execute(select(Case.business_key).where(Case.process_key == "subsidy_approval",
                                                              Case.status == "completed")
                              .order_by(Case.id.desc())).scalars().first()
    ui_login(page, server, "street_reviewer")
    page.goto(f"{server}/cases/{key}")
    radios = page.locator("#rate input[name=score]")
    assert radios.count() == 5
    words = []
    for i in range(5):
        radio, label = radios.nth(i), radios.nth(i).locator("xpath=..")
        box, text = radio.bounding_box(), label.bounding_box()
        assert box["width"] < 40 and text["width"] < 200, "the button stays beside its grade"
        words.append(label.inner_text().strip())
    assert words == ["5 非常满意", "4 满意", "3 基本满意", "2 不满意", "1 非常不满意"]
