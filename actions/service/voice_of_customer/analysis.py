"""Themes over the stored voices: group them (themes.py), remember each voice's theme, summarise the themes
and place them on the experience-improvement matrix."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List, Optional

from actions.service.voice_of_customer.tables import Voice, voc_session
from actions.service.voice_of_customer.themes import Theme, ThemeModel, group_voices, improvement_matrix, summarise

DEFAULT_DAYS = 90


@dataclass(frozen=True)
class ThemeReport:
    themes: List[Theme]
    quadrants: Dict[str, str]  # theme label -> fix now | fix next | watch | keep
    voices: int


def theme_voices(days: int = DEFAULT_DAYS, n_themes: Optional[int] = None, now: Optional[datetime] = None) -> ThemeReport:
    """Group the last `days` of voices, store each voice's theme, and summarise."""
    now = now or datetime.utcnow()
    with voc_session() as session:
        rows = (session.query(Voice.id, Voice.text, Voice.kind, Voice.at)
                .filter(Voice.at >= now - timedelta(days=days)).order_by(Voice.id).all())
    if not rows:
        return ThemeReport([], {}, 0)
    ids, texts, kinds, times = zip(*rows)
    model = group_voices(texts, n_themes)
    with voc_session() as session:
        session.bulk_update_mappings(Voice, [{"id": voice_id, "theme": model.theme_of(i)[:120]}
                                             for i, voice_id in enumerate(ids)])
    themes = summarise(texts, kinds, times, model, now=now)
    return ThemeReport(themes, improvement_matrix(themes), len(rows))


def stored_themes(days: int = DEFAULT_DAYS, now: Optional[datetime] = None) -> ThemeReport:
    """The themes the last grouping stored, summarised without grouping again (what the pages show)."""
    now = now or datetime.utcnow()
    with voc_session() as session:
        rows = (session.query(Voice.text, Voice.kind, Voice.at, Voice.theme)
                .filter(Voice.at >= now - timedelta(days=days), Voice.theme != "").all())
    if not rows:
        return ThemeReport([], {}, 0)
    texts, kinds, times, labels = zip(*rows)
    names = sorted(set(labels))
    index = {name: i for i, name in enumerate(names)}
    model = ThemeModel([index[label] for label in labels], names)
    themes = summarise(texts, kinds, times, model, now=now)
    return ThemeReport(themes, improvement_matrix(themes), len(rows))
