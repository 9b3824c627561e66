"""Synthetic voice-of-the-customer data with a fixed seed: service events, contacts, tickets and free-text voices
in four languages (for `make bench` and the console tests). Voices are the labelled set's sentences with
everyday variations (a greeting, a politeness word, sometimes a phone or card number that must be masked).

    python -m tests.voc_data --events 1000000 --voices 200000   # into ANXIN_DATABASE_URL
"""
from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import pandas as pd

from actions.service.core.db import get_engine
from actions.service.core.settings import get_settings
from actions.service.voice_of_customer.ingest import mask_for_analysis
from actions.service.voice_of_customer.tables import ensure_tables

SEED = 2026
LABELLED = Path(__file__).resolve().parent / "service" / "voice_of_customer" / "labelled_voices.tsv"
CHANNELS = np.array(["rest", "socketio", "telegram", "voice_message", "phone"])
LANGUAGES = np.array(["zh-Hans", "zh-Hant", "yue", "en"])
INTENTS = np.array(["query_policy", "query_premium", "pay_premium", "report_claim", "claim_status", "policy_loan",
                    "update_contact", "request_invoice", "set_reminder", "faq", "complaint"])
KINDS = np.array(["rating", "feedback", "complaint", "fallback", "handoff", "claim_report"])
KIND_SHARE = np.array([0.35, 0.05, 0.03, 0.30, 0.17, 0.10])
VOICE_KINDS = np.array(["low_rating_comment", "feedback", "complaint", "fallback", "last_turn"])
PREFIXES = {"zh-Hans": ["", "你好，", "唉，", "说实话，", "我想说"], "zh-Hant": ["", "你好，", "說實話，"],
            "yue": ["", "喂，", "唔该，", "讲真，"], "en": ["", "Hi, ", "Honestly, ", "Well, "]}
SUFFIXES = {"zh-Hans": ["", "。", "！", "，谢谢", "，我的电话13800000001"], "zh-Hant": ["", "。", "，謝謝"],
            "yue": ["", "。", "，唔该", "，我电话85291234567"], "en": ["", ".", " please", " thanks",
                                                               ". Card 6222 0212 3456 7894"]}


def labelled() -> List[Tuple[str, str, str]]:
    rows = [line.split("\t") for line in LABELLED.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    return [(r[0], r[1], r[2]) for r in rows]


def service_events(count: int, days: int = 90, now: datetime = None, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    now = now or datetime.utcnow()
    # Busier in the daytime (China time): hours drawn around 02:00-12:00 UTC.
    seconds = rng.integers(0, days * 86400, count)
    hours_shift = (rng.normal(6, 3.5, count) % 24).astype(int) * 3600
    created = pd.to_datetime(now - timedelta(days=days)) + pd.to_timedelta((seconds // 86400) * 86400 + hours_shift, unit="s")
    kinds = rng.choice(KINDS, count, p=KIND_SHARE)
    ratings = rng.choice(np.array(["1", "2", "3", "4", "5"]), count, p=[0.05, 0.05, 0.1, 0.3, 0.5])
    detail = np.where(kinds == "rating", ratings, "")
    return pd.DataFrame({"kind": kinds, "sender_id": [f"s{i}" for i in rng.integers(0, count // 4 + 1, count)],
                         "customer_id": None, "channel": rng.choice(CHANNELS, count),
                         "language": rng.choice(LANGUAGES, count, p=[0.5, 0.1, 0.15, 0.25]),
                         "intent": rng.choice(INTENTS, count), "created_at": created, "detail": detail})


def contacts(count: int, days: int = 90, now: datetime = None, seed: int = SEED + 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    now = now or datetime.utcnow()
    started = pd.to_datetime(now - timedelta(days=days)) + pd.to_timedelta(rng.integers(0, days * 86400, count), unit="s")
    handed = rng.random(count) < 0.15
    rated = rng.random(count) < 0.3
    return pd.DataFrame({
        "contact_key": [f"c{i}" for i in range(count)], "sender_id": [f"s{i}" for i in range(count)],
        "started_at": started, "ended_at": started + pd.to_timedelta(rng.integers(30, 900, count), unit="s"),
        "channel": rng.choice(CHANNELS, count), "language": rng.choice(LANGUAGES, count, p=[0.5, 0.1, 0.15, 0.25]),
        "intent": rng.choice(INTENTS, count), "user_turns": rng.integers(1, 12, count),
        "fallbacks": rng.poisson(0.3, count), "handed_off": handed, "senior": handed & (rng.random(count) < 0.3),
        "abandoned": ~handed & (rng.random(count) < 0.08),
        "rating": np.where(rated, rng.choice([1, 2, 3, 4, 5], count, p=[0.06, 0.06, 0.1, 0.3, 0.48]), None)})


def voices(count: int, days: int = 90, now: datetime = None, seed: int = SEED + 2) -> pd.DataFrame:
    """Free-text voices (masked as the ingestion would) with their true theme, in four languages."""
    rng = np.random.default_rng(seed)
    now = now or datetime.utcnow()
    base = labelled()
    picks = rng.integers(0, len(base), count)
    texts, themes, languages = [], [], []
    for i, pick in enumerate(picks):
        theme, language, text = base[pick]
        prefix = PREFIXES[language][rng.integers(0, len(PREFIXES[language]))]
        suffix = SUFFIXES[language][rng.integers(0, len(SUFFIXES[language]))]
        texts.append(mask_for_analysis(prefix + text + suffix))
        themes.append(theme)
        languages.append(language)
    at = pd.to_datetime(now - timedelta(days=days)) + pd.to_timedelta(rng.integers(0, days * 86400, count), unit="s")
    return pd.DataFrame({"source_key": [f"bench:{i}" for i in range(count)], "at": at,
                         "kind": rng.choice(VOICE_KINDS, count), "sender_id": [f"s{i}" for i in picks],
                         "channel": rng.choice(CHANNELS, count), "language": languages, "intent": "",
                         "rating": None, "text": texts, "theme": "", "true_theme": themes})


def write(frames: Dict[str, pd.DataFrame], url: str = None) -> None:
    """Append the frames to their tables (service_events, voc_contacts, voc_voices) in chunks."""
    ensure_tables()
    engine = get_engine(url or get_settings().database_url)
    with engine.begin() as connection:
        for table, frame in frames.items():
            frame.drop(columns=[c for c in ("true_theme",) if c in frame]).to_sql(
                table, connection, if_exists="append", index=False, chunksize=50_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=250_000)
    parser.add_argument("--voices", type=int, default=200_000)
    args = parser.parse_args()
    write({"service_events": service_events(args.events), "voc_contacts": contacts(args.contacts),
           "voc_voices": voices(args.voices)})


if __name__ == "__main__":
    main()
