"""Keys (DTMF): 0 a person, 9 repeat, * the language menu, a spoken menu's keys, typed digits sent as text.

0 = a person at any moment, 9 = repeat the last prompt, * = language menu (1 普通话, 2 廣東話,
3 English), the keys of a spoken button menu, and other digits typed and ended with # (or a 3 s
pause) are sent to the bot as text — an old caller can key in the ID digits.
"""
from __future__ import annotations

import logging
from typing import Awaitable, Callable, Dict

from actions.service.constants import HUMAN_PAYLOAD
from voice.phone import prompts
from voice.phone.call_state import CallState
from voice.phone.frames import CallerAudio, KeyPressed
from voice.phone.pipeline import FrameProcessor
from voice.phone.playback import Playback

logger = logging.getLogger(__name__)

DIGIT_TIMEOUT_S = 3.0  # typed digits are sent after this pause even without #


class Keypad(FrameProcessor):
    """Acts on the caller's keys; typed digits and menu choices go to the bot as text."""

    def __init__(self, call: CallState, playback: Playback, answer: Callable[[str], Awaitable[None]]) -> None:
        super().__init__()
        self.call = call
        self.playback = playback
        self.answer = answer  # text for the bot's turn (run beside the frames)
        self.key_actions: Dict[str, str] = {}  # the spoken button menu: key -> payload
        self.menu_active = False  # the language menu's keys 1-3 choose the language
        self.digits = ""
        self.last_key_at = 0.0

    def offer(self, key_actions: Dict[str, str]) -> None:
        """The bot's reply ends with buttons: these keys choose them."""
        self.key_actions = key_actions

    def close_menus(self) -> None:
        """The bot has the turn: an earlier menu's keys mean nothing now."""
        self.menu_active = False
        self.key_actions = {}

    async def process(self, frame: object) -> None:
        if isinstance(frame, KeyPressed):
            await self.push(frame)  # the steps after this one forget the turn under way first
            await self._on_key(frame.digit)
            return
        if (isinstance(frame, CallerAudio) and self.digits
                and self.call.audio_clock - self.last_key_at >= DIGIT_TIMEOUT_S):
            self._submit_digits()
        await self.push(frame)

    async def _on_key(self, digit: str) -> None:
        call, playback = self.call, self.playback
        typed = bool(self.digits) or digit not in (prompts.HUMAN_KEY, prompts.REPEAT_KEY, prompts.MENU_KEY,
                                                    prompts.ENTER_KEY)
        # Typed digits may be ID digits: the log says only that a digit was typed.
        logger.info("phone call %s: key %s", call.sender_id, "(digit)" if typed else digit)
        call.waiting_since = None
        self.last_key_at = call.audio_clock
        if digit == prompts.HUMAN_KEY and not self.digits:
            call.handoff_requested = True
            await playback.interrupt()
            call.spawn(self.answer(HUMAN_PAYLOAD))
        elif digit == prompts.REPEAT_KEY and not self.digits:
            await playback.interrupt()
            playback.speak(playback.last_prompt)
        elif digit == prompts.MENU_KEY:
            self.digits = ""
            await playback.interrupt()
            self.menu_active = True
            playback.speak(prompts.language_menu() + [(call.language, prompts.text("human_option", call.language))])
        elif self.menu_active and digit in prompts.LANGUAGE_KEYS and not self.digits:
            await playback.interrupt()
            await self._choose_language(prompts.LANGUAGE_KEYS[digit])
        elif digit in self.key_actions and not self.digits:
            await playback.interrupt()
            call.spawn(self.answer(self.key_actions[digit]))
        elif digit == prompts.ENTER_KEY:
            self._submit_digits()
        else:
            await playback.interrupt()
            self.digits += digit

    def _submit_digits(self) -> None:
        digits, self.digits = self.digits, ""
        if digits:
            self.call.spawn(self.answer(digits))

    async def _choose_language(self, language: str) -> None:
        self.menu_active = False
        self.call.language = language
        try:
            await self.call.hooks.set_slots(self.call.sender_id, {"language": language})
        except Exception:
            logger.exception("phone call %s: could not store the language", self.call.sender_id)
        self.playback.speak([(language, prompts.text("language_chosen", language))])
