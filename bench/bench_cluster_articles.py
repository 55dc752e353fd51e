"""Per-article cost, PostgreSQL store against SQLite store (part of bench/bench_cluster.py).

The pipeline is bench/bench_article_cost.py's (extract, choose_text, topic, save_article with
dedup, figures, findings and the alert outbox), run for each Zyte page into both stores, page
by page, alternating which store goes first. Wall time is the headline: for PostgreSQL the
store's work is partly in the server process, which this process's CPU time does not see.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from bench_article_cost import STAGES, _pipeline

from ingest.config import parse_config
from ingest.daemon import build_services, open_store
from ingest.extract.zyte import BenchPage, load_pages, zyte_dir
from ingest.pipeline import Services

Backend = tuple[str, Services, int]


def services_for(db: Path, url: str | None) -> Services:
    store: dict[str, str] = {"path": str(db)}
    if url:
        store["url"] = url
    config = parse_config(
        {
            "store": store,
            "sources": [{"name": "zyte", "url": "https://zyte.example/"}],
            "alerts": {"webhook": [{"name": "bench", "url": "https://hooks.example/ingest"}]},
        },
        file=str(db.with_suffix(".toml")),
        environ={},
    )
    return build_services(config, open_store(config, config.store.path))


def one_round(
    pages: list[BenchPage],
    tmp: Path,
    number: int,
    database: Callable[[], AbstractContextManager[str]],
) -> dict[str, dict[str, float]]:
    """Seconds spent per backend: wall and CPU for the whole pipeline, and per stage (CPU)."""
    import functools

    from ingest.dedup import corpus, decide, related

    # Each backend has its own cache of prepared candidate texts, empty at the start of the
    # round as in bench_article_cost (the texts are the same, so a shared one would favour the
    # backend that runs second).
    original = decide.prepared_candidate
    caches = {name: functools.lru_cache(maxsize=256)(original.__wrapped__)
              for name in ("sqlite", "postgres")}  # fmt: skip

    def use_cache(cached: object) -> None:
        for module in (corpus, decide, related):  # each imported the name
            setattr(module, "prepared_candidate", cached)  # noqa: B010

    spent: dict[str, dict[str, float]] = {}
    with database() as url:
        backends: list[Backend] = []
        for name, db_url in (("sqlite", None), ("postgres", url)):
            services = services_for(tmp / f"r{number}-{name}.db", db_url)
            backends.append((name, services, services.store.list_sources()[0].id))
            spent[name] = dict.fromkeys(("wall", "cpu", *STAGES), 0.0)
        try:
            for k, page in enumerate(pages):
                for name, services, source_id in backends[::-1] if k % 2 else backends:
                    use_cache(caches[name])
                    w0, c0 = time.perf_counter(), time.process_time()
                    _pipeline(services, source_id, page, spent[name])
                    spent[name]["wall"] += time.perf_counter() - w0
                    spent[name]["cpu"] += time.process_time() - c0
            for name, services, _ in backends:
                found = len(services.store.list_findings(limit=100_000))
                print(f"  round {number} {name}: {found} findings,"
                      f" alerts {services.store.alert_counts()}")  # fmt: skip
        finally:
            use_cache(original)
            for _, services, _ in backends:
                services.store.close()
    return spent


def article_cost(rounds: int, database: Callable[[], AbstractContextManager[str]]) -> int:
    if not (zyte_dir() / "ground-truth.json").exists():
        print(f"per-article part skipped: Zyte data not found at {zyte_dir()}; set INGEST_SHARED")
        return 0
    pages = load_pages()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        one_round(pages[:20], tmp, 0, database)  # warm-up: regexes, tables, connections
        results = [one_round(pages, tmp, n, database) for n in range(1, rounds + 1)]
    n = len(pages)

    def ms(backend: str, what: str) -> float:
        return statistics.median(r[backend][what] for r in results) / n * 1000

    print(f"\n{n} pages, {rounds} rounds, ms per article (median over rounds)\n")
    print("| step | SQLite | PostgreSQL | PostgreSQL / SQLite |")
    print("|---|---|---|---|")
    for what in ("wall", "cpu", *(f"{s}" for s in STAGES)):
        label = {"wall": "pipeline, wall", "cpu": "pipeline, CPU of this process"}.get(
            what, f"{what} (CPU)"
        )
        a, b = ms("sqlite", what), ms("postgres", what)
        print(f"| {label} | {a:.2f} | {b:.2f} | {b / a:.2f}x |")
    ratios = [r["postgres"]["wall"] / r["sqlite"]["wall"] for r in results]
    print(f"\nPostgreSQL / SQLite per article (wall) per round: "
          f"{', '.join(f'{x:.2f}x' for x in ratios)}; median {statistics.median(ratios):.2f}x"
          " (target <= 1.5x)")  # fmt: skip
    sys.stdout.flush()
    return 0
