from datetime import datetime

from actions.service.human_lane.callback_times import (SOON, TODAY_EVENING, TOMORROW_AFTERNOON, TOMORROW_MORNING,
                                            callback_due_at, offered_choices)

# 02:00 UTC is 10:00 in Beijing; 12:00 UTC is 20:00 in Beijing.
MORNING_UTC = datetime(2026, 11, 29, 2, 0)
EVENING_UTC = datetime(2026, 11, 29, 12, 0)


def test_each_choice_is_a_moment_in_the_service_time_zone():
    assert callback_due_at(SOON, MORNING_UTC) == datetime(2026, 11, 29, 3, 0)
    assert callback_due_at(TODAY_EVENING, MORNING_UTC) == datetime(2026, 11, 29, 10, 0)      # 18:00 Beijing
    assert callback_due_at(TOMORROW_MORNING, MORNING_UTC) == datetime(2026, 11, 30, 1, 30)   # 09:30 Beijing
    assert callback_due_at(TOMORROW_AFTERNOON, MORNING_UTC) == datetime(2026, 11, 30, 6, 30)
    assert callback_due_at(TOMORROW_MORNING, MORNING_UTC, "Asia/Hong_Kong") == datetime(2026, 11, 30, 1, 30)


def test_a_past_block_or_an_unknown_choice_means_nothing():
    assert callback_due_at(TODAY_EVENING, EVENING_UTC) is None
    assert callback_due_at("next_year", MORNING_UTC) is None
    assert callback_due_at("", MORNING_UTC) is None


def test_within_an_hour_only_while_the_service_is_open():
    assert offered_choices(True, MORNING_UTC) == [SOON, TODAY_EVENING, TOMORROW_MORNING, TOMORROW_AFTERNOON]
    assert offered_choices(False, EVENING_UTC) == [TOMORROW_MORNING, TOMORROW_AFTERNOON]
