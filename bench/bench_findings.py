"""Cost of record_findings per stored article, against a corpus that keeps growing.

Usage: .venv/bin/python bench/bench_findings.py [--articles 2000] [--seed 1]

Synthetic articles (our own sentence templates; each subject's value for a template moves with
probability 3% per mention, else is repeated; random filler words so that dedup stores each
article as new) go through ``corpus.save_article`` and then ``record_findings``
on a real SQLite file, as the pipeline will run them. Printed side by side, per article:
the save (dedup + figures + write), record_findings (claims table), and the alternative the
claims table avoids: reading every stored figure of each figure's subject and metric
(``list_figures(metric=, subject=)``), measured on the same store at the end.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingest.dedup import DedupSettings  # noqa: E402
from ingest.dedup.corpus import save_article  # noqa: E402
from ingest.figures import load_figure_settings  # noqa: E402
from ingest.findings import FindingSettings  # noqa: E402
from ingest.findings.record import record_findings  # noqa: E402
from ingest.models import ExtractedArticle  # noqa: E402
from ingest.store import Store  # noqa: E402
from ingest.store.findings import FindingQueries, create_findings_tables  # noqa: E402

SUBJECTS = ["Alibaba", "Tencent", "Baidu", "ByteDance", "Alibaba Cloud", "DeepSeek", "Zhipu"]
TEMPLATES = [
    "{s} will invest {n} billion yuan in AI infrastructure over the next three years.",
    "{s} revenue grew {p}% year on year in the September quarter.",
    "{s} has {m} million users of its AI assistant.",
    "{s} now runs data centres in {r} regions.",
]
WORDS = (
    "analysts investors demand capacity chips servers power land cooling rivals customers "
    "developers engineers regulators partners suppliers contracts models agents platforms "
    "markets margins prices budgets hiring training inference clusters networks"
).split()


class BenchStore(Store, FindingQueries):
    pass


# The value each (subject, template) currently has; it moves now and then, as news does.
STATE: dict[tuple[str, int], dict[str, int]] = {}


def article(rng: random.Random, i: int, when: datetime) -> ExtractedArticle:
    sentences = []
    for index in rng.sample(range(len(TEMPLATES)), 3):
        subject = rng.choice(SUBJECTS)
        values = STATE.setdefault((subject, index), {})
        if not values or rng.random() < 0.03:
            values.update(
                n=rng.randint(300, 600), p=rng.randint(20, 40), m=rng.randint(50, 300),
                r=rng.randint(20, 40),
            )  # fmt: skip
        sentences.append(TEMPLATES[index].format(s=subject, **values))
    filler = " ".join(rng.choice(WORDS) for _ in range(120))
    url = f"https://outlet{i % 40}.example/a/{i}"
    return ExtractedArticle(
        url=url, canonical_url=url, title=f"Story {i}", author=None, published=when,
        language="en", text=" ".join(sentences) + " " + filler.capitalize() + ".",
        extraction="page",
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    figs, dedup, settings = load_figure_settings(), DedupSettings(), FindingSettings()
    t0 = datetime(2026, 9, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        store = BenchStore(Path(tmp) / "bench.db")
        create_findings_tables(store.conn)
        save_s = record_s = 0.0
        kinds: dict[str, int] = {}
        for i in range(args.articles):
            when = t0 + timedelta(hours=i)
            a = article(rng, i, when)
            start = time.perf_counter()
            decision = save_article(store, a, entry=None, source_id=None, now=when,
                                    settings=dedup, figure_settings=figs)  # fmt: skip
            mid = time.perf_counter()
            known = store.article_by_url_or_guid(a.canonical_url, None, source_id=None)
            assert known is not None
            with store.unit():
                made = record_findings(store, known.id, known.revision, decision.kind, when,
                                       settings, figure_settings=figs)  # fmt: skip
            end = time.perf_counter()
            save_s += mid - start
            record_s += end - mid
            for f in made:
                kinds[f.kind.value] = kinds.get(f.kind.value, 0) + 1
        figures = store.conn.execute("SELECT COUNT(*) FROM figures").fetchone()[0]
        claims = store.conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0]
        # The alternative: for each figure of the last 200 articles, read all stored figures of
        # its subject and metric (what deciding would cost without the claims table).
        sample = store.conn.execute(
            "SELECT subject, metric FROM figures WHERE metric IS NOT NULL"
            " ORDER BY id DESC LIMIT 600"
        ).fetchall()
        start = time.perf_counter()
        for subject, metric in sample:
            store.list_figures(metric=metric, subject=subject, current_only=False, limit=10**9)
        scan_per_fig = (time.perf_counter() - start) / len(sample)
        start = time.perf_counter()
        for subject, metric in sample:
            store.claims_for(subject or "", metric)
        claims_per_fig = (time.perf_counter() - start) / len(sample)
        store.close()
    n = args.articles
    print(f"articles {n}, figures stored {figures}, claims {claims}, findings {kinds}")
    print(f"save_article      {save_s / n * 1e3:7.2f} ms/article")
    print(f"record_findings   {record_s / n * 1e3:7.2f} ms/article "
          f"({record_s / save_s:.2f}x of save_article)")  # fmt: skip
    print(f"claim lookup      {claims_per_fig * 1e3:7.3f} ms/figure (claims table, at the end)")
    print(f"figure scan       {scan_per_fig * 1e3:7.3f} ms/figure (all figures of the key) "
          f"= {scan_per_fig / claims_per_fig:.1f}x the claims lookup")  # fmt: skip


if __name__ == "__main__":
    main()
