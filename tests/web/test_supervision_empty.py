"""The supervision list, while empty, tells the overseeing office where an item is opened (the case page)."""
from conftest import login


def test_the_empty_supervision_list_says_where_to_open_an_item(app, world):
    page = login(app.test_client(), "joint_reviewer").get("/supervision").data.decode()
    assert "暂无督办事项。" in page
    assert "可在该案件页面的“督办（超期案件）”中填写理由和期限，发起督办。" in page
