"""Language choice per turn, Chinese/English tokenization, pinyin features, Traditional output, rate limit."""
from __future__ import annotations

import pytest

from actions.service.language import (
    DEFAULT_LANGUAGE, conversation_language, customer_language, detect_language, language_for_turn,
    language_from_locale, requested_language, text_language, to_simplified, to_traditional,
)


# --- which language the bot answers in ---------------------------------------------------------------

@pytest.mark.parametrize("text, current, expected", [
    # The script the customer writes in.
    ("我想查保单", "zh-Hans", "zh-Hans"),
    ("我想查保單", "zh-Hans", "zh-Hant"),
    ("I want to check my policy", "zh-Hans", "en"),
    ("我想搵人工", "zh-Hans", "yue"),
    ("我想查保单", "en", "zh-Hans"),
    # Asking for a language by name, in any language.
    ("请讲英文", "zh-Hans", "en"),
    ("in English please", "yue", "en"),
    ("可以讲广东话吗", "zh-Hans", "yue"),
    ("說普通話", "yue", "zh-Hans"),
    ("用繁體字", "zh-Hans", "zh-Hant"),
    ("Can you speak Chinese?", "en", "zh-Hans"),
    # Saying you cannot read a language asks for the other one, not for it.
    ("我看不懂英文", "en", "zh-Hans"),
    ("我听不懂英语", "en", "zh-Hans"),
    ("我聽唔明英文", "en", "yue"),
    ("唔識英文", "en", "yue"),
    # Cantonese speakers often write standard Traditional Chinese: they stay in Cantonese.
    ("我想查保單", "yue", "yue"),
    ("請問保費幾時交", "yue", "yue"),
    # Text that does not tell keeps the current language.
    ("ok", "en", "en"),
    ("ok", "zh-Hans", "zh-Hans"),
    ("OK", "yue", "yue"),
    ("yes", "zh-Hant", "zh-Hant"),
    ("13800000001", "en", "en"),
    ("👍", "yue", "yue"),
    ("", "zh-Hant", "zh-Hant"),
    # Characters both scripts share: Chinese, in the customer's current script.
    ("你好", "zh-Hant", "zh-Hant"),
    ("你好", "yue", "yue"),
    ("你好", "en", DEFAULT_LANGUAGE),
    # Unknown or missing current language falls back to the default.
    ("ok", None, DEFAULT_LANGUAGE),
    ("ok", "fr", DEFAULT_LANGUAGE),
])
def test_language_for_turn(text, current, expected):
    assert language_for_turn(text, current) == expected


@pytest.mark.parametrize("text", ["我看不懂英文", "I can't read English", "I cannot read English", "我聽唔明英文"])
def test_negated_language_name_is_not_a_request(text):
    assert requested_language(text) is None


@pytest.mark.parametrize("text", ["I don't understand English", "I don't understand Chinese"])
def test_dont_understand_is_not_a_request(text):
    assert requested_language(text) is None


def test_cant_read_english_does_not_switch_to_english():
    assert language_for_turn("I can't read English", "zh-Hans") != "en"


@pytest.mark.parametrize("text, expected", [
    ("我想查保单", "zh-Hans"),
    ("我想查保單", "zh-Hant"),
    ("我想搵人工", "yue"),
    ("點樣交保費", "yue"),
    ("Hello there", "en"),
    ("你好", "zh"),
    ("ok", None),
    ("12345", None),
])
def test_detect_language(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "' OR 1=1 --", '"; DROP TABLE users; --',
                                  "<img src=x onerror=alert(1)>", "qwrt zxcv", "{{7*7}}"])
@pytest.mark.parametrize("current", ["zh-Hans", "zh-Hant", "yue"])
def test_markup_query_syntax_or_a_keyboard_mash_does_not_switch_to_english(text, current):
    assert detect_language(text) is None
    assert language_for_turn(text, current) == current


@pytest.mark.parametrize("language, dialect, written, spoken", [
    ("zh-Hant", "Cantonese", "yue", "yue"),      # reads Traditional, speaks Cantonese
    ("zh-Hans", "粤语", "zh-Hans", "yue"),        # reads Simplified: written so, but hears Cantonese
    ("zh-Hans", "Henan Mandarin", "zh-Hans", "zh-Hans"),
    ("en", "English", "en", "en"),
    ("", "", DEFAULT_LANGUAGE, DEFAULT_LANGUAGE),
])
def test_a_stored_customers_language_written_and_spoken(language, dialect, written, spoken):
    assert customer_language(language, dialect) == written
    assert customer_language(language, dialect, spoken=True) == spoken


def test_the_conversation_text_and_locale_languages_fall_back_to_the_default():
    assert [conversation_language(slot) for slot in ("yue", None, "fr")] == ["yue", DEFAULT_LANGUAGE, DEFAULT_LANGUAGE]
    assert text_language("Where is my policy?") == "en" and text_language("Where is my policy?", "yue") == "yue"
    assert text_language("你好") == DEFAULT_LANGUAGE and text_language("123", "klingon") == DEFAULT_LANGUAGE
    assert [language_from_locale(code) for code in ("en-GB", "zh-HK", "zh-CN", None)] == [
        "en", "zh-Hant", DEFAULT_LANGUAGE, DEFAULT_LANGUAGE]


def test_script_conversion():
    assert to_traditional("保单理赔") == "保單理賠"
    assert to_simplified("保單理賠") == "保单理赔"
    assert len(to_simplified("我們的保單")) == len("我們的保單")


# --- NLU tokenization ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tokenizer():
    from bot.nlu.tokenizer import ChineseEnglishTokenizer
    return ChineseEnglishTokenizer(ChineseEnglishTokenizer.get_default_config())


def _tokens(tokenizer, text):
    from rasa.shared.nlu.training_data.message import Message
    return tokenizer.tokenize(Message(data={"text": text}), "text")


@pytest.mark.parametrize("text, expected", [
    ("我的保單", "我的保单"),
    ("ＡＢＣ１２３", "abc123"),
    ("Check My POLICY", "check my policy"),
    ("理賠進度", "理赔进度"),
    ("我想check下我的policy", "我想check下我的policy"),
])
def test_normalize_for_nlu_keeps_length(text, expected):
    from bot.nlu.tokenizer import normalize_for_nlu
    assert normalize_for_nlu(text) == expected
    assert len(normalize_for_nlu(text)) == len(text)  # entity offsets stay valid


def test_tokenizer_splits_mixed_chinese_english(tokenizer):
    text = "我想check下我的policy"
    tokens = _tokens(tokenizer, text)
    words = [t.text for t in tokens]
    assert "check" in words and "policy" in words  # Latin words stay whole
    assert all(" " not in w for w in words)
    assert "".join(words) == text  # nothing lost, nothing glued across scripts
    assert all(not (any(c.isascii() for c in w) and any(not c.isascii() for c in w)) for w in words)
    for token in tokens:  # offsets point into the original text
        assert text[token.start:token.end].lower() == token.text


def test_tokenizer_folds_traditional_and_full_width(tokenizer):
    simplified = [t.text for t in _tokens(tokenizer, "我想查保单")]
    traditional = [t.text for t in _tokens(tokenizer, "我想查保單")]
    assert traditional == simplified
    assert "保单" in simplified
    assert [t.text for t in _tokens(tokenizer, "ＰＯＬＩＣＹ")] == ["policy"]


def test_tokenizer_drops_spaces_and_punctuation(tokenizer):
    tokens = _tokens(tokenizer, "  hello, world!  ")
    assert [(t.text, t.start, t.end) for t in tokens] == [("hello", 2, 7), ("world", 9, 14)]


def test_tokenizer_gives_emoji_only_text_one_token(tokenizer):
    tokens = _tokens(tokenizer, " 👍 ")
    assert len(tokens) == 1
    assert tokens[0].text == "👍"
    assert tokens[0].start == 1


def test_pinyin_makes_homophones_equal():
    from bot.nlu.pinyin_featurizer import token_pinyin
    assert token_pinyin("抱案") == token_pinyin("报案") == "bao an"
    assert token_pinyin("理陪") == token_pinyin("理赔")
    assert token_pinyin("报案") != token_pinyin("保单")
    assert token_pinyin("policy") == "policy"


# --- Traditional Chinese responses ----------------------------------------------------------------------

def test_traditionalize_text_and_buttons():
    from bot.nlg import traditionalize
    response = {
        "text": "您的保单已经生效，请按“转人工”。",
        "buttons": [{"title": "转人工", "payload": "/request_human"},
                    {"title": "我的保单", "payload": "/query_policy"}],
    }
    result = traditionalize(response, "zh-Hant")
    assert result["text"] == "您的保單已經生效，請按“轉人工”。"
    assert [b["title"] for b in result["buttons"]] == ["轉人工", "我的保單"]
    assert [b["payload"] for b in result["buttons"]] == ["/request_human", "/query_policy"]  # untouched


def test_traditionalize_for_cantonese_and_without_text():
    from bot.nlg import traditionalize
    assert traditionalize({"text": "理赔进度"}, "yue")["text"] == "理賠進度"
    assert traditionalize({"text": None, "image": "x.png"}, "yue") == {"text": None, "image": "x.png"}
    assert traditionalize({"text": "Hello", "buttons": None}, "zh-Hant") == {"text": "Hello", "buttons": None}


# --- rate limit in front of the bot ---------------------------------------------------------------------

class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_blocks_and_refills():
    from bot.channels.rate_limited import TokenBucketLimiter
    clock = FakeClock()
    limiter = TokenBucketLimiter(per_minute=30, burst=5, clock=clock)  # one token per 2 s

    assert [limiter.allow("a") for _ in range(5)] == [True] * 5
    assert limiter.allow("a") is False
    assert limiter.allow("b") is True  # every sender has its own bucket

    clock.now += 1.0
    assert limiter.allow("a") is False  # half a token is not enough
    clock.now += 1.0
    assert limiter.allow("a") is True
    assert limiter.allow("a") is False

    clock.now += 600  # a long pause refills the bucket, but never beyond the burst
    assert [limiter.allow("a") for _ in range(6)] == [True] * 5 + [False]


def test_blocked_attempts_do_not_use_tokens():
    from bot.channels.rate_limited import TokenBucketLimiter
    clock = FakeClock()
    limiter = TokenBucketLimiter(per_minute=60, burst=1, clock=clock)
    assert limiter.allow("a") is True
    for _ in range(10):
        clock.now += 0.05
        assert limiter.allow("a") is False
    clock.now += 0.55  # just over 1 s after the first message: one token is back
    assert limiter.allow("a") is True
    assert limiter.allow("a") is False
