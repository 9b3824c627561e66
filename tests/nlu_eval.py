"""Intent accuracy per language on a held-out split, and how long a parse takes.

Three splits: tests/nlu_gate/<language>/ (the gate, written before tuning and never tuned on),
tests/nlu_heldout/<language>/ (the older split, now a development set) and tests/nlu_tuning/<language>/
(fresh phrasings measured while tuning, never trained on). `python -m tests.nlu_eval` prints the gate
and development splits and the parse time; `--splits development tuning` measures without the gate.
One model's figures carry its training seed's noise; `python -m tests.nlu_seeds` trains with several seeds
and prints the mean and min-max.
"""
from __future__ import annotations

import asyncio
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple

from rasa.shared.nlu.training_data.loading import load_data

TESTS = Path(__file__).resolve().parent
GATE = TESTS / "nlu_gate"
DEVELOPMENT = TESTS / "nlu_heldout"
TUNING = TESTS / "nlu_tuning"
SPLITS = {"gate": GATE, "development": DEVELOPMENT, "tuning": TUNING}
HELDOUT = DEVELOPMENT  # the older name
FALLBACK = "nlu_fallback"


def heldout_examples(split: Path = GATE) -> Dict[str, List[Tuple[str, str]]]:
    """language -> [(text, expected intent or faq/<topic>)]"""
    examples: Dict[str, List[Tuple[str, str]]] = {}
    for language_dir in sorted(p for p in split.iterdir() if p.is_dir()):
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


def _offered_meanings(parse: dict, labelled: frozenset):
    """The two meanings the which-meaning question would offer for this parse, or None.

    Exactly the action's rule (actions/disambiguation.py): the fallback came from two close intents,
    and both meanings have an `utter_meaning_*` label (else the bot asks to rephrase instead).
    """
    from actions.disambiguation import close_meanings

    meanings = close_meanings(parse)
    if not meanings or not all(m.replace("/", "_") in labelled for m in meanings):
        return None
    return meanings


def labelled_meanings() -> frozenset:
    """'pay_premium', 'faq_grace_period', ...: the meanings the domain has a button label for."""
    from rasa.shared.core.domain import Domain

    prefix = "utter_meaning_"
    domain = Domain.load(str(TESTS.parent / "bot" / "domain"))
    return frozenset(name[len(prefix):] for name in domain.responses if name.startswith(prefix))


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))] if ordered else 0.0


@dataclass
class Evaluation:
    """Accuracy per language (and "all"), the misses, and what the ambiguity question would do."""

    accuracy: Dict[str, float]
    errors: List[Tuple[str, str, str, str]]
    ambiguous: Dict[str, float] = field(default_factory=dict)  # share of turns that ask which meaning
    right_after_question: float = 1.0  # of those, the share whose two offered meanings hold the right one
    parse_ms: List[float] = field(default_factory=list)
    asked: int = 0  # turns that would ask which meaning
    accuracy_after_question: Dict[str, float] = field(default_factory=dict)  # a question offering the right one counts

    @property
    def parse_p50(self) -> float:
        return percentile(self.parse_ms, 0.5)

    @property
    def parse_p95(self) -> float:
        return percentile(self.parse_ms, 0.95)

    def __iter__(self):  # (accuracy, errors) as before
        return iter((self.accuracy, self.errors))


async def _evaluate(agent, split: Path = GATE) -> Evaluation:
    correct, total, asked, errors, timings = defaultdict(int), defaultdict(int), defaultdict(int), [], []
    answerable, resolved = 0, defaultdict(int)
    labelled = labelled_meanings()
    for language, examples in heldout_examples(split).items():
        for text, expected in examples:
            started = time.perf_counter()
            parse = await agent.parse_message(text)
            timings.append((time.perf_counter() - started) * 1000)
            got = predicted_label(parse)
            total[language] += 1
            offered = _offered_meanings(parse, labelled) if got == FALLBACK else None
            if offered:
                asked[language] += 1  # the bot would ask which of the two the customer meant
                answerable += expected in offered
                resolved[language] += expected in offered
            if got == expected:
                correct[language] += 1
                resolved[language] += 1
            else:
                errors.append((language, text, expected, got + (f" (asks: {' / '.join(offered)})" if offered else "")))
    everything = max(1, sum(total.values()))
    accuracy = {language: correct[language] / total[language] for language in total}
    accuracy["all"] = sum(correct.values()) / everything
    ambiguous = {language: asked[language] / total[language] for language in total}
    ambiguous["all"] = sum(asked.values()) / everything
    after = {language: resolved[language] / total[language] for language in total}
    after["all"] = sum(resolved.values()) / everything
    asked_turns = sum(asked.values())
    return Evaluation(accuracy, errors, ambiguous, answerable / asked_turns if asked_turns else 1.0, timings,
                      asked_turns, after)


def load_agent(model_path: str):
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # else every parse is printed at debug level
    return Agent.load(model_path)


def evaluate(model_path: str, split: Path = GATE, agent=None) -> Evaluation:
    return asyncio.run(_evaluate(agent or load_agent(model_path), split))


def summary(name: str, evaluation: Evaluation) -> str:
    e = evaluation
    offered = (f"right meaning among the two offered {e.right_after_question:.0%} ({e.asked} asked)" if e.asked
               else "never asked")
    return (f"{name}: " + ", ".join(f"{k} {v:.1%}" for k, v in e.accuracy.items())
            + f"\n  which-meaning question on {e.ambiguous.get('all', 0):.1%} of turns ("
            + ", ".join(f"{k} {v:.1%}" for k, v in e.ambiguous.items() if k != "all") + f"), {offered};"
            + " right after one question: " + ", ".join(f"{k} {v:.1%}" for k, v in e.accuracy_after_question.items())
            + f"\n  NLU parse per message over {len(e.parse_ms)} messages: p50 {e.parse_p50:.1f} ms,"
              f" p95 {e.parse_p95:.1f} ms, mean {statistics.mean(e.parse_ms):.1f} ms")


def language_table(evaluations: Dict[str, Evaluation]) -> str:
    """A Markdown table: accuracy and ambiguity-question rate per language, for each split."""
    languages = sorted({k for e in evaluations.values() for k in e.accuracy} - {"all"}) + ["all"]
    lines = ["| split | " + " | ".join(languages)
             + " | asked which meaning | right meaning offered | parse p50 | parse p95 |",
             "| --- |" + " --- |" * (len(languages) + 4)]
    for name, e in evaluations.items():
        lines.append(f"| {name} | " + " | ".join(f"{e.accuracy[k]:.1%}" for k in languages)
                     + f" | {e.ambiguous.get('all', 0):.1%} | "
                     + (f"{e.right_after_question:.0%} of {e.asked}" if e.asked else "never asked")
                     + f" | {e.parse_p50:.1f} ms | {e.parse_p95:.1f} ms |")
    return "\n".join(lines) + "\n"


def write_report(evaluations: Dict[str, Evaluation], out: Path) -> None:
    """var/reports/: the per-language table and every miss, grouped by split and language."""
    import yaml

    out.mkdir(parents=True, exist_ok=True)
    (out / "nlu_languages.md").write_text(language_table(evaluations), encoding="utf-8")
    misses = {name: [{"language": language, "text": text, "expected": expected, "predicted": got}
                     for language, text, expected, got in e.errors] for name, e in evaluations.items()}
    (out / "nlu_misses.yml").write_text(yaml.safe_dump(misses, allow_unicode=True, sort_keys=False, width=200),
                                        encoding="utf-8")


def main(argv=None) -> None:
    import argparse

    from tests.servers import MODEL

    parser = argparse.ArgumentParser(description="intent accuracy per language on the gate and development splits")
    parser.add_argument("--report", type=Path, help="also write the table and the misses to this directory")
    parser.add_argument("--splits", nargs="+", choices=sorted(SPLITS), default=["gate", "development"],
                        help="which splits to measure (tuning without the gate: `--splits development tuning`)")
    parser.add_argument("--model", default=str(MODEL), help="the trained model to measure")
    args = parser.parse_args(argv)
    agent = load_agent(args.model)
    evaluate(args.model, SPLITS[args.splits[0]], agent)  # warm-up: the first parses build TensorFlow's graphs
    evaluations = {name: evaluate(args.model, SPLITS[name], agent) for name in args.splits}
    for name, evaluation in evaluations.items():
        print(summary(name, evaluation))
        for language, text, expected, got in evaluation.errors:
            print(f"  miss [{language}] {text!r}: expected {expected}, got {got}")
    if args.report:
        write_report(evaluations, args.report)
        print(f"{args.report}/nlu_languages.md, {args.report}/nlu_misses.yml")


if __name__ == "__main__":
    main()
