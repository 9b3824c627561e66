"""Intent accuracy over several training seeds: one training's noise alone moves a language by up to 3.6 points.

    python -m tests.nlu_seeds                  # 3 seeds, development and tuning splits
    python -m tests.nlu_seeds --seeds 5 --save var/reports/nlu_seeds.json
    python -m tests.nlu_seeds --data /tmp/candidate-data   # a copy of data/ with a batch added

For each seed (2026, 2027, ...) it trains the NLU only (`rasa train nlu` on data/ with bot/domain), with
bot/config.yml unchanged except DIET's and the ResponseSelector's `random_seed` (a temporary config),
measures the model on each split (tests/nlu_eval.py), and prints per language and split the mean and the
min-max accuracy, a row for development+tuning together, and the phrasings most seeds missed (a miss one
seed makes is noise; one every seed makes is a signal for new data). A data change is judged on the means.
The gate split is accepted (`--splits gate`) but its misses are never printed: it is not for tuning.
Each training takes a few minutes on two busy cores.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Dict, List

import yaml

from tests.nlu_eval import SPLITS, evaluate, heldout_examples, load_agent

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "bot" / "config.yml"
DATA = ROOT / "data"
SEEDED_COMPONENTS = ("DIETClassifier", "ResponseSelector")
FIRST_SEED = 2026  # the shipped config's seed, so the first model is the shipped classifier's NLU-only twin
COMBINED = "development+tuning"


def seeded_config(seed: int, out: Path) -> Path:
    """bot/config.yml with the classifiers' random_seed replaced, written to `out`."""
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if component.get("name") in SEEDED_COMPONENTS:
            component["random_seed"] = seed
    out.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def train_nlu(seed: int, workdir: Path, data: Path = DATA) -> Path:
    """One NLU-only training in its own process (TensorFlow's memory goes back after each)."""
    config = seeded_config(seed, workdir / f"config-{seed}.yml")
    name = f"nlu-seed-{seed}"
    subprocess.run([sys.executable, "-m", "rasa", "train", "nlu", "--config", str(config), "--nlu", str(data),
                    "--domain", "bot/domain", "--out", str(workdir), "--fixed-model-name", name],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return workdir / f"{name}.tar.gz"


def measure(model: Path, splits: List[str]) -> Dict[str, dict]:
    """split -> {"correct": {language: n}, "total": {language: n}, "misses": [[language, text, expected, got]]}"""
    agent = load_agent(str(model))
    evaluate(str(model), SPLITS[splits[0]], agent)  # warm-up: the first parses build TensorFlow's graphs
    results = {}
    for split in splits:
        evaluation = evaluate(str(model), SPLITS[split], agent)
        total = {language: len(examples) for language, examples in heldout_examples(SPLITS[split]).items()}
        missed = Counter(language for language, *_ in evaluation.errors)
        results[split] = {"correct": {language: n - missed[language] for language, n in total.items()},
                          "total": total,
                          "misses": [] if split == "gate" else [list(e) for e in evaluation.errors]}
    if "development" in results and "tuning" in results:
        both = [results["development"], results["tuning"]]
        results[COMBINED] = {key: {language: sum(r[key][language] for r in both) for language in both[0][key]}
                             for key in ("correct", "total")}
    return results


def accuracies(result: dict) -> Dict[str, float]:
    accuracy = {language: result["correct"][language] / result["total"][language] for language in result["total"]}
    accuracy["all"] = sum(result["correct"].values()) / sum(result["total"].values())
    return accuracy


def table(runs: Dict[int, Dict[str, dict]]) -> str:
    """Markdown: per split, each language's mean accuracy over the seeds and its min-max."""
    splits = list(next(iter(runs.values())))
    languages = sorted(next(iter(runs.values()))[splits[0]]["total"]) + ["all"]
    lines = [f"| split ({len(runs)} seeds: mean, min-max) | " + " | ".join(languages) + " |",
             "| --- |" + " --- |" * len(languages)]
    for split in splits:
        per_seed = [accuracies(run[split]) for run in runs.values()]
        cells = []
        for language in languages:
            values = [a[language] * 100 for a in per_seed]
            cells.append(f"{statistics.mean(values):.1f} ({min(values):.1f}-{max(values):.1f})")
        lines.append(f"| {split} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def frequent_misses(runs: Dict[int, Dict[str, dict]], at_least: int) -> List[str]:
    """The phrasings missed by at least `at_least` seeds, most often missed first."""
    counted: Counter = Counter()
    predictions: Dict[tuple, Counter] = {}
    for run in runs.values():
        for split, result in run.items():
            for language, text, expected, got in result.get("misses", []):
                key = (split, language, text, expected)
                counted[key] += 1
                predictions.setdefault(key, Counter())[got] += 1
    return [f"  {n}/{len(runs)} [{split} {language}] {text!r}: expected {expected}, got "
            + ", ".join(f"{got} x{k}" for got, k in predictions[(split, language, text, expected)].most_common())
            for (split, language, text, expected), n in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))
            if n >= at_least]


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="NLU accuracy per language, mean and min-max over training seeds")
    parser.add_argument("--seeds", type=int, default=3, help="how many trainings (seeds 2026, 2027, ...)")
    parser.add_argument("--first-seed", type=int, default=FIRST_SEED)
    parser.add_argument("--splits", nargs="+", choices=sorted(SPLITS), default=["development", "tuning"])
    parser.add_argument("--misses", type=int, default=2, help="list the phrasings missed by at least this many seeds")
    parser.add_argument("--save", type=Path, help="write every seed's counts and misses to this JSON file")
    parser.add_argument("--data", type=Path, default=DATA, help="the training data (a candidate copy of data/)")
    parser.add_argument("--keep", type=Path, help="keep the trained models in this directory")
    args = parser.parse_args(argv)
    runs: Dict[int, Dict[str, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="anxin-nlu-seeds-") as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            started = time.monotonic()
            model = train_nlu(seed, workdir, args.data)
            runs[seed] = measure(model, args.splits)
            print(f"seed {seed}: trained and measured in {time.monotonic() - started:.0f} s, load average "
                  + " ".join(f"{x:.2f}" for x in os.getloadavg()), flush=True)
    print(table(runs))
    print(f"missed by at least {args.misses} of {len(runs)} seeds:")
    print("\n".join(frequent_misses(runs, args.misses)) or "  none")
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(json.dumps(runs, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
