"""Themes: the labelled set's grouping agrees with its labels, across four languages; the staff commands."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sklearn.metrics import adjusted_rand_score

from actions.service import staff_cli
from actions.service.voice_of_customer.themes import FIX_NOW, Theme, group_voices, improvement_matrix, tokens
from tests.servers import ROOT

LABELLED = Path(__file__).with_name("labelled_voices.tsv")
# Measured 0.92 (12 themes chosen by silhouette) and 0.985 (10 themes given), 2026-11-30; the gate sits below.
ARI_GATE = 0.85


def labelled():
    rows = [line.split("\t") for line in LABELLED.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def test_labelled_set_covers_ten_themes_in_four_languages():
    themes, languages, texts = labelled()
    assert len(texts) >= 300 and len(set(themes)) == 10
    assert {(t, l) for t, l in zip(themes, languages)} == {(t, l) for t in set(themes)
                                                           for l in ("zh-Hans", "zh-Hant", "yue", "en")}


def test_grouping_agrees_with_the_labels():
    themes, _, texts = labelled()
    model = group_voices(texts)
    assert adjusted_rand_score(themes, model.assignments) >= ARI_GATE
    reminder = model.theme_of(texts.index("提醒太少了"))
    assert reminder == model.theme_of(texts.index("no reminder before my premium was due"))
    assert "reminder" in reminder


def test_traditional_cantonese_and_english_share_concepts():
    concepts = [set(tokens(text)[0]) for text in ("提醒太少了", "提醒太少啦", "繳費前都沒有通知",
                                                    "no reminder before my premium was due")]
    assert all("#reminder" in c for c in concepts)
    assert "#reminder" in tokens("續保前都冇人通知我")[0]


def test_the_improvement_matrix_puts_big_unhappy_themes_first():
    themes = [Theme("a", 100, 60, 40, 0.5, 0.8, ()), Theme("b", 10, 5, 5, 0.0, 0.1, ()), Theme("c", 50, 25, 25, 0, 0.3, ())]
    assert improvement_matrix(themes)["a"] == FIX_NOW
    assert improvement_matrix(themes)["b"] == "keep"


def test_voc_themes_command_prints_one_line_per_voice_then_a_summary(tmp_path):
    _, _, texts = labelled()
    voices = tmp_path / "voices.txt"
    voices.write_text("\n".join(texts[:40] + ["我的电话13800000001 提醒太少了"]) + "\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "actions.service.staff_cli", "voc-themes", str(voices)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(lines) == 42 and all(set(line) == {"text", "theme"} for line in lines[:41])
    assert "13800000001" not in run.stdout and "0001" not in run.stdout
    summary = lines[-1]["summary"]
    assert summary["voices"] == 41 and sum(t["voices"] for t in summary["themes"]) == 41


def test_pain_point_commands(demo_db, capsys):
    assert staff_cli.main(["pain-point-add", "续期提醒太少", "--department", "客户服务部", "--intent", "set_reminder",
                           "--due", "2026-12-31", "--task", "提前30天短信"]) == 0
    assert staff_cli.main(["pain-points"]) == 0
    assert staff_cli.main(["pain-point", "1", "in_progress"]) == 0
    assert staff_cli.main(["pain-point", "1", "fixed"]) == 0
    assert staff_cli.main(["pain-point", "1", "verified"]) == 1  # no survey answers yet: refused, still fixed
    assert staff_cli.main(["pain-point", "9", "fixed"]) == 1
    out = capsys.readouterr()
    assert "续期提醒太少" in out.out and "fixed" in out.out and "survey answers" in out.err
