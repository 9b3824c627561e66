"""What the staff command line prints for voice of the customer (kept here so staff_cli stays a list of commands)."""
from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from dataclasses import asdict
from typing import Dict, List, Optional

from actions.service.core.settings import get_settings
from actions.service.voice_of_customer.analysis import theme_voices
from actions.service.voice_of_customer.ingest import collect_all, mask_for_analysis
from actions.service.voice_of_customer.pain_points import PainPointView
from actions.service.voice_of_customer.surveys import run_survey_round
from actions.service.voice_of_customer.themes import group_voices


def print_themes(lines: List[str], n_themes: Optional[int] = None) -> None:
    """One JSON line {"text", "theme"} per input line (masked; blank lines get theme ""), then a summary line."""
    texts = [mask_for_analysis(line.strip()) for line in lines]
    filled = [i for i, text in enumerate(texts) if text]
    model = group_voices([texts[i] for i in filled], n_themes)
    themes = [""] * len(texts)
    for position, index in enumerate(filled):
        themes[index] = model.theme_of(position)
    for text, theme in zip(texts, themes):
        print(json.dumps({"text": text, "theme": theme}, ensure_ascii=False))
    counts = Counter(theme for theme in themes if theme)
    summary = {"voices": len(filled), "themes": [{"theme": label, "voices": count} for label, count in counts.most_common()]}
    print(json.dumps({"summary": summary}, ensure_ascii=False))


def listen(group_themes: bool = False) -> Dict[str, int]:
    """One listening round: collect, then surveys; and group the voices into themes again if asked."""
    collected = collect_all()
    surveys = run_survey_round()
    themes = {"themes": len(theme_voices().themes)} if group_themes else {}
    return {**collected, **{f"surveys_{name}": value for name, value in asdict(surveys).items()}, **themes}


def print_pain_point(view: PainPointView) -> None:
    due = f"due {view.due_date}" if view.due_date else "no due date"
    print(f"#{view.id}  {view.status:<11} {view.department:<14} {due}{'  OVERDUE' if view.overdue else ''}  {view.title}"
          + (f"  [theme: {view.theme}]" if view.theme else ""))
    for text, done in view.tasks:
        print(f"      [{'x' if done else ' '}] {text}")
    if view.links:
        print(f"      linked: {', '.join(view.links)}")
    if view.verdict:
        print(f"      verdict: {view.verdict}")


def consume_broker_events() -> int:
    """Run the event-broker consumer until interrupted (the scale-out settings name the broker and its queue)."""
    from actions.service.voice_of_customer.broker import consume

    settings = get_settings()
    # ANXIN_EVENT_BROKER_URL and ANXIN_EVENT_QUEUE come with the scale-out settings (Rasa's Pika broker).
    url, queue = getattr(settings, "event_broker_url", ""), getattr(settings, "event_queue", "anxin_events")
    if not url:
        print("no event broker configured (ANXIN_EVENT_BROKER_URL): the tracker store is read instead (voc-listen)",
              file=sys.stderr)
        return 1
    try:
        asyncio.run(consume(url, queue))
    except KeyboardInterrupt:
        pass
    return 0
