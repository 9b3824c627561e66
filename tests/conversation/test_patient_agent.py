"""Issue 15 through REST against real servers, in the four languages: confusion met with help, a
payment confirmed in the chat when it arrives (the rating only after), the next due date always
stated, a lockout that says why and how to reach a person now, every reply in the customer's script.

Its own server pair: the conversations pay the demo customers' premiums.
"""
from __future__ import annotations

import re

import pytest
import requests

from tests.script_check import script_problem
from tests.servers import Servers, new_sender, texts, verify

HUMAN = "/request_human"


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    running = Servers(tmp_path_factory.mktemp("patient"), extra_env={"ANXIN_RATE_LIMIT_BURST": "30"}).start()
    yield running
    running.stop()


def in_script(messages, language):
    """Every text and button title of the bot's answer is in the customer's script."""
    problems = [script_problem(m.get("text") or "", language) for m in messages]
    problems += [script_problem(b.get("title") or "", language) for m in messages for b in m.get("buttons") or []]
    assert not [p for p in problems if p], (problems, messages)
    return texts(messages)


def payloads(messages):
    return [b.get("payload") for m in messages for b in m.get("buttons") or []]


@pytest.mark.parametrize("language, words", [
    ("zh-Hans", "点了咋没反应 看不明白"),
    ("zh-Hant", "點了沒反應 我看不懂"),
    ("yue", "聽唔明呀"),
    ("en", "I can't read this"),
])
def test_confusion_is_met_with_help_not_read_as_no(servers, language, words):
    sender = new_sender()
    servers.say(sender, {"zh-Hans": "你好", "zh-Hant": "您好，請問", "yue": "你好，唔該", "en": "hello"}[language])
    reply = servers.say(sender, words)
    in_script(reply, language)
    assert HUMAN in payloads(reply)  # a person, one press away
    assert any("again" in (p or "") for p in payloads(reply))  # or hear it again
    again = servers.say(sender, next(p for p in payloads(reply) if "again" in p))
    in_script(again, language)
    assert len(again) >= 2  # "here it is again" and what the bot had said before


def test_on_the_web_page_confusion_offers_bigger_text_and_reading_aloud(servers):
    # the socket.io channel gets the page's own help (特大字, 🔊); REST clients cannot use them
    sender = new_sender()
    reply = texts(servers.say(sender, "我眼神不好 字看不清"))
    assert "转人工" in reply or "再说一遍" in reply


def test_both_in_everyday_words_pays_both_policies_in_one_order(servers):
    sender = new_sender()
    verify(servers, sender, "13800000001", "5821", "我要交保费")
    servers.say(sender, "两个一块交了吧")
    order = texts(servers.say(sender, "微信"))
    assert "¥10,000" in order  # 6,800 + 3,200


def pay_link(order_text):
    return re.search(r"https?://\S+/pay/\S+", order_text).group()


@pytest.mark.parametrize("language, phone, last4, pay, choose, method, asked, not_yet, arrived", [
    ("zh-Hans", "13800000001", "5821", "我要交保费", "P2019000001", "支付宝", "钱交上了没有", "还没有收到", "已经到账"),
    ("zh-Hant", "13800000001", "5821", "我要繳保費", "P2021000002", "支付寶", "錢交上了沒有", "還沒有收到", "已經到賬"),
    ("yue", "85291234567", "2034", "我想交錢", "第一張", "支付寶", "錢俾咗未呀", "仲未收到", "已經到賬"),
    ("en", "13700000003", "7788", "I want to pay my premium", "the first one", "Alipay", "did my payment go through",
     "haven't received", "has arrived"),
])
def test_payment_is_confirmed_in_the_chat_and_only_then_rated(servers, language, phone, last4, pay, choose, method,
                                                            asked, not_yet, arrived):
    sender = new_sender()
    verify(servers, sender, phone, last4, pay)
    servers.say(sender, choose)
    order = servers.say(sender, method)
    assert "/pay/" in in_script(order, language)
    assert not any("rating" in (p or "") for p in payloads(order))  # no rating before paying
    waiting = servers.say(sender, asked)
    assert not_yet in in_script(waiting, language)
    assert requests.post(pay_link(texts(order)), timeout=10).status_code == 200
    # REST cannot push: what the bot said when the money arrived comes with the next answer
    after = servers.say(sender, {"zh-Hans": "好的", "zh-Hant": "好的", "yue": "好", "en": "ok"}[language])
    said = in_script(after, language)
    assert arrived in said
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日|\d{1,2} [A-Z][a-z]{2} \d{4}", said)  # the next due date
    assert any("rating" in (p or "") for p in payloads(after))  # rated only now


@pytest.mark.parametrize("language, ask, expected", [
    ("zh-Hans", "下回啥时候交", "下次交费"),
    ("zh-Hant", "下次什麼時候繳費", "下次交費"),
    ("yue", "下次幾時要交錢", "下次交費"),
    ("en", "when is my next premium due", "Next payment"),
])
def test_nothing_due_soon_still_says_when_the_next_premium_is_due(servers, language, ask, expected):
    sender = new_sender()
    verify(servers, sender, "13900000002", "7340", ask)  # 张秀英's annuity: due in 140 days
    reply = servers.say(sender, ask)
    said = in_script(reply, language)
    assert expected in said and "P2016000003" in said


@pytest.mark.parametrize("language, ask, wrong, why", [  # numbers nobody has: no real phone gets locked
    ("zh-Hans", "我的保单", "13800009991", "连续几次对不上"),
    ("zh-Hant", "我的保單資料", "13800009992", "連續幾次對不上"),
    ("yue", "我想睇下我張保單", "13800009993", "連續幾次對唔上"),
    ("en", "show my policies", "13800009994", "didn't match several times"),
])
def test_a_lockout_says_why_until_when_and_how_to_reach_a_person_now(servers, language, ask, wrong, why):
    sender = new_sender()
    servers.say(sender, ask)
    for attempt in range(3):
        servers.say(sender, wrong)
        locked = servers.say(sender, f"000{attempt}")
    said = in_script(locked, language)
    assert why in said and re.search(r"\d{1,2}:\d{2}", said)  # why, and until when
    assert HUMAN in payloads(locked)


def test_a_cantonese_customer_sees_product_names_in_traditional(servers):
    sender = new_sender()
    reply = verify(servers, sender, "85291234567", "2034", "我想睇下我張保單")
    assert "安心終身壽險" in reply and "安心终身寿险" not in reply


@pytest.mark.parametrize("language, phone, last4, report, when, place, happened, bills, read_back", [
    ("zh-Hans", "13800000001", "5821", "我要报案", "三天前", "郑州市人民医院", "肺炎，住了三天院", "四千二", "医药费：¥4,200"),
    ("zh-Hant", "13800000001", "5821", "我要報案", "三天前", "馬偕紀念醫院", "肺炎，住院三天", "不清楚", "醫藥費：還不清楚"),
    ("yue", "85291234567", "2034", "我想報案呀，唔該", "琴日", "伊利沙伯醫院", "跌親隻腳，要留院", "三千蚊", "醫藥費：¥3,000"),
    ("en", "13800000001", "5821", "I want to report a claim", "3 days ago", "Zhengzhou People's Hospital",
     "pneumonia, three days in hospital", "I don't know", "Medical bills: not known yet"),
])
def test_the_claim_read_back_includes_the_bills_the_customer_gave(servers, language, phone, last4, report, when,
                                                                  place, happened, bills, read_back):
    sender = new_sender()
    verify(servers, sender, phone, last4, report)
    servers.say(sender, '/inform{"claim_event_type":"hospital"}')
    servers.say(sender, when)
    servers.say(sender, place)
    servers.say(sender, happened)
    summary = servers.say(sender, bills)
    said = in_script(summary, language)
    assert read_back in said and place in said, said
    assert "/affirm" in payloads(summary)
    servers.say(sender, "/deny")  # not filed: the other languages report the same stay
