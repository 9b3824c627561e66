"""Caller number -> customer (on the real seeded SQLite DB), and how prompts offer keys."""
from datetime import date

from actions.service.customers.channel_links import link_channel
from voice.phone import prompts
from voice.phone.caller import caller_profile


def test_a_known_number_prefills_the_phone_and_chooses_language_and_the_senior_lane(customers):
    wang = caller_profile("+86 138-0000-0001", today=date(2026, 11, 23))
    assert (wang.customer_id, wang.phone, wang.bot_language, wang.senior) == (customers.wang, "13800000001",
                                                                              "zh-Hans", True)
    chan = caller_profile("85291234567")
    assert chan.bot_language == "yue" and chan.senior
    emily = caller_profile("13700000003", today=date(2026, 11, 23))
    assert emily.bot_language == "en" and not emily.senior


def test_a_linked_number_finds_its_customer_and_unknown_or_invalid_numbers_none(customers):
    assert caller_profile("13912345678") is None
    link_channel(customers.zhang, "phone", "13912345678")
    assert caller_profile("+86 139 1234 5678").phone == "13900000002"  # the number the identity check knows
    assert caller_profile("anonymous") is None and caller_profile("") is None


def test_button_menus_say_the_option_before_the_key_with_at_most_three_plus_the_human_lane():
    buttons = [("我的保单", "/query_policy"), ("转人工", "/request_human"), ("交保费", "/pay_premium"),
               ("理赔进度", "/claim_status"), ("电子发票", "/request_invoice")]
    segments, keys = prompts.key_options(buttons, "zh-Hans")
    assert [text for _, text in segments] == ["我的保单，请按1。", "交保费，请按2。", "理赔进度，请按3。", "转人工，请按0。"]
    assert keys == {"1": "/query_policy", "2": "/pay_premium", "3": "/claim_status", "0": "/request_human"}
    english, _ = prompts.key_options([("Human agent", "/request_human")], "en")
    assert english == [("en", "Human agent, press 0.")]


def test_welcomes():
    senior = prompts.welcome("yue", known_caller=True, senior=True)
    assert senior[0][1].startswith("您好") and "0" in senior[0][1].split("。")[1]  # the human lane comes first
    unknown = prompts.welcome("zh-Hans", known_caller=False, senior=False)
    assert [language for language, _ in unknown] == ["zh-Hans", "zh-Hans", "yue", "en", "zh-Hans"]
    assert len(unknown) - 1 <= 4  # at most four options


def test_the_rating_question_on_the_keypad_the_key_is_the_score():
    buttons = [(f"{n}分", f'/give_feedback{{"rating":"{n}"}}') for n in (5, 4, 3, 2, 1)] + [("跳过", "/deny")]
    segments, keys = prompts.key_options(buttons, "en")
    assert segments == [("en", "Press 1 to 5 to rate us, 5 is best. To skip, press the hash key.")]
    assert keys["5"] == '/give_feedback{"rating":"5"}' and keys["1"] == '/give_feedback{"rating":"1"}'
    assert keys["#"] == "/deny" and "0" not in keys
