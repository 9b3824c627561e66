"""Response generation in the customer's language.

Designers write each response in Simplified Chinese (the default variation), English and,
where it matters, Cantonese, chosen by the `language` slot (Rasa's conditional variations).
Traditional Chinese is generated here from the Simplified text with OpenCC, so nobody keeps a
fourth copy of every sentence in step by hand.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

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
        response = await super().generate(utter_action, tracker, output_channel, **kwargs)
        language = tracker.get_slot("language")
        # Only Simplified text is converted; written English and Cantonese variations stay as written.
        if response and language in TRADITIONAL and not _written_for_a_language(response):
            response = traditionalize(response, language)
        return response


def _written_for_a_language(response: Dict[Text, Any]) -> bool:
    """A variation chosen by the language slot (English, Cantonese), not by another slot."""
    return any(c.get("name") == "language" for c in response.get("condition") or [])
