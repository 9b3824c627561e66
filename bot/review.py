"""`make review`: what real customers said that the bot did not understand, for conversation designers.

Reads the tracker store (Rasa's SQL `events` table, the same URL as bot/endpoints.yml) and writes a
YAML review file of the customers' own words that
- fell back (nlu_fallback, out_of_scope),
- were ambiguous (two intents too close: the bot asked which one was meant),
- came right before a request for a person, or
- came right before a low rating (1 or 2),
masked (numbers), grouped (the same words once, with a count) and with the intent the model
predicted. Its `nlu:` part is Rasa training data grouped by predicted intent: a designer corrects
the intent and moves the lines into data/nlu/ (never into tests/nlu_gate/).

    python -m bot.review [--tracker-store URL] [--out var/reports/review.yml] [--since-days N]
"""
from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence

import sqlalchemy as sa
import yaml

from actions.service.core.settings import get_settings
from actions.service.formatting import mask_card_and_id_numbers
from actions.service.language import to_simplified

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "var" / "reports" / "review.yml"
FALLBACK, AMBIGUOUS, BEFORE_HANDOFF, BEFORE_LOW_RATING = "fallback", "ambiguous", "before_handoff", "before_low_rating"
REASONS = (FALLBACK, AMBIGUOUS, BEFORE_HANDOFF, BEFORE_LOW_RATING)
NOT_UNDERSTOOD = ("nlu_fallback", "out_of_scope")
HANDOFF_ACTION = "action_handoff"
LOW_RATING = 2
# Any run of 3+ digits (phone, policy, claim and ID numbers, amounts): the words matter here, not the numbers.
_DIGITS = re.compile(r"\d(?:[\d\s-]*\d){2,}")


def masked(text: str) -> str:
    return _DIGITS.sub("***", mask_card_and_id_numbers(text)).strip()


@dataclass(frozen=True)
class Utterance:
    text: str
    predicted: str
    position: int  # its event's index in the conversation: one saying found for two reasons counts once


@dataclass
class Finding:
    """One masked phrasing: how often each reason was seen, and the intents predicted for it."""

    text: str
    reasons: Counter = field(default_factory=Counter)
    predicted: Counter = field(default_factory=Counter)
    sayings: set = field(default_factory=set)  # (conversation, position) of each time it was said

    @property
    def count(self) -> int:
        return len(self.sayings)


def _predicted(parse: dict) -> str:
    """The model's own guess: the intent behind nlu_fallback, the FAQ topic for faq."""
    ranking = parse.get("intent_ranking") or []
    intent = (parse.get("intent") or {}).get("name") or ""
    if intent == "nlu_fallback" and len(ranking) > 1:
        intent = ranking[1].get("name") or intent
    if intent == "faq":
        key = ((parse.get("response_selector") or {}).get("faq") or {}).get("response", {}).get("intent_response_key")
        intent = key or intent
    return intent


def _is_ambiguous(parse: dict) -> bool:
    ranking = parse.get("intent_ranking") or []
    return (len(ranking) >= 3 and ranking[0].get("name") == "nlu_fallback"
            and (ranking[1].get("confidence") or 0) >= (ranking[0].get("confidence") or 0))


def _low_rating(parse: dict) -> bool:
    if (parse.get("intent") or {}).get("name") != "give_feedback":
        return False
    for entity in parse.get("entities") or []:
        if entity.get("entity") == "rating" and str(entity.get("value")).strip().isdigit():
            return int(str(entity["value"]).strip()) <= LOW_RATING
    return False


def findings_in_conversation(events: Sequence[dict]) -> Iterator[tuple]:
    """(reason, Utterance) for each customer phrasing worth a designer's look, in one conversation's events."""
    said: List[Utterance] = []  # the customer's own words so far (button payloads are not words)
    for position, event in enumerate(events):
        kind = event.get("event")
        if kind == "user":
            parse = event.get("parse_data") or {}
            text = (event.get("text") or "").strip()
            intent = (parse.get("intent") or {}).get("name")
            if _low_rating(parse) and said:
                yield BEFORE_LOW_RATING, said[-1]
            if not text or text.startswith("/"):
                continue
            utterance = Utterance(masked(text), _predicted(parse), position)
            if intent in NOT_UNDERSTOOD:
                yield (AMBIGUOUS if _is_ambiguous(parse) else FALLBACK), utterance
            said.append(utterance)
        elif kind == "action" and event.get("name") == HANDOFF_ACTION:
            # The words before the request for a person: what the bot failed at. The request itself
            # ("转人工") is the last thing said when it was typed, so look one further back.
            before = [u for u in said if u.predicted != "request_human"]
            if before:
                yield BEFORE_HANDOFF, before[-1]
            said.clear()


def conversations(tracker_store_url: str, since: Optional[float] = None) -> Iterator[List[dict]]:
    """Each conversation's events, oldest first, from Rasa's SQL tracker store."""
    engine = sa.create_engine(tracker_store_url)
    try:
        events = sa.Table("events", sa.MetaData(), autoload_with=engine)
        query = sa.select(events.c.sender_id, events.c.data).order_by(events.c.sender_id, events.c.id)
        if since is not None:
            query = query.where(events.c.timestamp >= since)
        current, batch = None, []
        with engine.connect() as connection:
            for sender_id, data in connection.execute(query):
                if sender_id != current and batch:
                    yield batch
                    batch = []
                current = sender_id
                batch.append(json.loads(data))
        if batch:
            yield batch
    finally:
        engine.dispose()


def review(all_events: Iterable[Sequence[dict]]) -> Dict[str, Finding]:
    found: Dict[str, Finding] = {}
    for conversation, events in enumerate(all_events):
        for reason, utterance in findings_in_conversation(events):
            key = to_simplified(utterance.text).lower()  # 保單 and 保单 are one phrasing
            finding = found.setdefault(key, Finding(utterance.text))
            finding.reasons[reason] += 1
            if (conversation, utterance.position) not in finding.sayings:
                finding.sayings.add((conversation, utterance.position))
                finding.predicted[utterance.predicted] += 1
    return found


def review_document(found: Dict[str, Finding]) -> dict:
    ordered = sorted(found.values(), key=lambda f: (-f.count, f.text))
    by_intent: Dict[str, List[str]] = defaultdict(list)
    for finding in ordered:
        by_intent[finding.predicted.most_common(1)[0][0]].append(finding.text)
    return {
        "version": "3.1",
        "summary": {reason: sum(f.reasons[reason] for f in ordered) for reason in REASONS},
        "utterances": [{"text": f.text, "count": f.count, "predicted": f.predicted.most_common(1)[0][0],
                        "reasons": dict(f.reasons.most_common())} for f in ordered],
        "nlu": [{"intent": intent, "examples": "".join(f"- {text}\n" for text in texts)}
                for intent, texts in sorted(by_intent.items())],
    }


_HEADER = """\
# What customers said that the bot did not understand (python -m bot.review), most frequent first.
# Numbers are masked (***). `predicted` is the model's guess, not the truth.
# To teach the bot: in `nlu:` below, put each line under the intent it really meant (or delete it),
# then move the block into data/nlu/<intent>.yml and retrain (`make train`). Never into tests/nlu_gate/.
"""


class _LiteralDumper(yaml.SafeDumper):
    pass


_LiteralDumper.add_representer(
    str, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value,
                                                       style="|" if "\n" in value else None))


def write_review(found: Dict[str, Finding], out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.dump(review_document(found), Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False, width=200)
    out.write_text(_HEADER + body, encoding="utf-8")
    return out


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    # The same URL the Rasa server stores conversations at (bot/endpoints.yml, scripts/env.sh).
    parser.add_argument("--tracker-store", default=get_settings().tracker_store_url)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--since-days", type=float, default=None, help="only conversations of the last N days")
    args = parser.parse_args(argv)
    since = time.time() - args.since_days * 86400 if args.since_days else None
    found = review(conversations(args.tracker_store, since))
    path = write_review(found, args.out)
    print(f"{path}: {len(found)} phrasings to review, {sum(f.count for f in found.values())} occurrences")


if __name__ == "__main__":
    main()
