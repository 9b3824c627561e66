"""Intent accuracy per language on the held-out split in tests/nlu_heldout/<language>/."""
from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

from rasa.shared.nlu.training_data.loading import load_data

HELDOUT = Path(__file__).resolve().parent / "nlu_heldout"


def heldout_examples() -> Dict[str, List[Tuple[str, str]]]:
    """language -> [(text, expected intent or faq/<topic>)]"""
    examples: Dict[str, List[Tuple[str, str]]] = {}
    for language_dir in sorted(p for p in HELDOUT.iterdir() if p.is_dir()):
        data = load_data(str(language_dir))
        examples[language_dir.name] = [
            (m.get("text"), m.get("intent_response_key") or m.get("intent")) for m in data.intent_examples
        ]
    return examples


def predicted_label(parse: dict) -> str:
    intent = (parse.get("intent") or {}).get("name") or ""
    if intent == "faq":
        key = ((parse.get("response_selector") or {}).get("faq") or {}).get("response", {})
        return key.get("intent_response_key") or intent
    return intent


async def _evaluate(agent) -> Tuple[Dict[str, float], List[Tuple[str, str, str, str]]]:
    correct, total, errors = defaultdict(int), defaultdict(int), []
    for language, examples in heldout_examples().items():
        for text, expected in examples:
            got = predicted_label(await agent.parse_message(text))
            total[language] += 1
            if got == expected:
                correct[language] += 1
            else:
                errors.append((language, text, expected, got))
    accuracy = {language: correct[language] / total[language] for language in total}
    accuracy["all"] = sum(correct.values()) / max(1, sum(total.values()))
    return accuracy, errors


def evaluate(model_path: str):
    from rasa.core.agent import Agent

    agent = Agent.load(model_path)
    return asyncio.run(_evaluate(agent))
