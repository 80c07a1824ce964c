"""The departments of the joint review: who takes part, what they are called, and what their head is called.

The engine finds STANDARD through the `jointreview.departments` entry point: `jointreview init-db` and the demo create
them, and files are checked against them when there is no database yet. Another city lists its own here (or adds and
renames departments in /admin once the database exists)."""
from __future__ import annotations

from engine.routing import StandardDepartment

_BUREAU, _OFFICE = ("局长", "Director-General"), ("主任", "Director")  # a bureau's 局长; an office's, a commission's 主任

STANDARD = [
    StandardDepartment("EDU", "教育局", "Education Bureau", *_BUREAU),
    StandardDepartment("PSB", "公安局", "Public Security Bureau", *_BUREAU),
    StandardDepartment("HRSS", "人社局", "Human Resources and Social Security Bureau", *_BUREAU),
    StandardDepartment("HUD", "住建局", "Housing and Urban-Rural Development Bureau", *_BUREAU),
    StandardDepartment("HEALTH", "卫健委", "Health Commission", *_OFFICE),
    StandardDepartment("STREET", "街道办", "Street Office", *_OFFICE),
    StandardDepartment("FIN", "财政局", "Finance Bureau", *_BUREAU),
    StandardDepartment("JOINT", "联席办", "Joint Review Office", *_OFFICE, oversees=True),  # the joint-review office
]
