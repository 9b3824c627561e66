"""What the supervisor pages, the weekly PDF and the CSV export show.

The heavy part (the rollup over 90 days and the stored themes) is a snapshot per database, computed when the
console starts (`warm`) and refreshed in the background when older than CACHE_SECONDS, the old one served
meanwhile; each chart drawn from it is cached with it. Pain points are read fresh on every view (cheap).
"""
from __future__ import annotations

import io
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List, Optional, Tuple

import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from actions.service.core.settings import get_settings
from actions.service.voice_of_customer import charts, metrics
from actions.service.voice_of_customer.analysis import ThemeReport, stored_themes
from actions.service.voice_of_customer.pain_points import FIXED, IN_PROGRESS, VERIFIED, PainPointView, list_pain_points
from actions.service.voice_of_customer.surveys import before_after

logger = logging.getLogger(__name__)

CACHE_SECONDS = 300
WINDOW_DAYS = 90
REPORT_DAYS = 7


@dataclass(frozen=True)
class Snapshot:
    frames: Dict[str, pd.DataFrame]
    themes: ThemeReport
    made_at: float


@dataclass(frozen=True)
class PainPointBoard:
    pain_points: List[PainPointView]
    before_after: List[Dict]  # {"title", "before", "before_n", "after", "after_n"} of each fixed pain point


def pain_point_board() -> PainPointBoard:
    """Every pain point and the before/after of those that were fixed, read now."""
    points = list_pain_points()
    compared = [{"title": p.title, **before_after(p.id)} for p in points
                if p.status in (FIXED, VERIFIED, IN_PROGRESS) and p.fixed_at is not None]
    return PainPointBoard(points, compared)


_lock = threading.Lock()
_snapshots: Dict[Tuple[str, int], Snapshot] = {}
_charts: Dict[Tuple[str, str, str], Tuple[object, bytes]] = {}
_refreshing: set = set()


def _build(days: int) -> Snapshot:
    since = datetime.utcnow() - timedelta(days=days)
    return Snapshot(metrics.rollup(since), stored_themes(days), time.monotonic())


def warm(days: int = WINDOW_DAYS) -> None:
    """Compute the snapshot in the background (the console calls this as it starts)."""
    key = (get_settings().database_url, days)
    with _lock:
        if key in _snapshots or key in _refreshing:
            return
        _refreshing.add(key)
    threading.Thread(target=_refresh, args=(key, days), daemon=True).start()


def snapshot(days: int = WINDOW_DAYS, fresh: bool = False) -> Snapshot:
    """The numbers behind the pages. Older than CACHE_SECONDS: the old numbers are served while one
    background thread computes new ones, so only the very first view after a start waits for a rollup."""
    key = (get_settings().database_url, days)
    with _lock:
        cached = _snapshots.get(key)
        if cached is not None and not fresh:
            if time.monotonic() - cached.made_at >= CACHE_SECONDS and key not in _refreshing:
                _refreshing.add(key)
                threading.Thread(target=_refresh, args=(key, days), daemon=True).start()
            return cached
    return _store(key, _build(days))


def _store(key: Tuple[str, int], built: Snapshot) -> Snapshot:
    with _lock:
        _snapshots[key] = built
    return built


def _refresh(key: Tuple[str, int], days: int) -> None:
    try:
        _store(key, _build(days))
    except Exception:  # the old numbers stay; the next view tries again
        logger.exception("could not refresh the voice-of-the-customer numbers")
    finally:
        with _lock:
            _refreshing.discard(key)


def figure(name: str, language: str, data: Optional[Snapshot] = None, board: Optional[PainPointBoard] = None) -> Figure:
    data = data or snapshot()
    if name == "volume":
        return charts.volume_heatmap(data.frames["hour_weekday"], language)
    if name == "trends":
        return charts.rate_trends(data.frames["daily"], language)
    if name == "satisfaction":
        return charts.satisfaction_bars(data.frames["satisfaction"], language)
    if name == "matrix":
        return charts.improvement_matrix_chart(data.themes.themes, data.themes.quadrants, language)
    if name == "before_after":
        return charts.before_after_chart((board or pain_point_board()).before_after, language)
    raise KeyError(name)


def chart_png(name: str, language: str) -> bytes:
    """One chart as PNG, cached with the snapshot it was drawn from. KeyError for an unknown name."""
    if name not in charts.CHART_NAMES:
        raise KeyError(name)
    data = snapshot()
    board = pain_point_board() if name == "before_after" else None
    # A chart is redrawn when its numbers change: the snapshot's, or (before/after) the pain points' own.
    version = repr(board.before_after) if board is not None else data.made_at
    key = (get_settings().database_url, name, language)
    with _lock:
        cached = _charts.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
    drawn = charts.png(figure(name, language, data, board))
    with _lock:
        _charts[key] = (version, drawn)
    return drawn


def weekly_pdf(language: str = charts.ZH) -> bytes:
    """The weekly report: every chart over the last 7 days, then the themes and the pain points as text."""
    data = snapshot(REPORT_DAYS, fresh=True)
    board = pain_point_board()
    buffer = io.BytesIO()
    with PdfPages(buffer, metadata={"Title": "Anxin voice of the customer" if language == charts.EN else "安心 客户之声周报"}) as pdf:
        for name in charts.CHART_NAMES:
            pdf.savefig(figure(name, language, data, board))
        pdf.savefig(_text_page(data, board, language))
    return buffer.getvalue()


def _text_page(data: Snapshot, board: PainPointBoard, language: str) -> Figure:
    english = language == charts.EN
    lines = ["Themes (voices, trend, dissatisfied, quadrant)" if english else "主题（声音数、趋势、不满意占比、象限）"]
    for theme in data.themes.themes[:12]:
        lines.append(f"  {theme.label}: {theme.volume}, {theme.trend:+.0%}, {theme.dissatisfaction:.0%}, "
                     f"{data.themes.quadrants.get(theme.label, '')}")
    lines.append("")
    lines.append("Pain points" if english else "痛点")
    for point in board.pain_points[:15]:
        lines.append(f"  #{point.id} {point.status} {point.department} {point.title[:40]} {point.verdict[:60]}")
    page = Figure(figsize=(8.27, 11.69))
    page.text(0.05, 0.95, "\n".join(lines), va="top", fontsize=9, family="sans-serif")
    return page


def csv_export(days: int = WINDOW_DAYS) -> str:
    """The per day, channel, language and intent rollup as CSV (numbers only: no customer words)."""
    return snapshot(days).frames["contacts"].to_csv(index=False)
