"""The multi-seed measure's parts that need no training: the seeded config and the summary table."""
import yaml

from tests.nlu_seeds import CONFIG, frequent_misses, seeded_config, table


def test_only_the_classifiers_seeds_change(tmp_path):
    original = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    seeded = yaml.safe_load(seeded_config(7, tmp_path / "config.yml").read_text(encoding="utf-8"))
    changed = [(a["name"], key) for a, b in zip(original["pipeline"], seeded["pipeline"])
               for key in set(a) | set(b) if a.get(key) != b.get(key)]
    assert sorted(changed) == [("DIETClassifier", "random_seed"), ("ResponseSelector", "random_seed")]
    assert {k: v for k, v in original.items() if k != "pipeline"} == {k: v for k, v in seeded.items() if k != "pipeline"}


def _run(correct_en, misses):
    return {"tuning": {"correct": {"en": correct_en, "yue": 10}, "total": {"en": 10, "yue": 10}, "misses": misses}}


def test_table_gives_mean_and_range_per_language():
    runs = {1: _run(8, []), 2: _run(10, []), 3: _run(9, [])}
    row = [line for line in table(runs).splitlines() if line.startswith("| tuning")][0]
    assert row == "| tuning | 90.0 (80.0-100.0) | 100.0 (100.0-100.0) | 95.0 (90.0-100.0) |"


def test_a_miss_is_listed_only_when_enough_seeds_make_it():
    always = ["en", "pay both", "pay_premium", "faq/payment_methods"]
    once = ["en", "hello there", "greet", "out_of_scope"]
    runs = {1: _run(8, [always, once]), 2: _run(9, [always]), 3: _run(9, [always])}
    listed = frequent_misses(runs, 2)
    assert len(listed) == 1 and "3/3" in listed[0] and "'pay both'" in listed[0]
