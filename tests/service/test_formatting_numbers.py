"""How amounts, dates and private numbers are written, and how spoken/typed numbers are read."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from actions.service.formatting import (
    clock_time, long_date, mask_account, mask_card_and_id_numbers, mask_digits_in_text, mask_phone, money,
)
from actions.service.numbers import digit_string, parse_amount


@pytest.mark.parametrize("amount, expected", [
    (6800, "¥6,800"),
    (Decimal("6800"), "¥6,800"),
    (Decimal("6800.00"), "¥6,800"),          # no cents when there are none
    (Decimal("12000.50"), "¥12,000.50"),
    (Decimal("12000.5"), "¥12,000.50"),      # always two digits of cents
    (Decimal("0.05"), "¥0.05"),
    (450, "¥450"),
    (0, "¥0"),
    (Decimal("1234567.89"), "¥1,234,567.89"),
    (1000000, "¥1,000,000"),
])
def test_money(amount, expected):
    assert money(amount) == expected
    assert money(amount, "en") == expected


@pytest.mark.parametrize("day, language, expected", [
    (date(2026, 12, 4), "zh-Hans", "2026年12月4日"),
    (date(2026, 12, 4), None, "2026年12月4日"),
    (date(2026, 12, 4), "yue", "2026年12月4日"),
    (date(2026, 12, 4), "en", "4 Dec 2026"),
    (date(2027, 1, 31), "en", "31 Jan 2027"),
    (date(2027, 5, 1), "en", "1 May 2027"),
    (date(2027, 1, 1), "zh-Hant", "2027年1月1日"),
])
def test_long_date(day, language, expected):
    assert long_date(day, language) == expected


@pytest.mark.parametrize("phone, expected", [
    ("13800000001", "138****0001"),
    ("85291234567", "852****4567"),
    ("138 0000 0001", "138****0001"),
    ("123456", "****"),
    ("", "****"),
    (None, "****"),
])
def test_mask_phone(phone, expected):
    assert mask_phone(phone) == expected


@pytest.mark.parametrize("account, expected", [
    ("6222021234567894", "****7894"),
    ("6222 0212 3456 7894", "****7894"),
    ("7894", "****7894"),
    ("****7894", "****7894"),  # masking twice changes nothing
    ("", "****"),
    (None, "****"),
])
def test_mask_account(account, expected):
    assert mask_account(account) == expected


@pytest.mark.parametrize("text, expected", [
    ("我的电话是13800000001", "我的电话是****0001"),
    ("card 6222021234567894 and phone 85291234567", "card ****7894 and phone ****4567"),
    ("ID 110105194912315821", "ID ****"),  # an ID number's last 4 are the identity check's secret
    ("ID 11010519491231582X.", "ID ****."),
    ("验证码 123456", "验证码 123456"),      # 6 digits: not private enough to hide
    ("1234567", "****4567"),                # 7 digits: hidden
    ("交 6800 元", "交 6800 元"),
    ("", ""),
    (None, ""),
])
def test_mask_digits_in_text(text, expected):
    assert mask_digits_in_text(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("卡号 6222 0212 3456 7894", "卡号 ****7894"),
    ("card 6222021234567894, phone 13800000001", "card ****7894, phone 13800000001"),  # forms need phones
    ("身份证110105195005125821", "身份证****"),
    ("ID 11010519500512582x", "ID ****"),
    ("P2019000001 CL-2026123456 H000123", "P2019000001 CL-2026123456 H000123"),  # references stay
    ("交 6800 元", "交 6800 元"),
    (None, ""),
])
def test_mask_card_and_id_numbers(text, expected):
    assert mask_card_and_id_numbers(text) == expected


def test_clock_time_is_in_china_time():
    assert clock_time(datetime(2026, 1, 1, 2, 5)) == "10:05"
    assert clock_time(datetime(2026, 1, 1, 20, 0)) == "04:00"
    assert clock_time(datetime(2026, 1, 1, 2, 5), "Asia/Hong_Kong") == "10:05"


@pytest.mark.parametrize("text, expected", [
    ("五万", Decimal("50000")),
    ("五万块", Decimal("50000")),
    ("5万", Decimal("50000")),
    ("12万5千", Decimal("125000")),
    ("一万两千", Decimal("12000")),
    ("兩萬", Decimal("20000")),
    ("十万", Decimal("100000")),
    ("1.5万", Decimal("15000")),
    ("10k", Decimal("10000")),
    ("10K", Decimal("10000")),
    ("2.5k", Decimal("2500")),
    ("¥12,000.50", Decimal("12000.50")),
    ("50000", Decimal("50000")),
    ("５００００", Decimal("50000")),
    ("我想借 50,000 元", Decimal("50000")),
    ("abc", None),
    ("", None),
    ("...", None),
])
def test_parse_amount(text, expected):
    result = parse_amount(text)
    if expected is None:
        assert result is None
    else:
        assert isinstance(result, Decimal)
        assert result == expected


def test_parse_amount_k_followed_by_chinese_unit():
    assert parse_amount("借10k块") == Decimal("10000")


@pytest.mark.parametrize("text, keep_x, expected", [
    ("138 0000-0001", False, "13800000001"),
    ("１３８", False, "138"),
    ("一三八零零零零零零零一", False, "13800000001"),
    ("幺两三〇", False, "1230"),
    ("582x", False, "582"),
    ("582x", True, "582X"),
    ("11010519491231582x", True, "11010519491231582X"),
    ("no digits", False, ""),
    ("", False, ""),
    (None, False, ""),
])
def test_digit_string(text, keep_x, expected):
    assert digit_string(text, keep_x=keep_x) == expected
