"""Premium reminders through the REST channel of running servers: set up, changed and turned off in
conversation (each language), and a reminder waiting as a web notice shown after verification."""
import re
import subprocess
import sys
import uuid
from datetime import date

from tests.servers import ROOT, texts


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def verify(servers, sender, phone, last4, first_message):
    asked = texts(servers.say(sender, first_message))
    assert "P20" not in asked, "policy data before verification"
    servers.say(sender, phone)
    return texts(servers.say(sender, last4))


def test_reminder_waiting_as_a_notice_is_shown_once_after_verification(servers):
    # 10:00 in Shanghai today: outside quiet hours whenever the test runs.
    subprocess.run([sys.executable, "-m", "actions.service.scheduler", "--once", "--now", f"{date.today()}T02:00:00"],
                   env=servers.env, cwd=ROOT, check=True, capture_output=True)
    reply = verify(servers, new_sender(), "13800000001", "5821", "我的保单")
    # a chat sentence with a pay button, not the pushed reminder pasted in (no "reply 不要再提醒我")
    assert "提醒您：有2份保单快到交费的时候了" in reply and "这里是安心人寿" not in reply
    again = verify(servers, new_sender(), "13800000001", "5821", "我的保单")
    assert "提醒您" not in again


def test_simplified_chinese_lead_days_are_set_after_verification(servers):
    reply = verify(servers, new_sender(), "13800000001", "5821", "到期前提前三天提醒我")
    assert "30、7、3和1天" in reply and "/webhooks/documents/" in reply
    assert re.search(r"下次交费：.*P20\d{8}.*\d{4}年\d{1,2}月\d{1,2}日", reply)  # the date the reminders are about


def test_english_remind_me_a_week_and_five_days_before(servers):
    sender = new_sender()
    reply = verify(servers, sender, "13700000003", "7788", "remind me 5 days before the due date")
    assert "30, 7, 5 and 1 days before" in reply and "9 pm and 8 am" in reply
    assert re.search(r"Next payment: .*P2023000005.* on \d{1,2} [A-Z][a-z]{2} \d{4}", reply)


def test_traditional_chinese_telegram_only_explains_how_to_link(servers):
    reply = verify(servers, new_sender(), "85291234567", "2034", "請只用Telegram通知我繳費")
    assert "Telegram" in reply and "還沒有" in reply and "还没有" not in reply


def test_cantonese_stop_reminding_me_turns_them_off(servers):
    sender = new_sender()
    verify(servers, sender, "85291234567", "2034", "我張保單幾時要交錢")
    reply = texts(servers.say(sender, "唔好再提我交錢喇"))
    assert "以後唔再提您交費" in reply
    reply = texts(servers.say(sender, "/set_reminder"))
    assert "提醒方式" in reply  # asking again turns them back on
