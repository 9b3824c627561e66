"""Every customer-facing text in the customer's language and script, in all four languages.

Walks every response of the domain (each variation, chosen as bot/nlg.py chooses it for each
language and each value the variations are conditioned on), every button title, every notice a
channel or the service writes per language (module-level tables keyed by language), and every
label of the web chat page; fails on a wrong script (tests/script_check.py).
"""
from __future__ import annotations

import importlib
import itertools
import pkgutil
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from rasa.shared.core.domain import Domain

from actions.service.constants import LANGUAGES
from bot.nlg import LocalizedResponseGenerator
from tests.script_check import script_problem

ROOT = Path(__file__).resolve().parents[2]
LANGUAGE_KEYS = set(LANGUAGES)
# Tables keyed by language that are not said to anyone: what customers call each language (patterns).
NOT_SAID = {"actions.service.language._LANGUAGE_NAMES",
            "bot.console.labels.LANGUAGES"}  # the agent console's names of the languages, bilingual


@pytest.fixture(scope="module")
def generator() -> LocalizedResponseGenerator:
    return LocalizedResponseGenerator(domain=Domain.load(str(ROOT / "bot" / "domain")))


def _slot_choices(variations: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Every combination of the non-language slot values the variations are conditioned on."""
    values: Dict[str, set] = {}
    for variation in variations:
        for condition in variation.get("condition") or []:
            if condition.get("name") != "language":
                values.setdefault(condition["name"], {None}).add(condition.get("value"))
    names = sorted(values)
    return [dict(zip(names, combo)) for combo in itertools.product(*(sorted(values[n], key=str) for n in names))]


def _texts(response: Dict[str, Any]) -> Iterator[str]:
    yield response.get("text") or ""
    for button in response.get("buttons") or []:
        yield button.get("title") or ""


def test_every_response_and_button_is_in_the_customers_script(generator):
    problems = []
    for name, variations in generator.responses.items():
        # digits stand in for what an action puts in ({product} is checked in the REST conversations)
        values = {key: "1" for v in variations for key in re.findall(r"\{(\w+)\}", str(v))}
        for slots, language in itertools.product(_slot_choices(variations), LANGUAGES):
            for _ in range(3):  # several variations may match: Rasa picks at random
                response = generator.generate_in_language(name, {**slots, "language": language}, "rest", **values)
                if response is None:
                    problems.append(f"{name} [{language}] {slots}: nothing to say")
                    break
                assert response["language"] == language
                for text in _texts(response):
                    problem = script_problem(text, language)
                    if problem:
                        problems.append(f"{name} [{language}] {slots}: {problem}: {text[:60]!r}")
    assert not sorted(set(problems)), "\n".join(sorted(set(problems)))


def test_a_variation_conditioned_on_another_slot_names_its_language(generator):
    """Otherwise Rasa would choose it at random for an English customer too (the claim checklist)."""
    unnamed = [name for name, variations in generator.responses.items() for v in variations
               if v.get("condition") and not any(c.get("name") == "language" for c in v["condition"])]
    assert not unnamed, unnamed


def _language_tables(value: Any, where: str) -> Iterator[Tuple[str, str, str]]:
    """(where, language, text) for each text in a table keyed by language, however deeply nested."""
    if isinstance(value, dict):
        keys = {k for k in value if isinstance(k, str)}
        if len(keys & LANGUAGE_KEYS) >= 2 and keys <= LANGUAGE_KEYS:
            for language, text in value.items():
                if language not in LANGUAGE_KEYS:  # None: a text in both languages, when none is known
                    continue
                for leaf in _strings(text):
                    yield where, language, leaf
            return
        for key, inner in value.items():
            yield from _language_tables(inner, f"{where}[{key!r}]")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _modules() -> Iterator[Any]:
    for package in ("bot", "actions", "voice"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if info.name.endswith(("__main__", ".server", ".serve", ".scheduler", ".staff_cli", ".seed")):
                continue
            yield importlib.import_module(info.name)


def test_every_notice_table_is_in_the_customers_script():
    problems, seen = [], 0
    for module in _modules():
        for attribute, value in vars(module).items():
            if attribute.startswith("__") or getattr(value, "__module__", module.__name__) != module.__name__:
                continue
            if f"{module.__name__}.{attribute}" in NOT_SAID:
                continue
            for where, language, text in _language_tables(value, f"{module.__name__}.{attribute}"):
                seen += 1
                problem = script_problem(text, language)
                if problem:
                    problems.append(f"{where} [{language}]: {problem}: {text[:60]!r}")
    assert seen > 50  # the walk found the tables (human lane, guard, Telegram, voice, ...)
    assert not problems, "\n".join(problems)


def _page_words() -> Dict[str, Dict[str, str]]:
    """The web chat page's words per language, read from the UI table in chat.js."""
    source = (ROOT / "bot" / "pages" / "web" / "chat.js").read_text(encoding="utf-8")
    table = source[source.index("var UI = {"):source.index("\n  };", source.index("var UI = {"))]
    words: Dict[str, Dict[str, str]] = {}
    for block in re.finditer(r'"?(zh-Hans|zh-Hant|yue|en)"?: \{(.*?)\n    \}', table, re.S):
        words[block.group(1)] = {m.group(1): "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2)))
                                 for m in re.finditer(r"(\w+): ((?:\"(?:[^\"\\]|\\.)*\"(?: \+ \w+ \+ )?)+)",
                                                      block.group(2))}
    return words


def test_every_page_label_and_notice_is_in_the_customers_script():
    words = _page_words()
    assert set(words) == LANGUAGE_KEYS
    keys = set(words["zh-Hans"])
    assert len(keys) > 25 and "offline" in keys
    problems = []
    for language, table in words.items():
        assert set(table) == keys, f"{language} lacks {keys - set(table)}"
        problems += [f"{language}.{key}: {script_problem(text, language)}: {text!r}"
                     for key, text in table.items() if script_problem(text, language)]
    assert not problems, "\n".join(problems)
