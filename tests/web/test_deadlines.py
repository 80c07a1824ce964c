"""The SLA badge in whole working days: a step that just arrived with 3 working days has 3 left (today's begun
day counts), the last working day says 今日到期 (下一工作日到期 when less than a working day is left but the deadline
falls on the next working day, e.g. tomorrow at 9:30), and a day begun past the deadline counts as overdue."""
from datetime import datetime, timedelta

import pytest
import time_machine

from web.i18n import sla

NOW = datetime.fromisoformat("2026-12-01T10:00:00+08:00")  # a Tuesday


@pytest.mark.parametrize("days, text", [(3, "剩余 3 个工作日"), (2.4, "剩余 3 个工作日"), (1.0, "剩余 1 个工作日"),
                                        (0.5, "今日到期"), (0.9, "下一工作日到期"), (-0.2, "已超期 1 个工作日")])
def test_whole_working_days_left_or_overdue(app, world, days, text):
    cal = world.rt.calendar
    due = cal.add_workdays(NOW, days) if days >= 0 else NOW - timedelta(hours=2)
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}), time_machine.travel(NOW, tick=False):
        assert sla(due)[0] == text
