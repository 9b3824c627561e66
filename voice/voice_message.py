"""One voice message in, the bot's answers out as text and speech (HTTP voice channel, Telegram).

    answer_voice_message(sender_id, audio, handle_text, preference=...) -> VoiceReply

1. decode (any container; AudioError for empty/corrupt/too long audio — the caller answers 4xx);
2. recognize: forced to Cantonese when the customer's conversation language or stored dialect is
   Cantonese (Whisper base reports Cantonese as zh), else Whisper's zh/yue/en detection;
3. the transcript goes to the bot exactly like typed text (handle_text), so the bot's language
   detection handles "讲粤语" / "說國語" / "speak English" as it does in chat;
4. each reply is spoken in the conversation's language after the turn and the customer's dialect,
   encoded as OGG/Opus and kept under an unguessable id for ANXIN_VOICE_REPLY_TTL seconds.
Nobody heard: no turn is sent to the bot; the caller is asked, in their language, to say it again.
"""
from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from actions.service.core.settings import get_settings
from actions.service.formatting import mask_digits_in_text
from actions.service.language import language_for_turn, requested_language
from voice.asr import Transcript, get_recognizer
from voice.audio import AudioError, decode_to_pcm16k, encode_ogg_opus
from voice.phrases import NOT_HEARD, TURN_FAILED
from voice.read_aloud import spoken_text
from voice.tts import TTSError, synthesize, voice_for

logger = logging.getLogger(__name__)

AUDIO_ROUTE = "/webhooks/voice/audio"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")

HandleText = Callable[[str, str, Optional[Dict[str, Any]]], Awaitable[List[Dict[str, Any]]]]
# (sender_id) -> (conversation language zh-Hans/zh-Hant/yue/en or None, stored dialect or "")
Preference = Callable[[str], Awaitable[Tuple[Optional[str], str]]]

# What the gateway itself says, in the customer's language.
PHRASES = {
    "not_heard": NOT_HEARD,
    "failed": TURN_FAILED,
    "empty": {
        "zh-Hans": "没有收到声音。请按住按钮再说一次。",
        "zh-Hant": "沒有收到聲音。請按住按鈕再說一次。",
        "yue": "收唔到聲音。請按住個掣再講一次。",
        "en": "We received no sound. Please hold the button and speak again.",
    },
    "not_audio": {
        "zh-Hans": "这段录音打不开。请再录一次。",
        "zh-Hant": "這段錄音打不開。請再錄一次。",
        "yue": "呢段錄音開唔到。請再錄一次。",
        "en": "We could not play this recording. Please record it again.",
    },
    "too_long": {
        "zh-Hans": "录音太长了。请说短一点，一分钟以内。",
        "zh-Hant": "錄音太長了。請說短一點，一分鐘以內。",
        "yue": "段錄音太長喇。請講短啲，一分鐘以內。",
        "en": "The recording is too long. Please keep it under one minute.",
    },
    "busy": {
        "zh-Hans": "您发得有点快，请稍等一下再说。",
        "zh-Hant": "您發得有點快，請稍等一下再說。",
        "yue": "您講得有啲快，請等一陣先再講。",
        "en": "You're sending messages a little fast. Please wait a moment.",
    },
}
PHRASES["corrupt"] = PHRASES["not_audio"]
ASR_LANGUAGE_TO_PRODUCT = {"zh": "zh-Hans", "yue": "yue", "en": "en"}


def phrase(kind: str, language: Optional[str]) -> str:
    variants = PHRASES[kind]
    return variants.get(language or "", variants["zh-Hans"])


@dataclass
class VoiceReply:
    transcript: str
    language: str                      # what the caller spoke: "zh" | "yue" | "en"
    messages: List[Dict[str, Any]]     # the bot's messages, each with "text" and "audio_url"
    reply_language: str = "zh-Hans"    # the product language the replies are in
    voice: str = ""
    timings: Dict[str, float] = field(default_factory=dict)

    def as_json(self) -> Dict[str, Any]:
        return {"transcript": self.transcript, "language": self.language, "messages": self.messages,
                "reply_language": self.reply_language, "voice": self.voice}


# --- reply audio store: unguessable ids, expiring ----------------------------------------------

def reply_dir() -> Path:
    return get_settings().voice_reply_dir


def _forget_old_replies(directory: Path) -> None:
    cutoff = time.time() - get_settings().voice_reply_ttl
    for old in directory.glob("*.ogg"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass  # another worker removed it first


def store_reply_audio(ogg: bytes) -> str:
    directory = reply_dir()
    directory.mkdir(parents=True, exist_ok=True)
    _forget_old_replies(directory)
    audio_id = secrets.token_urlsafe(24)
    (directory / f"{audio_id}.ogg").write_bytes(ogg)
    return audio_id


def reply_audio(audio_id: str) -> Optional[bytes]:
    """The OGG/Opus bytes of a stored reply, or None (unknown, malformed or expired id)."""
    if not _TOKEN.match(audio_id or ""):
        return None
    path = reply_dir() / f"{audio_id}.ogg"
    try:
        if path.stat().st_mtime < time.time() - get_settings().voice_reply_ttl:
            return None
        return path.read_bytes()
    except OSError:
        return None


def audio_url(audio_id: str) -> str:
    return f"{get_settings().public_url}{AUDIO_ROUTE}/{audio_id}"


# --- speaking the replies ----------------------------------------------------------------------

async def speak(text: str, voice: str) -> Optional[str]:
    """Synthesize, encode and store; the audio id, or None when no engine could speak."""
    if not text:
        return None
    try:
        speech = await asyncio.to_thread(synthesize, text, voice)
        ogg = await asyncio.to_thread(encode_ogg_opus, speech.audio, speech.sample_rate)
    except (TTSError, AudioError) as error:
        logger.error("no speech for a reply (%s); the client shows the text", error)
        return None
    return store_reply_audio(ogg)


async def spoken_messages(messages: List[Dict[str, Any]], language: str, voice: str) -> List[Dict[str, Any]]:
    spoken = []
    for message in messages:
        entry = dict(message)
        entry.setdefault("text", "")
        audio_id = await speak(spoken_text(message, language), voice)
        entry["audio_url"] = audio_url(audio_id) if audio_id else None
        entry["audio_id"] = audio_id
        spoken.append(entry)
    return spoken


async def polite_reply(kind: str, language: Optional[str], voice: str = "", text: str = "") -> Dict[str, Any]:
    """A gateway message (bad audio, not heard, too fast) as a spoken message dict."""
    language = language or "zh-Hans"
    text = text or phrase(kind, language)
    audio_id = await speak(text, voice or voice_for(language))
    return {"text": text, "audio_url": audio_url(audio_id) if audio_id else None, "audio_id": audio_id}


# --- the whole turn ----------------------------------------------------------------------------

# Languages callers asked for by name ("讲粤语", "說國語", "speak English"): they hold for the rest
# of the call, over the stored dialect (a Cantonese customer who asks for Mandarin gets Mandarin).
_asked: Dict[str, str] = {}


def _reply_voice(sender_id: str, language: str, dialect: str) -> str:
    asked = _asked.get(sender_id)
    if asked:
        return voice_for(asked)
    if language == "en" or not dialect:
        return voice_for(language)
    # The stored dialect refines Chinese: Cantonese, Henan, Northeastern ... even on Simplified text.
    return voice_for(language, dialect)


def _asr_language(sender_id: str, language: Optional[str], dialect: str) -> Optional[str]:
    """Force Cantonese for Cantonese callers (Whisper base hears it as zh); otherwise detect."""
    if _reply_voice(sender_id, language or "zh-Hans", dialect) == voice_for("yue"):
        return "yue"
    return None


def _remember_request(sender_id: str, text: str) -> None:
    asked = requested_language(text)
    if asked:
        if len(_asked) > 100_000:  # forget old calls rather than grow without bound
            _asked.clear()
        _asked[sender_id] = asked


async def _no_preference(sender_id: str) -> Tuple[Optional[str], str]:
    return None, ""


async def hear(sender_id: str, audio: bytes, language_before: Optional[str], dialect: str
               ) -> Tuple[Transcript, Dict[str, float]]:
    """Decode and recognize one voice message (Cantonese forced for Cantonese customers); AudioError
    for unusable audio. A language asked for by name is remembered for the sender's replies."""
    started = time.perf_counter()
    samples = await asyncio.to_thread(decode_to_pcm16k, audio)
    decoded = time.perf_counter()
    transcript: Transcript = await asyncio.to_thread(
        get_recognizer().transcribe, samples, language=_asr_language(sender_id, language_before, dialect),
        prefer="en" if language_before == "en" else None)
    timings = {"decode": decoded - started, "asr": time.perf_counter() - decoded, "audio_seconds": len(samples) / 16000}
    if transcript.text:
        _remember_request(sender_id, transcript.text)
    return transcript, timings


async def not_heard_reply(sender_id: str, transcript: Transcript, language_before: Optional[str],
                          dialect: str) -> VoiceReply:
    """Nobody heard anything usable: the caller is asked, in their language, to say it again."""
    language = language_before or ASR_LANGUAGE_TO_PRODUCT[transcript.language]
    if transcript.language == "yue" and language == "zh-Hant":
        language = "yue"  # listened for Cantonese (the stored dialect): say it in Cantonese, as the voice does
    voice = _reply_voice(sender_id, language, dialect)
    message = await polite_reply("not_heard", language, voice)
    return VoiceReply("", transcript.language, [message], language, voice)


def reply_language(transcript: str, language_before: Optional[str], language_after: Optional[str]) -> str:
    """The bot's own choice (its language slot, which explicit switches set) wins; without a tracker,
    the same rules the bot uses applied to the transcript."""
    return language_after or language_for_turn(transcript, language_before)


async def spoken_answers(sender_id: str, messages: List[Dict[str, Any]], language: str,
                         dialect: str) -> Tuple[List[Dict[str, Any]], str]:
    """The bot's messages with speech, in the reply language and the sender's voice; (messages, voice)."""
    voice = _reply_voice(sender_id, language, dialect)
    return await spoken_messages(messages, language, voice), voice


async def answer_voice_message(sender_id: str, audio: bytes, handle_text: HandleText,
                               preference: Optional[Preference] = None,
                               metadata: Optional[Dict[str, Any]] = None) -> VoiceReply:
    """Transcribe, let the bot answer, speak the answers. Raises AudioError for unusable audio."""
    preference = preference or _no_preference
    started = time.perf_counter()
    language_before, dialect = await preference(sender_id)
    transcript, timings = await hear(sender_id, audio, language_before, dialect)
    recognized = time.perf_counter()
    if not transcript.text:
        reply = await not_heard_reply(sender_id, transcript, language_before, dialect)
        reply.timings = {**timings, "tts": time.perf_counter() - recognized}
        return reply

    bot_messages = await handle_text(sender_id, transcript.text,
                                     {**(metadata or {}), "voice": {"asr_language": transcript.language}})
    answered = time.perf_counter()
    language_after, dialect = await preference(sender_id)
    language = reply_language(transcript.text, language_before, language_after)
    messages, voice = await spoken_answers(sender_id, bot_messages, language, dialect)
    timings.update({"rasa": answered - recognized, "tts": time.perf_counter() - answered,
                    "total": time.perf_counter() - started})
    logger.info("voice turn %s: %s heard %r; decode %.2fs asr %.2fs rasa %.2fs tts %.2fs",
                mask_digits_in_text(sender_id), transcript.language, mask_digits_in_text(transcript.text),
                timings["decode"], timings["asr"], timings["rasa"], timings["tts"])
    return VoiceReply(transcript.text, transcript.language, messages, language, voice, timings)
