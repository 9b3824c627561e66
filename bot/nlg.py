"""Response generation in the customer's language.

Designers write each response in Simplified Chinese (the default variation), English and,
where it matters, Cantonese, chosen by the `language` slot (Rasa's conditional variations).
Traditional Chinese is generated here from the Simplified text with OpenCC, so nobody keeps a
fourth copy of every sentence in step by hand.

A variation conditioned on another slot as well (the claim checklist by event type) names its
language too (`zh-Hans` for the Simplified one): Rasa picks at random among all variations whose
conditions match, so one without a language would be sent to English customers half the time.
Traditional customers get the Simplified variation converted unless one is written for them.
Every generated response carries `language`, so a page shows its own labels in the same language.

Button payloads that carry entities (`/inform{"payment_method":"alipay"}`) are left as written: Rasa
would read their braces as a slot template, fail, and log the KeyError with a traceback for every
such button of every turn. Button titles are still filled.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.nlg import TemplatedNaturalLanguageGenerator, interpolator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from actions.service.constants import DEFAULT_LANGUAGE, LANGUAGES
from actions.service.core.settings import get_settings
from actions.service.language import to_traditional

TRADITIONAL = ("zh-Hant", "yue")


def traditionalize(response: Dict[Text, Any], language: str) -> Dict[Text, Any]:
    """The same response with its text and button titles in Traditional characters."""
    if response.get("text"):
        response["text"] = to_traditional(response["text"], language)
    for button in response.get("buttons") or []:
        button["title"] = to_traditional(button.get("title", ""), language)
    return response


class LocalizedResponseGenerator(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None) -> None:
        super().__init__((domain or Domain.empty()).responses)

    async def generate(self, utter_action: Text, tracker: DialogueStateTracker, output_channel: Text,
                       **kwargs: Any) -> Optional[Dict[Text, Any]]:
        return self.generate_in_language(utter_action, tracker.current_slot_values(), output_channel, **kwargs)

    def generate_in_language(self, utter_action: Text, filled_slots: Dict[Text, Any], output_channel: Text,
                             **kwargs: Any) -> Optional[Dict[Text, Any]]:
        """The response in the language of the `language` slot, tagged with that language."""
        language = filled_slots.get("language")
        language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        slots = {**filled_slots, "language": language}
        kwargs = {"hotline": get_settings().hotline, **kwargs}  # one configured number, {hotline} in any text
        if language in TRADITIONAL:
            # Values put into a Cantonese sentence (a product, a place) must be Traditional too.
            written = self.generate_from_slots(utter_action, slots, output_channel,
                                               **_values_in_traditional(kwargs, language))
            if written is not None and not _written_for(written, language):
                simplified = self.generate_from_slots(utter_action, {**slots, "language": DEFAULT_LANGUAGE},
                                                      output_channel, **kwargs)
                written = traditionalize(simplified, language) if simplified is not None else None
        else:
            written = self.generate_from_slots(utter_action, slots, output_channel, **kwargs)
        if written is not None:
            written["language"] = language
        return written

    def _fill_response(self, response: Dict[Text, Any], filled_slots: Optional[Dict[Text, Any]] = None,
                       **kwargs: Any) -> Dict[Text, Any]:
        buttons = response.pop("buttons", None)
        filled = super()._fill_response(response, filled_slots, **kwargs)
        if buttons is not None:
            filled["buttons"] = _filled_buttons(buttons, self._response_variables(filled_slots, kwargs))
        return filled


def _filled_buttons(buttons: List[Dict[Text, Any]], values: Dict[Text, Any]) -> List[Dict[Text, Any]]:
    filled = []
    for button in buttons:
        button = dict(button)
        button["title"] = interpolator.interpolate_text(button.get("title", ""), values)
        payload = button.get("payload")
        if isinstance(payload, str) and "{" in payload and '{"' not in payload:  # a slot template, no entities
            button["payload"] = interpolator.interpolate_text(payload, values)
        filled.append(button)
    return filled


def _written_for(response: Dict[Text, Any], language: str) -> bool:
    """A variation written for this language (its condition names it), not generated from Simplified."""
    return any(c.get("name") == "language" and c.get("value") == language for c in response.get("condition") or [])


def _values_in_traditional(values: Dict[Text, Any], language: str) -> Dict[Text, Any]:
    return {k: to_traditional(v, language) if isinstance(v, str) else v for k, v in values.items()}
