"""Whole conversations through the REST channel of a running server, in each language."""
import re

import pytest
import requests

from tests.servers import TEST_TOKEN, new_sender, texts, verify


def test_simplified_chinese_premium_question_is_answered_after_verification(servers):
    sender = new_sender()
    greeting = texts(servers.say(sender, "你好"))
    assert "转人工" in greeting
    reply = verify(servers, sender, "13800000001", "5821", "我的保费什么时候要交")
    assert "王建国" in reply and "身份已确认" in reply
    assert "P2019000001" in reply and "¥6,800" in reply and "¥10,000" in reply
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", reply)


def test_traditional_chinese_gets_traditional_replies(servers):
    sender = new_sender()
    reply = verify(servers, sender, "852 9123 4567", "2034", "我想查詢我的保單")
    assert "P2010000004" in reply
    assert "保單" in reply and "保单" not in reply


def test_cantonese_overdue_premium_gets_cantonese_grace_period_warning(servers):
    sender = new_sender()
    reply = verify(servers, sender, "91234567", "2034", "我張保單幾時要交錢呀")
    assert "過咗期20日" in reply and "寬限期" in reply


def test_english_customer_is_answered_in_english(servers):
    sender = new_sender()
    reply = verify(servers, sender, "13700000003", "7788", "when is my premium due?")
    assert "You are verified" in reply
    assert "¥450" in reply and "Anxin Term Life" in reply
    assert re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4}", reply)


def test_wrong_id_three_times_locks_and_offers_a_person(servers):
    sender, unknown_phone = new_sender(), "13912345678"
    servers.say(sender, "查保单")
    servers.say(sender, unknown_phone)
    first = texts(servers.say(sender, "0000"))
    assert "再试2次" in first  # an unknown phone looks exactly like a wrong ID
    servers.say(sender, unknown_phone)
    servers.say(sender, "0001")
    servers.say(sender, unknown_phone)
    locked = servers.say(sender, "0002")
    assert "暂停" in texts(locked)
    assert any(b["payload"] == "/request_human" for m in locked for b in m.get("buttons", []))
    # The chat is locked too: even a real customer's right digits are refused from it.
    servers.say(sender, "查保单")
    servers.say(sender, "13700000003")
    assert "P2023000005" not in texts(servers.say(sender, "7788"))


def test_human_button_works_in_the_middle_of_a_form(servers):
    sender = new_sender()
    servers.say(sender, "我要交保费")
    reply = texts(servers.say(sender, "/request_human"))
    assert "人工客服" in reply and re.search(r"H\d{6}", reply)
    # The form is over: a greeting is just a greeting again.
    assert "小安" in texts(servers.say(sender, "你好"))


def test_paying_two_policies_in_one_order_and_downloading_the_invoice(servers):
    sender = new_sender()
    verify(servers, sender, "13800000001", "5821", "我要交保费")
    servers.say(sender, '/inform{"policy_number":"ALL"}')
    order = texts(servers.say(sender, '/inform{"payment_method":"alipay"}'))
    assert "¥10,000" in order
    pay_url = re.search(r"https?://\S+/pay/\S+", order).group()
    assert requests.post(pay_url, timeout=10).status_code == 200
    invoice = texts(servers.say(sender, "我要电子发票"))
    link = re.search(r"https?://\S+/webhooks/documents/\S+", invoice).group()
    pdf = requests.get(link, timeout=10)
    assert pdf.headers["Content-Type"].startswith("application/pdf") and pdf.content.startswith(b"%PDF")


def test_calendar_reminder_link_serves_an_ics_file(servers):
    sender = new_sender()
    reply = verify(servers, sender, "13700000003", "7788", "please remind me before my premium is due")
    link = re.search(r"https?://\S+/webhooks/documents/\S+", reply).group()
    ics = requests.get(link, timeout=10)
    assert ics.headers["Content-Type"].startswith("text/calendar") and b"BEGIN:VEVENT" in ics.content


def test_changing_the_debit_account_never_echoes_the_full_number(servers):
    sender = new_sender()
    verify(servers, sender, "13800000001", "5821", "我想换扣款的银行卡")
    confirm = texts(servers.say(sender, "6222 0212 3456 7894"))
    assert "****7894" in confirm and "6222021234567894" not in confirm.replace(" ", "")
    done = texts(servers.say(sender, "/affirm"))
    assert "已改好" in done and "****7894" in done


def test_large_policy_loan_goes_to_a_person_with_everything_collected(servers):
    sender = new_sender()
    asked = verify(servers, sender, "13900000002", "7340", "我想用保单借钱")
    assert "¥416,000" in asked  # 80% of the ¥520,000 cash value
    reply = texts(servers.say(sender, "借三十五万"))
    assert "¥300,000" in reply and re.search(r"H\d{6}", reply)


def test_two_misunderstandings_offer_a_person(servers):
    sender = new_sender()
    servers.say(sender, "qwzx plmk")
    second = servers.say(sender, "zzkq wvbn")
    assert any(b["payload"] == "/request_human" for m in second for b in m.get("buttons", []))


def test_switching_language_on_request(servers):
    sender = new_sender()
    assert "English" in texts(servers.say(sender, "请用英文跟我说"))
    assert "Hello" in texts(servers.say(sender, "hi there"))


@pytest.mark.parametrize("message", [
    "", "   ", "好" * 5000, "😀😀😀", "\x00\x01\x02\ufffd\x7f", "'; DROP TABLE customers; --",
    "我的手机号是12345", "我想check一下my 保單 policy 嘅 premium", None,
])
def test_bad_input_gets_a_polite_answer_and_the_conversation_goes_on(servers, message):
    sender = new_sender()
    replies = servers.say(sender, message)
    assert replies and all(m.get("text") for m in replies)
    assert not re.search(r"Traceback|Exception|Error", texts(replies))
    assert texts(servers.say(sender, "你好"))


def test_wrong_phone_format_is_explained_in_the_form(servers):
    sender = new_sender()
    servers.say(sender, "查保单")
    assert "11位手机号" in texts(servers.say(sender, "12345"))


def test_http_api_needs_the_token(servers):
    sender = new_sender()
    servers.say(sender, "你好")
    url = f"{servers.url}/conversations/{sender}/tracker"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, params={"token": TEST_TOKEN}, timeout=10).status_code == 200


def test_a_flood_from_one_sender_is_slowed_politely(servers):
    sender = new_sender()
    replies = [texts(servers.say(sender, "你好")) for _ in range(30)]
    assert any("稍等" in r for r in replies)
    assert "小安" in replies[0]
