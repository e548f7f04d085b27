"""How old something is, counted in local calendar days and said in words."""

import datetime
import zoneinfo

import pytest

from crm.formatting import age_text, days_since

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("moment", "today", "days"),
    [
        (datetime.datetime(2026, 12, 3, 0, 10, tzinfo=SHANGHAI), datetime.date(2026, 12, 3), 0),
        (datetime.datetime(2026, 12, 2, 23, 50, tzinfo=SHANGHAI), datetime.date(2026, 12, 3), 1),  # 20 minutes
        # 16:30 UTC is already the next day in Shanghai.
        (datetime.datetime(2026, 12, 2, 16, 30, tzinfo=datetime.UTC), datetime.date(2026, 12, 3), 0),
        (datetime.datetime(2026, 11, 30, 12, 0, tzinfo=SHANGHAI), datetime.date(2026, 12, 3), 3),
    ],
)
def test_days_since_counts_local_calendar_days(moment, today, days):
    assert days_since(moment, today) == days


@pytest.mark.parametrize(("days", "words"), [(0, "today"), (1, "yesterday"), (2, "2 days ago"), (30, "30 days ago")])
def test_age_text(days, words):
    assert age_text(days) == words
