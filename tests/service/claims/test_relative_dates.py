"""Event dates as customers say them, against a fixed clock (Monday 23 November 2026)."""
from datetime import date

import pytest

from actions.service.claims.relative_dates import parse_event_date

TODAY = date(2026, 11, 23)  # a Monday


@pytest.mark.parametrize("said, expected", [
    ("昨天", date(2026, 11, 22)), ("前天晚上", date(2026, 11, 21)), ("大前天", date(2026, 11, 20)),
    ("琴日", date(2026, 11, 22)), ("今天早上", TODAY),
    ("上周三", date(2026, 11, 18)), ("上星期三", date(2026, 11, 18)), ("上禮拜五", date(2026, 11, 20)),
    ("周日", date(2026, 11, 22)), ("星期一", TODAY),
    ("三天前", date(2026, 11, 20)), ("3天前", date(2026, 11, 20)), ("两天前", date(2026, 11, 21)),
    ("一个星期前", date(2026, 11, 16)),
    ("11月20日", date(2026, 11, 20)), ("十一月二十号", date(2026, 11, 20)),
    ("12月1号", date(2025, 12, 1)),  # no year and not yet this year: last December
    ("上个月5号", date(2026, 10, 5)), ("15号", date(2026, 11, 15)), ("25号", date(2026, 10, 25)),
    ("2026年11月2日", date(2026, 11, 2)), ("2026-11-02", date(2026, 11, 2)),
    ("yesterday", date(2026, 11, 22)), ("last Tuesday", date(2026, 11, 17)), ("on Friday", date(2026, 11, 20)),
    ("3 days ago", date(2026, 11, 20)), ("three days ago", date(2026, 11, 20)),
    ("two weeks ago", date(2026, 11, 9)), ("Nov 20", date(2026, 11, 20)), ("December 1st", date(2025, 12, 1)),
    ("I was taken to hospital 2 days ago", date(2026, 11, 21)),
])
def test_dates_said_in_chinese_cantonese_and_english(said, expected):
    assert parse_event_date(said, TODAY) == expected


@pytest.mark.parametrize("said", ["", "   ", "我不记得了", "住院", "hello", "前几天", "2026-13-45", "上周"])
def test_no_date_means_none_so_the_bot_asks_again(said):
    assert parse_event_date(said, TODAY) is None


def test_a_date_in_the_future_is_returned_for_the_caller_to_refuse():
    assert parse_event_date("2027年1月1日", TODAY) == date(2027, 1, 1)
