"""The words of a premium reminder, in the customer's language (zh-Hans, zh-Hant, yue, en).

One message covers every policy reminded together: what is due, the total, one payment link for
all of them, the calendar file, how to change the debit account and how to stop reminders.
Chinese is written once in Simplified; Traditional comes from OpenCC (language.to_traditional).
Plain Python, no Rasa.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import List, Sequence

from actions.service.core.settings import get_settings
from actions.service.formatting import long_date, mask_account, money
from actions.service.language import to_traditional

ENGLISH, CANTONESE = "en", "yue"


@dataclass(frozen=True)
class DueItem:
    policy_number: str
    product_name: str
    product_name_en: str
    premium: Decimal
    due_date: date
    days_until_due: int  # negative: overdue
    bank_name: str = ""
    account_last4: str = ""


@dataclass(frozen=True)
class ReminderText:
    body: str  # chat message (Telegram, web notice)
    call_script: str  # what the caller or the voice gateway says (no links)


def _script(text: str, language: str) -> str:
    return to_traditional(text, language) if language in ("zh-Hant", CANTONESE) else text


def _item_line_zh(item: DueItem, grace_days: int, yue: bool) -> str:
    head = f"· {item.product_name}（{item.policy_number}）{money(item.premium)}"
    days = item.days_until_due
    if days > 0:
        left = f"仲有{days}日" if yue else f"还有{days}天"
        return f"{head}，{long_date(item.due_date)}到期，{left}"
    if days == 0:
        return f"{head}，今日到期" if yue else f"{head}，今天到期"
    last_day = long_date(item.due_date + timedelta(days=grace_days))
    if yue:
        return f"{head}，已经过咗交费日{-days}日。宽限期到{last_day}，请尽快交，唔好畀保单失效"
    return f"{head}，已过交费日{-days}天。宽限期到{last_day}，请尽快交费，以免保单失效"


def _item_line_en(item: DueItem, grace_days: int) -> str:
    head = f"· {item.product_name_en} ({item.policy_number}) {money(item.premium)}"
    days = item.days_until_due
    if days > 0:
        return f"{head}, due {long_date(item.due_date, ENGLISH)} (in {days} day{'s' if days != 1 else ''})"
    if days == 0:
        return f"{head}, due today"
    last_day = long_date(item.due_date + timedelta(days=grace_days), ENGLISH)
    return (f"{head}, {-days} day{'s' if days != -1 else ''} overdue. The grace period ends on {last_day}: "
            f"please pay soon so the policy does not lapse")


def _debit_accounts(items: Sequence[DueItem]) -> List[str]:
    return list(dict.fromkeys(f"{i.bank_name} {mask_account(i.account_last4)}"
                              for i in items if i.bank_name and i.account_last4))


def reminder_text(name: str, language: str, items: Sequence[DueItem], pay_url: str, calendar_url: str,
                  grace_days: int) -> ReminderText:
    """The reminder for one customer: every due item, one total, one payment link."""
    items = sorted(items, key=lambda i: (i.due_date, i.policy_number))
    total = sum((i.premium for i in items), Decimal(0))
    accounts = _debit_accounts(items)
    overdue = any(i.days_until_due < 0 for i in items)
    if language == ENGLISH:
        lines = [_item_line_en(i, grace_days) for i in items]
        intro = (f"Dear {name}, this is Anxin Life. "
                 + ("A premium is past its due date:" if overdue else "Your premium is due soon:"))
        debit = (f"Premiums are taken from {', '.join(accounts)}. " if accounts else "")
        body = "\n".join([
            intro, *lines,
            f"Pay {'everything ' if len(items) > 1 else ''}in one go, {money(total)}: {pay_url}",
            f"Add the due date to your phone's calendar: {calendar_url}",
            f"{debit}To change the debit card, reply \"change debit card\" or call {get_settings().hotline}.",
            "To stop these reminders, reply \"stop reminding me\".",
        ])
        call = " ".join([intro, *(line.lstrip("· ") + "." for line in lines),
                         f"The total is {money(total)}. Press 0 to talk to a person."])
        return ReminderText(body, call)
    yue = language == CANTONESE
    lines = [_item_line_zh(i, grace_days, yue) for i in items]
    if yue:
        intro = f"{name}您好，呢度係安心人寿。" + ("以下保单已经过咗交费日：" if overdue else "以下保单就快要交保费：")
        pay = f"{'一次过' if len(items) > 1 else ''}交费共{money(total)}，请㩒：{pay_url}"
        calendar = f"加入手机日历：{calendar_url}"
        debit = (f"而家由{'、'.join(accounts)}扣款。" if accounts else "")
        change = f"{debit}想换扣款银行卡，请回复“换扣款银行卡”，或者打{get_settings().hotline}。"
        stop = "唔想再收提醒，请回复“唔好再提我”。"
        call_end = f"合共{money(total)}。想搵真人，请按0。"
    else:
        intro = f"{name}您好，这里是安心人寿。" + ("以下保单已过交费日：" if overdue else "以下保单的保费快到期了：")
        pay = f"{'一起' if len(items) > 1 else ''}交费共{money(total)}，请点：{pay_url}"
        calendar = f"加到手机日历：{calendar_url}"
        debit = (f"现在从{'、'.join(accounts)}扣款。" if accounts else "")
        change = f"{debit}要换扣款银行卡，请回复“换扣款银行卡”，或拨打{get_settings().hotline}。"
        stop = "不想再收到提醒，请回复“不要再提醒我”。"
        call_end = f"合计{money(total)}。要找真人，请按0。"
    body = "\n".join([intro, *lines, pay, calendar, change, stop])
    call = "".join([intro, *(line.lstrip("· ") + "。" for line in lines), call_end])
    return ReminderText(_script(body, language), _script(call, language))
