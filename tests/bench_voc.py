"""Voice-of-the-customer benchmark (issue 18), part of `make bench`:

- theme grouping on the labelled set (tests/service/voice_of_customer/labelled_voices.tsv): adjusted Rand index,
  with the number of themes chosen by the data and given (10), and without the concept lexicon (words only);
- 1,000,000 synthetic service events, 250,000 contacts and 200,000 voices (tests/voc_data.py, fixed seed) on
  SQLite and on PostgreSQL: the metrics rollup's time, the theme grouping's time (and its ARI against the
  generator's themes), and the supervisor page's time: first view (cold rollup) and p95 of 50 views.

    python -m tests.bench_voc [--events N] [--voices N] [--no-postgres]
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator, List
from unittest import mock

from sklearn.metrics import adjusted_rand_score

from tests.bench import machine
from tests.conftest import clear_service_caches
from tests.voc_data import contacts, labelled, service_events, voices, write

PAGE_VIEWS = 50


def p95(samples: List[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 2 else samples[0]


def labelled_ari() -> None:
    from actions.service.voice_of_customer import themes

    gold = [theme for theme, _, _ in labelled()]
    texts = [text for _, _, text in labelled()]
    for name, k in (("themes chosen by silhouette", None), ("10 themes given", 10)):
        started = time.perf_counter()
        model = themes.group_voices(texts, k)
        print(f"labelled set ({len(texts)} voices, 10 themes, 4 languages), {name}: {len(set(model.assignments))} "
              f"themes, ARI {adjusted_rand_score(gold, model.assignments):.3f} ({time.perf_counter() - started:.1f} s)")
    with mock.patch.object(themes, "concepts", lambda: ()):
        model = themes.group_voices(texts, 10)
    print(f"labelled set without the concept lexicon (words only, 10 themes): "
          f"ARI {adjusted_rand_score(gold, model.assignments):.3f}")


@contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{Path(directory) / 'bench_voc.db'}"
    else:
        from tests.throwaway_postgres import throwaway_database

        with throwaway_database("anxin_bench_voc") as url:
            yield url


def run_backend(backend: str, n_events: int, n_contacts: int, n_voices: int) -> None:
    from actions.service.voice_of_customer import dashboard, metrics
    from actions.service.voice_of_customer.analysis import theme_voices
    from actions.service.voice_of_customer.tables import Voice, voc_session
    from bot.console.voc_pages import render_page

    with database(backend) as url:
        os.environ["ANXIN_DATABASE_URL"] = url
        clear_service_caches()
        started = time.perf_counter()
        frames = {"service_events": service_events(n_events), "voc_contacts": contacts(n_contacts),
                  "voc_voices": voices(n_voices)}
        truth = frames["voc_voices"]["true_theme"].tolist()
        generated = time.perf_counter() - started
        write(frames)
        print(f"[{backend}] generated {n_events:,} events, {n_contacts:,} contacts, {n_voices:,} voices in "
              f"{generated:.0f} s, stored in {time.perf_counter() - started - generated:.0f} s")

        started, cpu = time.perf_counter(), time.process_time()
        rollup = metrics.rollup(datetime.utcnow() - timedelta(days=90))
        print(f"[{backend}] metrics rollup (read + every measure): {time.perf_counter() - started:.1f} s "
              f"(this process's CPU {time.process_time() - cpu:.1f} s; "
              f"{len(rollup['contacts']):,} day x channel x language x intent rows)")

        started, cpu = time.perf_counter(), time.process_time()
        report = theme_voices()
        print(f"[{backend}] theme grouping of {report.voices:,} voices (group + store each voice's theme): "
              f"{time.perf_counter() - started:.1f} s (CPU {time.process_time() - cpu:.1f} s), {len(report.themes)} themes")
        with voc_session() as session:
            found = dict(session.query(Voice.source_key, Voice.theme))
        keys = frames["voc_voices"]["source_key"].tolist()
        print(f"[{backend}] grouping vs the generator's themes: ARI "
              f"{adjusted_rand_score(truth, [found[k] for k in keys]):.3f}")

        dashboard._snapshots.clear()
        dashboard._charts.clear()
        started, cpu = time.perf_counter(), time.process_time()
        render_page("/webhooks/console", "", "zh")
        for name in dashboard.charts.CHART_NAMES:
            dashboard.chart_png(name, "zh")
        print(f"[{backend}] first dashboard view with nothing computed yet (rollup + themes + 5 charts; the console "
              f"computes this as it starts): {time.perf_counter() - started:.1f} s (CPU {time.process_time() - cpu:.1f} s)")
        for language in ("zh", "en"):
            page_times, chart_times = [], []
            for _ in range(PAGE_VIEWS):
                started = time.perf_counter()
                render_page("/webhooks/console", "", language)
                page_times.append(time.perf_counter() - started)
                for name in dashboard.charts.CHART_NAMES:
                    started = time.perf_counter()
                    dashboard.chart_png(name, language)
                    chart_times.append(time.perf_counter() - started)
            print(f"[{backend}] dashboard page ({language}), {PAGE_VIEWS} views: p95 {p95(page_times) * 1000:.0f} ms; "
                  f"each chart p95 {p95(chart_times) * 1000:.0f} ms (max {max(chart_times) * 1000:.0f} ms: "
                  f"a chart is drawn once per refreshed snapshot)")
        clear_service_caches()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=250_000)
    parser.add_argument("--voices", type=int, default=200_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--only-postgres", action="store_true")
    args = parser.parse_args()
    print(f"voice of the customer benchmark, {datetime.utcnow():%Y-%m-%d}, {machine()}, load average "
          f"{os.getloadavg()[0]:.1f} (wall times stretch with the load; CPU times less so)")
    if not args.only_postgres:
        labelled_ari()
    backends = ("postgresql",) if args.only_postgres else ("sqlite",) + (() if args.no_postgres else ("postgresql",))
    for backend in backends:
        try:
            run_backend(backend, args.events, args.contacts, args.voices)
        except Exception as error:  # e.g. no PostgreSQL server here
            print(f"[{backend}] skipped: {error}")


if __name__ == "__main__":
    main()
