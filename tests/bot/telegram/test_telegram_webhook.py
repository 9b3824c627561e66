"""The Telegram channel end to end: Bot API update JSON posted to the webhook of a real Rasa server
(with the real action server and database), answers read from the local fake Bot API.

What is asserted is what the customer would see: texts in their language, the keyboards (the
human button first), documents, and that retries, forged calls and garbage change nothing.
"""
from __future__ import annotations

import json
import time

import requests

from actions.service.core.db import session_scope
from actions.service.core.models import ChannelLink, Customer
from actions.service.constants import HUMAN_PAYLOAD
from tests.bot.telegram.conftest import SECRET
from tests.servers import TEST_TOKEN
from tests.voice.hearing import assert_heard

HUMAN_ZH = "🧑‍💼 转人工 / Human"
# No agent is online in these tests, so asking for a person gets the bot's "nobody free, call-back?" answer
# (the pause and the agent's side are tested in tests/conversation/test_human_lane.py and tests/browser).
HANDOFF_ZH = "没有人工客服在线"
HANDOFF_EN = "no one from our team is available"
HUMAN_EN = "🧑‍💼 Human agent"


def reply_keyboard(call) -> list:
    return call.params["reply_markup"]["keyboard"]


def test_bot_commands_registered_in_chinese_and_english(telegram_servers, bot_api):
    calls = bot_api.wait_for(lambda calls: len([c for c in calls if c.method == "setMyCommands"]) >= 2, timeout=30)
    commands = {c.params.get("language_code", ""): c.params["commands"] for c in calls if c.method == "setMyCommands"}
    assert [c["command"] for c in commands[""]] == ["start", "human", "menu", "lang", "stop"]
    assert commands[""][1]["description"] == "转人工客服"
    assert commands["en"][1]["description"] == "Talk to a person"


def test_start_offers_languages_elder_version_and_the_persistent_human_keyboard(new_user):
    user = new_user()
    user.send("/start")
    welcome = user.wait_text("小安")
    choices = [b["callback_data"] for row in welcome.params["reply_markup"]["inline_keyboard"] for b in row]
    assert choices == ["tg:lang:zh-Hans", "tg:lang:zh-Hant", "tg:lang:yue", "tg:lang:en", "tg:elder:1", "tg:elder:0"]
    menu = user.wait_text("请选择您要办的事")
    keyboard = menu.params["reply_markup"]
    assert keyboard["is_persistent"] is True
    assert keyboard["keyboard"][0] == [{"text": HUMAN_ZH}]  # first row: the human button alone
    assert [b["text"] for b in keyboard["keyboard"][1] + keyboard["keyboard"][2]] == [
        "📄 我的保单", "💴 交费", "🚑 报案", "🔎 理赔进度"]


def test_answers_and_keyboards_follow_the_customers_language(new_user):
    english = new_user("en", "Emily")
    english.send("hello")
    greeting = english.wait_text("Anxin Life assistant")
    # The greeting's own buttons are inline; the callback data is the payload itself.
    assert "/request_human" in [b["callback_data"] for row in greeting.params["reply_markup"]["inline_keyboard"]
                                for b in row]
    english.send("what is the grace period?")
    answer = english.wait_for(lambda c: "keyboard" in (c.params.get("reply_markup") or {}), after=1)
    assert reply_keyboard(answer)[0] == [{"text": HUMAN_EN}]
    assert reply_keyboard(answer)[1][0]["text"] == "📄 My policies"

    cantonese = new_user("zh-hk", "大文")
    cantonese.send("寬限期係幾耐㗎")
    answer = cantonese.wait_for(lambda c: "keyboard" in (c.params.get("reply_markup") or {}))
    assert reply_keyboard(answer)[0] == [{"text": "🧑‍💼 轉人工 / Human"}]
    assert reply_keyboard(answer)[1][0]["text"] == "📄 我嘅保單"


def test_menu_button_label_sends_its_payload_and_phone_question_offers_contact_sharing(new_user):
    user = new_user()
    user.send("📄 我的保单")  # what the reply keyboard sends: its label
    ask_phone = user.wait_text("手机号码")
    keyboard = reply_keyboard(ask_phone)
    assert keyboard[0] == [{"text": HUMAN_ZH}]
    assert keyboard[1] == [{"text": "📱 发送我的手机号", "request_contact": True}]


def test_own_contact_proves_the_phone_then_only_id_digits_are_asked_and_chat_is_linked(new_user, telegram_servers):
    user = new_user()
    user.send("我的保单")
    user.wait_text("手机号码")
    before = len(user.sent())
    update = user.message(contact={"phone_number": "+8613800000001", "first_name": "建国", "user_id": user.id})
    assert user.post(update).status_code == 200
    user.wait_text("最后4位", after=before)
    user.send("5821")
    user.wait_text("王建国")
    user.wait_text("P2019000001")  # the pending request (my policies) goes on after the check
    database = f"sqlite:///{telegram_servers.workdir / 'anxin.db'}"
    with session_scope(database) as session:
        wang = session.query(Customer).filter_by(phone="13800000001").one().id
        link = session.query(ChannelLink).filter_by(channel="telegram", address=str(user.id)).one()
        assert link.customer_id == wang  # later pushes (reminders, agent replies) reach this chat


def test_someone_elses_contact_is_refused_politely(new_user):
    user = new_user()
    user.send("我的保单")
    user.wait_text("手机号码")
    before = len(user.sent())
    update = user.message(contact={"phone_number": "+8613900000002", "first_name": "秀英", "user_id": user.id + 1})
    assert user.post(update).status_code == 200
    refusal = user.wait_text("只能用您自己的手机号", after=before)
    assert reply_keyboard(refusal)[1][0]["request_contact"] is True
    # Nothing went to the bot: the form still waits for the phone, so a typed number is taken.
    user.send("13800000001")
    user.wait_text("最后4位", after=before)


def test_inline_button_press_sends_payload_and_answers_the_callback(new_user, bot_api):
    user = new_user()
    update = user.press(HUMAN_PAYLOAD)
    user.wait_text(HANDOFF_ZH)
    answered = [c for c in bot_api.calls_of("answerCallbackQuery")
                if c.params["callback_query_id"] == update["callback_query"]["id"]]
    assert len(answered) == 1


def test_repeated_update_id_is_answered_once(new_user):
    user = new_user()
    update = user.send("转人工")
    user.wait_text(HANDOFF_ZH)
    assert user.post(update).status_code == 200  # Telegram's retry of the same update
    user.send("谢谢")  # a later update is answered, and the retry in between was not
    user.wait_for(lambda c: HANDOFF_ZH not in c.params["text"], after=1)
    assert sum(HANDOFF_ZH in c.params["text"] for c in user.sent()) == 1


def test_wrong_or_missing_secret_is_refused_and_nothing_is_sent(new_user, bot_api):
    user = new_user()
    assert user.post(user.message(text="转人工"), secret="not-the-secret").status_code == 403
    assert user.post(user.message(text="转人工"), secret=None).status_code == 403
    forged = requests.post(user.webhook, data=json.dumps(user.message(text="转人工")).encode(),
                           headers={"X-Telegram-Bot-Api-Secret-Token": "密钥".encode().decode("latin-1"),
                                    "Content-Type": "application/json"}, timeout=10)
    assert forged.status_code == 403
    user.send("你好")  # a real update afterwards is answered...
    user.wait_text("小安")
    assert not any(HANDOFF_ZH in c.params.get("text", "") for c in user.sent())  # ...and the forged ones were not


def test_malformed_updates_get_400_and_the_channel_keeps_working(new_user):
    user = new_user()
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    for body in (b"{not json", b"[]", b'{"message": {"text": "hi"}}', b'{"update_id": "x"}', b""):
        answer = requests.post(user.webhook, data=body, headers=headers, timeout=10)
        assert answer.status_code == 400, body
        assert answer.json()["ok"] is False
    user.send("你好")
    user.wait_text("小安")


def test_invoice_and_calendar_are_sent_as_documents(new_user, telegram_servers):
    user = new_user("en", "Emily")
    user.send("I want my e-invoice")
    user.wait_text("mobile number")
    user.send("13700000003")
    user.send("7788")
    invoice = user.wait_for(lambda c: True, method="sendDocument")
    assert invoice.files["document"].startswith(b"%PDF") and invoice.filenames["document"].endswith(".pdf")
    user.send("remind me when to pay")
    calendar = user.wait_for(lambda c: c.filenames["document"].endswith(".ics"), method="sendDocument")
    assert b"BEGIN:VCALENDAR" in calendar.files["document"]
    # The web/REST answer is unchanged: the link only, no attachment.
    sender = f"rest-{user.id}"
    for text in ("e-invoice please", "13700000003", "7788"):
        messages = telegram_servers.say(sender, text)
    assert any("E-invoice:" in m.get("text", "") for m in messages)
    assert not any("attachment" in m for m in messages)


def test_proactive_message_through_trigger_intent_reaches_the_chat(new_user, telegram_servers):
    user = new_user()
    user.send("你好")
    user.wait_text("小安")
    before = len(user.sent())
    answer = requests.post(f"{telegram_servers.url}/conversations/{user.id}/trigger_intent",
                           params={"token": TEST_TOKEN, "output_channel": "telegram"},
                           json={"name": "request_human"}, timeout=60)
    assert answer.status_code == 200, answer.text
    pushed = user.wait_text(HANDOFF_ZH, after=before)
    times = [b["text"] for row in pushed.params["reply_markup"]["inline_keyboard"] for b in row]
    assert "明天上午" in times  # call-back times as buttons (the human button stays on the persistent keyboard)


def test_rate_limit_from_telegram_is_waited_out(new_user, bot_api):
    user = new_user()
    bot_api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, chat_id=user.id)
    user.send("转人工")

    def handoffs(calls=None):
        return [c for c in user.sent() if HANDOFF_ZH in c.params.get("text", "")]
    bot_api.wait_for(lambda _calls: len(handoffs()) == 2)  # the refused send, then the retry
    limited, retried = handoffs()
    assert retried.at - limited.at >= 0.95  # not before Telegram's retry_after


def test_blocked_bot_is_logged_surfaced_and_the_server_keeps_going(new_user, telegram_servers, bot_api):
    user = new_user()
    bot_api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=user.id)
    user.send("转人工")
    deadline = time.time() + 60
    while time.time() < deadline:
        health = requests.get(f"{telegram_servers.url}/webhooks/telegram/", timeout=10).json()
        if "blocked" in health["last_error"]:
            break
        time.sleep(0.2)
    assert health["status"] == "ok" and health["send_failures"] >= 1 and "blocked" in health["last_error"]
    user.send("你好")  # the customer unblocked the bot: the conversation goes on
    user.wait_text("小安")


# --- commands, elder mode, voice notes ---------------------------------------------------------------


def test_commands_lang_menu_human_and_stop(new_user):
    user = new_user()
    user.send("/lang")
    choice = user.wait_text("请选择语言")
    assert [row[0]["callback_data"] for row in choice.params["reply_markup"]["inline_keyboard"]] == [
        "tg:lang:zh-Hans", "tg:lang:zh-Hant", "tg:lang:yue", "tg:lang:en"]
    user.press("tg:lang:en")
    switched = user.wait_for(lambda c: "English" in c.params["text"] and "keyboard" in c.params["reply_markup"])
    assert reply_keyboard(switched)[0] == [{"text": HUMAN_EN}]
    user.send("/menu")
    menu = user.wait_text("Choose what you need")
    assert [b["text"] for b in reply_keyboard(menu)[1]] == ["📄 My policies", "💴 Pay premium"]
    user.send("/human")
    user.wait_text(HANDOFF_EN)
    user.send("/stop")
    stopped = user.wait_text("conversation has ended")
    assert stopped.params["reply_markup"] == {"remove_keyboard": True}


def test_elder_mode_reads_answers_aloud_with_one_big_button_per_row(new_user):
    user = new_user()
    user.press("tg:elder:1")
    user.wait_text("已开启长辈版")
    user.send("你好")
    greeting = user.wait_text("小安")
    assert all(len(row) == 1 for row in greeting.params["reply_markup"]["inline_keyboard"])
    voice = user.wait_for(lambda c: True, method="sendVoice", timeout=120)
    assert _is_speech(voice.files["voice"])


def _is_speech(ogg: bytes) -> bool:
    import numpy as np

    from voice.audio import decode_to_pcm16k
    audio = decode_to_pcm16k(ogg)
    return audio.size > 16000 * 0.5 and float(np.abs(audio).max()) > 0.05


def _voice_note(user, bot_api, file_id: str, ogg: bytes) -> dict:
    bot_api.add_file(file_id, ogg)
    update = user.message(voice={"file_id": file_id, "file_unique_id": f"u-{file_id}", "duration": 3,
                                 "mime_type": "audio/ogg", "file_size": len(ogg)})
    assert user.post(update).status_code == 200
    return update


def _spoken_ogg(text: str, language: str) -> bytes:
    from tests.voice.speech import speech_16k
    from voice.audio import encode_ogg_opus
    return encode_ogg_opus(speech_16k(text, language), 16000)


def test_voice_note_is_transcribed_answered_in_text_and_spoken_back(new_user, bot_api):
    user = new_user()
    _voice_note(user, bot_api, f"zh-{user.id}", _spoken_ogg("我要转人工", "zh"))
    heard = user.wait_text("🎤 您说：", timeout=180)
    assert_heard(heard.params["text"].split("🎤 您说：", 1)[1], "我要转人工")
    answer = user.wait_text(HANDOFF_ZH, timeout=120)
    assert "inline_keyboard" in answer.params["reply_markup"]  # the call-back times
    voice = user.wait_for(lambda c: True, method="sendVoice", timeout=120)
    assert _is_speech(voice.files["voice"])


def test_english_voice_note_gets_an_english_answer_and_voice(new_user, bot_api):
    user = new_user("en", "Emily")
    _voice_note(user, bot_api, f"en-{user.id}", _spoken_ogg("I want to talk to a human agent.", "en"))
    user.wait_text("You said", timeout=180)
    user.wait_text(HANDOFF_EN, timeout=120)
    voice = user.wait_for(lambda c: True, method="sendVoice", timeout=120)
    assert _is_speech(voice.files["voice"])


def test_unreadable_voice_note_gets_a_polite_answer(new_user, bot_api):
    user = new_user()
    _voice_note(user, bot_api, f"bad-{user.id}", b"OggS this is not audio at all")
    user.wait_text("录音打不开", timeout=60)
    assert not user.sent("sendVoice")


def test_without_the_voice_gateway_a_voice_note_asks_for_text_and_elder_mode_still_answers(new_user, bot_api,
                                                                                           telegram_servers):
    """(runs last here) The gateway killed: Telegram stays in Rasa and keeps answering, in text; then it is back."""
    import signal

    from tests.servers import GATEWAY

    servers = telegram_servers
    servers.processes[GATEWAY].send_signal(signal.SIGKILL)
    servers.processes[GATEWAY].wait(timeout=30)
    try:
        user = new_user()
        _voice_note(user, bot_api, f"down-{user.id}", _spoken_ogg("我要转人工", "zh"))
        user.wait_text("暂时听不了语音", timeout=60)  # "please type", never silence
        elder = new_user()
        elder.press("tg:elder:1")
        elder.wait_text("已开启长辈版")
        elder.send("你好")
        elder.wait_text("小安", timeout=120)  # read-aloud cannot speak, the answer still comes
        assert not user.sent("sendVoice") and not elder.sent("sendVoice")
    finally:
        servers.processes[GATEWAY] = servers.spawn(GATEWAY)
        deadline = time.time() + 180
        while not servers.gateway_ready() and time.time() < deadline:
            time.sleep(0.5)
    assert servers.gateway_ready()
