"""Show: the supervisor charts, drawn server-side with matplotlib (the console's CSP runs no page scripts).

Each chart is a function of the rollup (metrics.rollup) or the theme report, in Chinese or English, drawn
on a figure that the caller saves as PNG (pages) or adds to a PDF (the weekly report).
"""
from __future__ import annotations

import io
from typing import Dict, List, Sequence

import matplotlib

matplotlib.use("Agg")  # no display: pages and reports only

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from actions.service.voice_of_customer.themes import Theme  # noqa: E402

# WenQuanYi (Debian fonts-wqy-microhei) draws Chinese; DejaVu is matplotlib's own fallback.
matplotlib.rcParams["font.sans-serif"] = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "DejaVu Sans"]
matplotlib.rcParams["axes.unicode_minus"] = False

ZH, EN = "zh", "en"
SIZE = (7.5, 3.6)
DPI = 90
_WORDS = {
    "volume": ("咨询量（按星期 × 小时）", "Contacts by weekday x hour"),
    "weekdays": (("一", "二", "三", "四", "五", "六", "日"), ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")),
    "hour": ("小时", "hour"),
    "trends": ("机器人解决率、转人工率、未识别率", "Containment, handoff and fallback rates"),
    "containment": ("机器人解决", "contained"),
    "handoff": ("转人工（非长者）", "handoff (not seniors)"),
    "senior": ("长者绿色通道", "seniors' green lane"),
    "fallback": ("未识别", "fallback"),
    "abandonment": ("中途放弃", "abandoned"),
    "satisfaction": ("好评度（4-5 分占比，95% 置信区间）", "Satisfaction (share of 4-5, 95% interval)"),
    "matrix": ("体验改进矩阵", "Experience-improvement matrix"),
    "matrix_x": ("满意度", "satisfaction"),
    "matrix_y": ("声音数量", "voices"),
    "before_after": ("改进前后好评度", "Satisfaction before and after each fix"),
    "before": ("改进前", "before"),
    "after": ("改进后（回访）", "after (survey)"),
    "no_data": ("暂无数据", "No data yet"),
}


def word(key: str, language: str):
    zh, en = _WORDS[key]
    return en if language == EN else zh


def _figure(title: str) -> Figure:
    figure = Figure(figsize=SIZE, dpi=DPI)
    figure.suptitle(title, fontsize=12)
    return figure


def _empty(figure: Figure, language: str) -> Figure:
    axes = figure.add_subplot()
    axes.axis("off")
    axes.text(0.5, 0.5, word("no_data", language), ha="center", va="center", fontsize=14, color="#666")
    return figure


def volume_heatmap(hour_weekday: pd.DataFrame, language: str = ZH) -> Figure:
    figure = _figure(word("volume", language))
    if hour_weekday.to_numpy().sum() == 0:
        return _empty(figure, language)
    axes = figure.add_subplot()
    image = axes.imshow(hour_weekday.to_numpy(), aspect="auto", cmap="YlOrRd")
    axes.set_yticks(range(7), word("weekdays", language))
    axes.set_xticks(range(0, 24, 3), [str(h) for h in range(0, 24, 3)])
    axes.set_xlabel(word("hour", language))
    figure.colorbar(image, ax=axes)
    return figure


def rate_trends(daily: pd.DataFrame, language: str = ZH) -> Figure:
    figure = _figure(word("trends", language))
    if daily.empty:
        return _empty(figure, language)
    axes = figure.add_subplot()
    frame = daily.sort_values("day")
    days = pd.to_datetime(frame["day"])
    for column, key, style in (("containment", "containment", "-"), ("handoff_rate", "handoff", "-"),
                               ("senior_handoff_rate", "senior", ":"), ("fallback_rate", "fallback", "--"),
                               ("abandonment", "abandonment", "-.")):
        axes.plot(days, frame[column] * 100, style, marker="o", markersize=3, label=word(key, language))
    axes.set_ylim(0, 100)
    axes.set_ylabel("%")
    axes.legend(fontsize=8, loc="upper left", ncol=3)
    figure.autofmt_xdate()
    return figure


def satisfaction_bars(satisfaction: pd.DataFrame, language: str = ZH) -> Figure:
    figure = _figure(word("satisfaction", language))
    rated = satisfaction[satisfaction["rated"] > 0]
    if rated.empty:
        return _empty(figure, language)
    axes = figure.add_subplot()
    rated = rated.sort_values(["channel", "language"])
    labels = [f"{c or '?'}\n{l or '?'}" for c, l in zip(rated["channel"], rated["language"])]
    share = rated["satisfaction"].to_numpy() * 100
    errors = np.vstack([share - rated["satisfaction_low"].to_numpy() * 100, rated["satisfaction_high"].to_numpy() * 100 - share])
    axes.bar(range(len(labels)), share, yerr=errors, capsize=3, color="#3b7dd8")
    axes.set_xticks(range(len(labels)), labels, fontsize=7)
    axes.set_ylim(0, 100)
    axes.set_ylabel("%")
    return figure


def improvement_matrix_chart(themes: Sequence[Theme], quadrants: Dict[str, str], language: str = ZH) -> Figure:
    figure = _figure(word("matrix", language))
    if not themes:
        return _empty(figure, language)
    axes = figure.add_subplot()
    colours = {"fix now": "#d62728", "fix next": "#ff7f0e", "watch": "#1f77b4", "keep": "#2ca02c"}
    for theme in themes[:15]:
        size = 40 + 300 * max(0.0, min(theme.trend + 1, 3)) / 3
        axes.scatter(theme.satisfaction * 100, theme.volume, s=size, alpha=0.7,
                     color=colours.get(quadrants.get(theme.label, "keep")))
        axes.annotate(theme.label.split(" · ")[0], (theme.satisfaction * 100, theme.volume), fontsize=7)
    axes.set_xlim(-5, 105)
    axes.set_xlabel(word("matrix_x", language) + " %")
    axes.set_ylabel(word("matrix_y", language))
    return figure


def before_after_chart(rows: List[Dict], language: str = ZH) -> Figure:
    """rows: {"title", "before", "after"} (shares 0-1 or None) per fixed or verified pain point."""
    figure = _figure(word("before_after", language))
    rows = [r for r in rows if r.get("before") is not None or r.get("after") is not None]
    if not rows:
        return _empty(figure, language)
    axes = figure.add_subplot()
    positions = np.arange(len(rows))
    axes.bar(positions - 0.2, [(r["before"] or 0) * 100 for r in rows], 0.4, label=word("before", language), color="#999")
    axes.bar(positions + 0.2, [(r["after"] or 0) * 100 for r in rows], 0.4, label=word("after", language), color="#2ca02c")
    axes.set_xticks(positions, [r["title"][:14] for r in rows], fontsize=7)
    axes.set_ylim(0, 100)
    axes.legend(fontsize=8)
    return figure


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


CHART_NAMES = ("volume", "trends", "satisfaction", "matrix", "before_after")
