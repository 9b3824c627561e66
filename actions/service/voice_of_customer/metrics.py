"""Measure: containment, handoffs, fallbacks, abandonment, 好评度 with its confidence interval, agents'
first responses and complaints, per day, channel, language and intent (pandas).

Sources: `voc_contacts` (one row per conversation, see ingest.py) for the rates per intent;
`service_events` for volumes and ratings on every channel; handoff tickets for first responses;
complaints with their work orders for on-time resolution. Loaders read the database; the rollups are
plain functions of DataFrames, so the benchmark feeds them a million synthetic rows.
"""
from __future__ import annotations

from datetime import datetime
from typing import Dict, Optional, Sequence

import pandas as pd
from scipy.stats import binomtest

from actions.service.core.db import get_engine
from actions.service.core.interactions import RATING
from actions.service.core.models import Complaint, HandoffTicket, ServiceEvent, WorkOrder
from actions.service.core.settings import get_settings
from actions.service.human_lane.handoff import FIRST_RESPONSE_SLA
from actions.service.voice_of_customer.tables import Contact, ensure_tables

DIMENSIONS = ("day", "channel", "language", "intent")
SATISFIED_FROM = 4  # 好评度: the share of 4-5 ratings
CONFIDENCE = 0.95


# --- loading ----------------------------------------------------------------------------------------


def _read(sql: str, since: Optional[datetime], time_column: str, dates: Sequence[str] = (),
          categories: Sequence[str] = ()) -> pd.DataFrame:
    """Rows of a plain SQL query as a DataFrame, fetched through the driver's own cursor: SQLAlchemy's rows
    (and its Python parsing of every SQLite datetime string) cost more than the whole rollup; pandas parses
    the dates in bulk."""
    ensure_tables()
    engine = get_engine(get_settings().database_url)
    params = {}
    if since is not None:
        placeholder = ":since" if engine.dialect.name == "sqlite" else "%(since)s"  # sqlite3 and psycopg2 styles
        sql += f" WHERE {time_column} >= {placeholder}"
        params["since"] = since.isoformat(sep=" ") if engine.dialect.name == "sqlite" else since
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(sql, params)
        columns = [d[0] for d in cursor.description]
        frame = pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
        cursor.close()
    finally:
        raw.close()
    for column in dates:
        frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    for column in categories:  # a few distinct values each: grouping on categories is fast
        frame[column] = frame[column].fillna("").astype("category")
    return frame


def load_contacts(since: Optional[datetime] = None) -> pd.DataFrame:
    return _read("SELECT started_at, channel, language, intent, fallbacks, handed_off, senior, abandoned, rating "
                 f"FROM {Contact.__tablename__}", since, "started_at", ["started_at"], ["channel", "language", "intent"])


def load_service_events(since: Optional[datetime] = None) -> pd.DataFrame:
    return _read(f"SELECT kind, channel, language, intent, created_at, detail FROM {ServiceEvent.__tablename__}",
                 since, "created_at", ["created_at"], ["kind", "channel", "language", "intent"])


def load_tickets(since: Optional[datetime] = None) -> pd.DataFrame:
    return _read(f"SELECT channel, language, priority, created_at, first_response_at FROM {HandoffTicket.__tablename__}",
                 since, "created_at", ["created_at", "first_response_at"])


def load_complaints(since: Optional[datetime] = None) -> pd.DataFrame:
    return _read(f"SELECT c.category, c.created_at, w.status, w.resolution_due, w.resolved_at "
                 f"FROM {Complaint.__tablename__} c JOIN {WorkOrder.__tablename__} w ON w.complaint_id = c.id",
                 since, "c.created_at", ["created_at", "resolution_due", "resolved_at"])


# --- statistics -------------------------------------------------------------------------------------


def wilson_interval(successes: int, trials: int, confidence: float = CONFIDENCE) -> tuple:
    """The Wilson score interval of a share (scipy); (nan, nan) when nothing was rated."""
    if trials <= 0:
        return float("nan"), float("nan")
    interval = binomtest(int(successes), int(trials)).proportion_ci(confidence_level=confidence, method="wilson")
    return interval.low, interval.high


def _with_interval(frame: pd.DataFrame, successes: str, trials: str, prefix: str) -> pd.DataFrame:
    """Adds prefix, prefix_low, prefix_high. Groups with equal counts share one computation."""
    pairs = frame[[successes, trials]].drop_duplicates()
    bounds = {(s, n): wilson_interval(s, n) for s, n in zip(pairs[successes], pairs[trials])}
    keys = list(zip(frame[successes], frame[trials]))
    frame[prefix] = (frame[successes] / frame[trials]).where(frame[trials] > 0)
    frame[f"{prefix}_low"] = [bounds[k][0] for k in keys]
    frame[f"{prefix}_high"] = [bounds[k][1] for k in keys]
    return frame


# --- rollups ----------------------------------------------------------------------------------------


def contact_rates(contacts: pd.DataFrame, by: Sequence[str] = DIMENSIONS) -> pd.DataFrame:
    """Per group: contacts, containment (finished without a person, not abandoned), handoff rate of bot
    failures, seniors' green-lane handoffs counted apart, fallback rate, abandonment, 好评度 with its interval."""
    frame = contacts.assign(day=contacts["started_at"].dt.normalize())
    frame = frame.assign(
        contained=~frame["handed_off"].astype(bool) & ~frame["abandoned"].astype(bool),
        handoff_failure=frame["handed_off"].astype(bool) & ~frame["senior"].astype(bool),
        handoff_senior=frame["handed_off"].astype(bool) & frame["senior"].astype(bool),
        had_fallback=frame["fallbacks"].fillna(0) > 0,
        rated=frame["rating"].notna(),
        satisfied=frame["rating"].fillna(0) >= SATISFIED_FROM,
    )
    grouped = frame.groupby(list(by), dropna=False, observed=True).agg(
        contacts=("contained", "size"), contained=("contained", "sum"), handoff_failures=("handoff_failure", "sum"),
        senior_handoffs=("handoff_senior", "sum"), with_fallback=("had_fallback", "sum"),
        abandoned=("abandoned", "sum"), rated=("rated", "sum"), satisfied=("satisfied", "sum"),
    ).reset_index()
    grouped["containment"] = grouped["contained"] / grouped["contacts"]
    grouped["handoff_rate"] = grouped["handoff_failures"] / grouped["contacts"]
    grouped["senior_handoff_rate"] = grouped["senior_handoffs"] / grouped["contacts"]
    grouped["fallback_rate"] = grouped["with_fallback"] / grouped["contacts"]
    grouped["abandonment"] = grouped["abandoned"] / grouped["contacts"]
    return _with_interval(grouped, "satisfied", "rated", "satisfaction")


def event_volumes(events: pd.DataFrame) -> pd.DataFrame:
    """Per day, channel, language and intent: how many ratings, complaints, fallbacks, handoffs... of each kind."""
    frame = events.assign(day=events["created_at"].dt.normalize())
    return (frame.groupby(["day", "channel", "language", "intent", "kind"], dropna=False, observed=True).size()
            .unstack("kind", fill_value=0).reset_index())


def satisfaction_by(events: pd.DataFrame, by: Sequence[str] = ("channel", "language")) -> pd.DataFrame:
    """好评度 from the rating events (every channel, the phone's keypad included), with Wilson intervals."""
    ratings = events[events["kind"] == RATING]
    scores = pd.to_numeric(ratings["detail"], errors="coerce")
    frame = ratings.assign(rated=scores.notna(), satisfied=scores >= SATISFIED_FROM)
    if "day" in by:
        frame = frame.assign(day=frame["created_at"].dt.normalize())
    grouped = frame.groupby(list(by), dropna=False, observed=True).agg(
        rated=("rated", "sum"), satisfied=("satisfied", "sum")).reset_index()
    return _with_interval(grouped, "satisfied", "rated", "satisfaction")


def hour_weekday_volume(events: pd.DataFrame) -> pd.DataFrame:
    """Contacts' volume as a weekday (rows, Monday = 0) x hour (columns) table, in the service time zone."""
    local = (events["created_at"].dt.tz_localize("UTC").dt.tz_convert(get_settings().service_time_zone))
    table = pd.crosstab(local.dt.weekday, local.dt.hour)
    return table.reindex(index=range(7), columns=range(24), fill_value=0)


def agent_first_responses(tickets: pd.DataFrame, by: Sequence[str] = ("language",)) -> pd.DataFrame:
    """Seconds from a ticket to the agent's first reply (median, 90th percentile) and SLA breaches."""
    answered = tickets.dropna(subset=["first_response_at"])
    seconds = (answered["first_response_at"] - answered["created_at"]).dt.total_seconds()
    frame = answered.assign(seconds=seconds, breached=seconds > FIRST_RESPONSE_SLA.total_seconds())
    return frame.groupby(list(by), dropna=False, observed=True).agg(
        answered=("seconds", "size"), median_seconds=("seconds", "median"),
        p90_seconds=("seconds", lambda s: s.quantile(0.9)), sla_breaches=("breached", "sum")).reset_index()


def complaints_by_category(complaints: pd.DataFrame, now: Optional[datetime] = None) -> pd.DataFrame:
    """Per category: complaints, resolved on time, late (resolved late, or open past the deadline), on-time rate."""
    now = pd.Timestamp(now or datetime.utcnow())
    resolved = complaints["resolved_at"].notna()
    on_time = resolved & (complaints["resolved_at"] <= complaints["resolution_due"])
    late = (resolved & ~on_time) | (~resolved & (complaints["resolution_due"] < now))
    frame = complaints.assign(on_time=on_time, late=late)
    grouped = frame.groupby("category", dropna=False, observed=True).agg(
        complaints=("on_time", "size"), resolved_on_time=("on_time", "sum"), late=("late", "sum")).reset_index()
    decided = grouped["resolved_on_time"] + grouped["late"]
    grouped["on_time_rate"] = (grouped["resolved_on_time"] / decided).where(decided > 0)
    return grouped


def rollup(since: Optional[datetime] = None, now: Optional[datetime] = None) -> Dict[str, pd.DataFrame]:
    """Every measure from the database, as named DataFrames (pages, the weekly report and the CSV use these)."""
    contacts, events = load_contacts(since), load_service_events(since)
    return rollup_frames(contacts, events, load_tickets(since), load_complaints(since), now)


def rollup_frames(contacts: pd.DataFrame, events: pd.DataFrame, tickets: pd.DataFrame, complaints: pd.DataFrame,
                  now: Optional[datetime] = None) -> Dict[str, pd.DataFrame]:
    return {
        "contacts": contact_rates(contacts),
        "daily": contact_rates(contacts, by=("day",)),
        "volumes": event_volumes(events),
        "satisfaction": satisfaction_by(events),
        "hour_weekday": hour_weekday_volume(events),
        "agents": agent_first_responses(tickets),
        "complaints": complaints_by_category(complaints, now),
    }

