"""Find pain points: group free-text voices into themes across Simplified, Traditional, Cantonese and English.

Each voice is folded to Simplified (OpenCC), segmented with Jieba (Latin words kept whole) and mapped
through a small bilingual concept lexicon (concepts.yml) to shared concept tokens, so "提醒太少了" and
"no reminder before my premium was due" both carry `reminder`. Concept tokens and the remaining words
are weighted with TF-IDF (scikit-learn) and grouped with k-means; the number of themes is the one with
the best silhouette on a sample unless it is given. A theme is named by its top terms.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import jieba
import numpy as np
import yaml
from scipy.sparse import hstack
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

from actions.service.language import to_simplified

jieba.setLogLevel(60)

LEXICON_FILE = Path(__file__).with_name("concepts.yml")
SEED = 2026
CONCEPT_WEIGHT, WORD_WEIGHT = 1.0, 0.35  # words only separate voices that share no concept
MIN_THEMES, MAX_THEMES = 2, 16
SILHOUETTE_SAMPLE = 2000
MINI_BATCH_FROM = 20_000  # from this many voices k-means runs in mini-batches
EXAMPLES = 3
UNSORTED = "其他 other"

_LATIN = re.compile(r"[a-z][a-z'\-]*")
_HAN = re.compile(r"[\u3400-\u9fff]")
_ENGLISH_STOP = set("""a an the i me my we our you your it its is are was were be been am do does did not no to of in on
for at by with and or but so if as that this there then than too very just can cant can't could would should will
won't don't didn't doesn't isn't wasn't have has had get got please why what when how who which from about again
really still even also ever any all up out off one""".split())
_CHINESE_STOP = {"我们", "你们", "他们", "这个", "那个", "什么", "怎么", "为什么", "可以", "没有", "就是", "还是", "一下",
                 "一个", "真的", "已经", "而且", "但是", "因为", "所以", "希望", "觉得", "现在", "每次", "时候", "知道",
                 "点解", "乜嘢", "佢哋", "我哋", "你哋", "而家", "咁样", "系咪"}


@dataclass(frozen=True)
class Concept:
    name: str
    label: str
    chinese: Tuple[str, ...]
    english: re.Pattern


@lru_cache(maxsize=1)
def concepts() -> Tuple[Concept, ...]:
    """The lexicon, read once; Chinese entries folded to Simplified, English ones as one word-bounded pattern."""
    data = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))["concepts"]
    loaded = []
    for name, entry in data.items():
        english = sorted((w.lower() for w in entry.get("en") or []), key=len, reverse=True)
        pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in english) + r")(?:s|es|ed|ing)?\b")
        loaded.append(Concept(name, entry.get("label") or name,
                              tuple(to_simplified(w) for w in entry.get("zh") or []), pattern))
    return tuple(loaded)


def concept_labels() -> Dict[str, str]:
    return {f"#{c.name}": c.label for c in concepts()}


def tokens(text: str) -> Tuple[List[str], List[str]]:
    """(concept tokens, plain words) of one voice."""
    simplified = to_simplified(text or "").lower()
    found = [f"#{c.name}" for c in concepts()
             if any(w in simplified for w in c.chinese) or c.english.search(simplified)]
    words = []
    for piece in jieba.cut(simplified):
        piece = piece.strip()
        if _HAN.search(piece):
            if len(piece) >= 2 and piece not in _CHINESE_STOP:
                words.append(piece)
        elif _LATIN.fullmatch(piece) and len(piece) > 2 and piece not in _ENGLISH_STOP:
            words.append(piece)
    return found, words


@dataclass
class ThemeModel:
    """The result of grouping: a theme index per voice and each theme's label."""

    assignments: List[int]
    labels: List[str]
    top_terms: List[List[str]] = field(default_factory=list)

    def theme_of(self, index: int) -> str:
        return self.labels[self.assignments[index]]


def _identity(items: List[str]) -> List[str]:
    return items


def _matrix(texts: Sequence[str]):
    """TF-IDF of concept tokens and of words, weighted and L2-normalised side by side; and the vocabulary."""
    parts = [tokens(t) for t in texts]
    blocks, vocabulary = [], []
    for position, weight in ((0, CONCEPT_WEIGHT), (1, WORD_WEIGHT)):
        docs = [p[position] for p in parts]
        if not any(docs):
            continue
        vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=1 if len(texts) < 1000 else 2)
        try:
            block = vectorizer.fit_transform(docs)
        except ValueError:  # every word below min_df
            continue
        blocks.append(normalize(block) * weight)
        vocabulary += list(vectorizer.get_feature_names_out())
    if not blocks:
        return None, []
    return normalize(hstack(blocks).tocsr()), vocabulary


def _kmeans(k: int, n: int):
    if n >= MINI_BATCH_FROM:
        return MiniBatchKMeans(n_clusters=k, random_state=SEED, n_init=3, batch_size=4096)
    return KMeans(n_clusters=k, random_state=SEED, n_init=5)


def _choose_k(matrix, n: int) -> int:
    """The number of themes with the best silhouette (cosine) on a fixed sample."""
    upper = min(MAX_THEMES, n - 1)
    if upper < MIN_THEMES:
        return 1
    rng = np.random.default_rng(SEED)
    sample = matrix if n <= SILHOUETTE_SAMPLE else matrix[rng.choice(n, SILHOUETTE_SAMPLE, replace=False)]
    best_k, best_score = MIN_THEMES, -1.0
    for k in range(MIN_THEMES, upper + 1):
        labels = KMeans(n_clusters=k, random_state=SEED, n_init=2).fit_predict(sample)
        if len(set(labels)) < 2:
            continue
        score = silhouette_score(sample, labels, metric="cosine", random_state=SEED)
        if score > best_score:
            best_k, best_score = k, score
    return best_k


def _label(terms: List[str]) -> str:
    readable = concept_labels()
    return " · ".join(readable.get(t, t) for t in terms) or UNSORTED


def group_voices(texts: Sequence[str], n_themes: Optional[int] = None) -> ThemeModel:
    """Group voices into themes; each theme is labelled with its top terms (concept labels first)."""
    n = len(texts)
    if n == 0:
        return ThemeModel([], [])
    matrix, vocabulary = _matrix(texts)
    if matrix is None or n < 2:
        return ThemeModel([0] * n, [UNSORTED])
    k = min(n_themes or _choose_k(matrix, n), n)
    model = _kmeans(k, n).fit(matrix)
    assignments = [int(a) for a in model.labels_]
    centres = np.asarray(model.cluster_centers_)
    top_terms, labels = [], []
    for centre in centres:
        order = [i for i in np.argsort(-centre)[:6] if centre[i] > 0]
        concept_terms = [vocabulary[i] for i in order if vocabulary[i].startswith("#")][:3]
        terms = concept_terms or [vocabulary[i] for i in order][:3]
        top_terms.append(terms)
        labels.append(_label(terms))
    # Empty rows (no concept, no word) have no theme of their own.
    empty = np.asarray(matrix.getnnz(axis=1) == 0)
    if empty.any():
        labels.append(UNSORTED)
        top_terms.append([])
        for index in np.flatnonzero(empty):
            assignments[index] = len(labels) - 1
    return ThemeModel(assignments, _unique(labels), top_terms)


def _unique(labels: List[str]) -> List[str]:
    """Two themes with the same top terms get a number, so every label names one theme."""
    seen: Counter = Counter()
    result = []
    for label in labels:
        seen[label] += 1
        result.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return result


# --- themes over stored voices -------------------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    label: str
    volume: int
    recent: int  # voices in the last `window` days
    previous: int  # in the window before
    trend: float  # recent / previous - 1 (volume growth); 0 with no history
    dissatisfaction: float  # share of the theme's voices that are low ratings or complaints
    examples: Tuple[str, ...]

    @property
    def satisfaction(self) -> float:
        return 1 - self.dissatisfaction


UNHAPPY_KINDS = {"low_rating_comment", "complaint"}


def summarise(texts: Sequence[str], kinds: Sequence[str], times: Sequence[datetime], model: ThemeModel,
              now: Optional[datetime] = None, window_days: int = 28) -> List[Theme]:
    """Volume, trend, dissatisfaction and examples per theme, biggest first."""
    now = now or datetime.utcnow()
    window = timedelta(days=window_days)
    grouped: Dict[int, List[int]] = {}
    for index, theme in enumerate(model.assignments):
        grouped.setdefault(theme, []).append(index)
    themes = []
    for theme, members in grouped.items():
        recent = sum(now - times[i] <= window for i in members)
        previous = sum(window < now - times[i] <= 2 * window for i in members)
        unhappy = sum(kinds[i] in UNHAPPY_KINDS for i in members)
        examples = tuple(dict.fromkeys(texts[i] for i in members))[:EXAMPLES]
        themes.append(Theme(model.labels[theme], len(members), recent, previous,
                            (recent / previous - 1) if previous else 0.0, unhappy / len(members), examples))
    return sorted(themes, key=lambda t: -t.volume)


FIX_NOW, FIX_NEXT, WATCH, KEEP = "fix now", "fix next", "watch", "keep"


def improvement_matrix(themes: Sequence[Theme]) -> Dict[str, str]:
    """The experience-improvement matrix: each theme's quadrant by volume (or growth) against satisfaction.

    Above the median volume, or growing by more than a fifth, is "big"; below the median satisfaction of
    all themes (or under half satisfied) is "pressing". Big and pressing: fix now; pressing: fix next;
    big: watch; else keep.
    """
    if not themes:
        return {}
    volume_median = float(np.median([t.volume for t in themes]))
    satisfaction_median = float(np.median([t.satisfaction for t in themes]))
    quadrants = {}
    for theme in themes:
        big = theme.volume > volume_median or theme.trend > 0.2
        pressing = theme.satisfaction < satisfaction_median or theme.satisfaction < 0.5
        quadrants[theme.label] = FIX_NOW if big and pressing else FIX_NEXT if pressing else WATCH if big else KEEP
    return quadrants
