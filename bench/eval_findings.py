"""Claims and alerts on real coverage (issue 10): the product's judgement scored on corpus-dev.

Run:  .venv/bin/python bench/eval_findings.py [--half all|A|B] [--show-errors] [--json]

Needs ``$INGEST_SHARED/corpus-dev/corpus-dev.jsonl`` (default ``../shared``); exits 0 with a
message when it is absent. The 60 real texts are written, in date order, to a JSON Lines file
in a temporary folder and imported with the real CLI (``ingest import``) into a fresh SQLite
database on the bundled configuration; the bench then reads ``ingest figures --json`` and
``ingest findings --json`` and scores them against the hand labels:

- claim linking: pairs of figures from different articles that the product puts in one claim
  (same ``claim`` in ``ingest figures --json``) vs pairs that share a labelled claim (same
  subject, quantity and period, by meaning: the label vocabulary is folded below);
- changed+conflict precision and recall against the labelled disagreements and changes that
  an analyst must hear about (the table ``ALERT_WORTHY`` says which of the 26 recorded
  disagreements those are, and why the others are not);
- findings (alerts) per article, the share of them worth reading, and the share of ``new``
  findings whose subject and metric are right.

``--half A`` / ``--half B`` import only the clusters of one half (clusters ordered by size,
then name, dealt alternately): rules were tuned looking at half A's errors; half B is the
check that they carry over.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Event dates of clusters whose texts carry no `published` date: a poller would have fetched
# them then. Taken from the cluster's own dated texts where it has any, else from the event.
CLUSTER_DATES = {
    "pledge-380bn-feb2025": "2025-02-24",
    "results-dec-quarter-2024": "2025-02-21",
    "results-jun-quarter-2025": "2025-08-29",
    "apsara-sept2025": "2025-09-24",
    "china-cloud-footprint-2025": "2025-07-15",
    "tchip-ppu-sept2025": "2025-09-18",
    "zhenwu-810e-jan2026": "2026-01-29",
    "omdia-ai-cloud-h1-2025": "2025-09-10",
    "canalys-china-cloud-q1-2025": "2025-07-11",
    "results-sep-quarter-2025": "2025-11-25",
    "qwen-app-10m-nov2025": "2025-11-24",
    "microsoft-80bn-fy2025": "2025-01-04",
    "openai-40bn-mar2025": "2025-03-31",
    "bytedance-capex-2026-plan": "2025-12-23",
    "bytedance-capex-2026-raise": "2026-01-20",
    "baidu-ernie45-opensource-jun2025": "2025-06-30",
    "china-delivery-wars-jul2025": "2025-07-31",
    "free-drinks-war-aug2025": "2025-08-09",
}

# The labeller's metric names where two names are one quantity (by meaning).
GOLD_METRIC_ALIASES = {("ByteDance", "ai_capex"): "capex"}


def gold_period(subject: str, metric: str, period: str | None) -> str:
    """The labelled period folded to what identifies it (the labels describe, not normalise)."""
    if not period:
        return ""
    p = period.lower()
    p = re.sub(r"\s*\(.*?\)", "", p).strip()
    if metric == "ai_infrastructure_investment" and subject == "Alibaba":
        return "pledge-3y-2025"  # "next three years", "three years", "announced February 2025"
    if metric == "downloads" and subject == "Qwen app":
        return "first week"
    if p.startswith("fiscal year") and "2025" in p:
        return "fy2025"
    m = re.match(r"(\d{4}-\d{2}-\d{2})", p)
    if m and metric.startswith("share_price"):
        return m.group(1)
    if metric in ("capex",) and p.startswith("2026"):
        return "2026"
    if p.startswith("as of 2025-09") or p == "after planned expansion":
        return "2025-09"
    return p


# Which recorded disagreements (and changes over time) an analyst must be told about. Keyed by
# (text id, the claim's text as labelled). The rest are restatements the product must keep quiet
# about, or have no counterpart in the corpus. Share-price moves are events of a day, not
# claims: never scored as changes (a finding on them counts against precision).
ALERT_WORTHY: dict[tuple[str, str], str] = {
    ("d03", "approximately $38 billion"): "wrong conversion of the 380 bn yuan pledge",
    ("d10", "an 11% increase in revenue in the last quarter"): "11% vs 13% cloud growth",
    ("d14", "280.38 billion yuan"): "revenue 280.38 vs 280.15/280.2 bn yuan",
    ("d30", "89 availability zones"): "89 zones in July, 91 in September",
    ("d26", "the world's third-largest cloud computing corporation"): "rank 3 vs 4",
    ("d54", "200 billion yuan"): "ByteDance 2026 capex 160 -> 200 bn yuan",
}
# One event can be flagged on either side; these sides count for the same event.
SAME_EVENT = {
    ("d21", "91 facilities"): ("d30", "89 availability zones"),
    ("d28", "91 availability zones"): ("d30", "89 availability zones"),
    ("d30", "the fourth largest cloud provider in the world"): (
        "d26",
        "the world's third-largest cloud computing corporation",
    ),
}


@dataclass
class GoldClaim:
    doc: str
    subject: str
    metric: str
    value: float
    unit: str
    period: str
    text: str
    identity: tuple[str, str, str]
    figure: dict[str, Any] | None = None  # the product figure matched to it


@dataclass
class Doc:
    row: dict[str, Any]
    date: str
    url: str
    claims: list[GoldClaim] = field(default_factory=list)


def shared_dir() -> Path:
    return Path(os.environ.get("INGEST_SHARED", ROOT.parent / "shared"))


def halves(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Cluster -> "A" or "B": clusters by size (largest first), then name, dealt alternately."""
    sizes: dict[str, int] = defaultdict(int)
    for r in rows:
        sizes[r["cluster"]] += 1
    order = sorted(sizes, key=lambda c: (-sizes[c], c))
    return {c: "AB"[i % 2] for i, c in enumerate(order)}


def load(half: str) -> list[Doc]:
    path = shared_dir() / "corpus-dev" / "corpus-dev.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    split = halves(rows)
    docs = []
    for r in rows:
        if half != "all" and split[r["cluster"]] != half:
            continue
        date = r["published"] or CLUSTER_DATES[r["cluster"]]
        doc = Doc(r, date, r["url"])
        for c in r["claims"]:
            if c.get("value") is None:
                continue
            metric = GOLD_METRIC_ALIASES.get((c["subject"], c["metric"]), c["metric"])
            identity = (c["subject"], metric, gold_period(c["subject"], metric, c["period"]))
            doc.claims.append(
                GoldClaim(
                    r["id"],
                    c["subject"],
                    metric,
                    float(c["value"]),
                    c["unit"] or "",
                    c["period"] or "",
                    c["text"],
                    identity,
                )
            )
        docs.append(doc)
    docs.sort(key=lambda d: (d.date, d.row["id"]))
    return docs


def run_product(docs: list[Doc], folder: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    feed = folder / "corpus.jsonl"
    with feed.open("w", encoding="utf-8") as out:
        for i, d in enumerate(docs):
            r = d.row
            item = {"url": r["url"], "title": r["title"], "text": r["text"]}
            if r["published"]:
                item["published"] = r["published"]
            # Undated texts: fetched on the event's day, as a poller would have (minutes apart).
            item["fetched_at"] = f"{d.date}T{8 + i // 60 % 12:02d}:{i % 60:02d}:00+00:00"
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    db = folder / "eval.db"
    cli = [sys.executable, "-m", "ingest"]
    env = {**os.environ, "INGEST_DB": str(db)}
    subprocess.run(
        [*cli, "import", str(feed), "--quiet", "--no-topic"],
        check=False,
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
    )

    def lines(*args: str) -> list[dict[str, Any]]:
        done = subprocess.run(
            [*cli, *args, "--json", "--limit", "1000000"],
            check=True,
            env=env,
            cwd=folder,
            capture_output=True,
            text=True,
        )
        return [json.loads(x) for x in done.stdout.splitlines() if x.strip()]

    return lines("figures"), lines("findings")


_UNIT_OF = {"percent": "%", "count": "count"}


def _same_value(gold: GoldClaim, fig: dict[str, Any]) -> bool:
    unit = _UNIT_OF.get(gold.unit, gold.unit)
    if fig["unit"] != unit and not (unit not in ("%", "count") and fig["unit"] == unit.upper()):
        return False
    return abs(abs(fig["value"]) - abs(gold.value)) <= 1e-6 * max(1.0, abs(gold.value))


def match_figures(docs: list[Doc], figures: list[dict[str, Any]]) -> None:
    by_url: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in figures:
        by_url[f["article_url"]].append(f)
    for d in docs:
        figs = by_url.get(d.url, [])
        used: set[int] = set()
        for g in d.claims:
            best = None
            for i, f in enumerate(figs):
                if i in used or not _same_value(g, f):
                    continue
                text = g.text.lower()
                overlap = f["text"].lower() in text or text in f["sentence"].lower()
                score = (overlap, -i)
                if best is None or score > best[0]:
                    best = (score, i, f)
            if best is not None:
                used.add(best[1])
                g.figure = best[2]


def claim_of(fig: dict[str, Any] | None) -> Any:
    return None if fig is None else fig.get("claim")


def linking(docs: list[Doc]) -> dict[str, float]:
    claims = [g for d in docs for g in d.claims]
    gold_pairs = product_pairs = both = 0
    for a, b in combinations(claims, 2):
        if a.doc == b.doc:
            continue
        same_gold = a.identity == b.identity
        ca, cb = claim_of(a.figure), claim_of(b.figure)
        same_product = ca is not None and ca == cb
        gold_pairs += same_gold
        product_pairs += same_product
        both += same_gold and same_product
    return {
        "gold_pairs": gold_pairs,
        "product_pairs": product_pairs,
        "precision": both / product_pairs if product_pairs else 1.0,
        "recall": both / gold_pairs if gold_pairs else 1.0,
    }


def _gold_for(docs_by_url: dict[str, Doc], rec: dict[str, Any] | None) -> GoldClaim | None:
    if rec is None:
        return None
    doc = docs_by_url.get(rec["article_url"])
    if doc is None:
        return None
    for g in doc.claims:
        if g.figure is not None and g.figure["start"] == rec["start"]:
            return g
    # The labeller records a claim once per text; a second statement of it in the same text
    # (the lead and the body) is the same labelled claim.
    for g in doc.claims:
        if _same_value(g, rec):
            return g
    return None


def _event(g: GoldClaim) -> tuple[str, str] | None:
    key = (g.doc, g.text)
    key = SAME_EVENT.get(key, key)
    return key if key in ALERT_WORTHY else None


def score_findings(docs: list[Doc], findings: list[dict[str, Any]]) -> dict[str, Any]:
    by_url = {d.url: d for d in docs}
    judged: list[tuple[dict[str, Any], bool, str]] = []
    hit_events: set[tuple[str, str]] = set()
    new_total = new_right = 0
    for f in findings:
        kind = f["kind"]
        g = _gold_for(by_url, f.get("figure"))
        if kind == "new":
            new_total += 1
            subject_ok = g is not None and _gold_subject_ok(g, f.get("subject"))
            right = subject_ok and g is not None and _gold_metric(g, f) == g.metric
            new_right += right
            # Worth reading: a figure an analyst labelled, about the right company.
            why = (
                "unlabelled figure"
                if g is None
                else ("labelled figure" if subject_ok else f"labelled figure, subject {g.subject}")
            )
            judged.append((f, subject_ok, why))
            continue
        if kind not in ("changed", "conflict"):
            judged.append((f, False, kind))
            continue
        olds = [_gold_for(by_url, p) for p in f.get("previous", [])]
        sides = [x for x in (g, *olds) if x is not None]
        events = {e for x in sides if (e := _event(x)) is not None}
        same_claim = g is not None and any(o is not None and o.identity == g.identity for o in olds)
        ok = bool(events) and same_claim
        if ok:
            hit_events |= events
        judged.append((f, ok, ", ".join(ALERT_WORTHY[e] for e in events) or "no labelled event"))
    cc = [j for j in judged if j[0]["kind"] in ("changed", "conflict")]
    present = {
        e for d in docs for g in d.claims if (e := _event(g)) is not None
    }  # events whose flagged side is in this half
    reachable = {e for e in present if _pair_present(docs, e)}
    return {
        "findings": len(findings),
        "articles": len(docs),
        "per_article": len(findings) / len(docs) if docs else 0.0,
        "worth_reading": sum(ok for _, ok, _ in judged) / len(judged) if judged else 1.0,
        "cc": len(cc),
        "cc_precision": sum(ok for _, ok, _ in cc) / len(cc) if cc else 1.0,
        "cc_recall": len(hit_events & reachable) / len(reachable) if reachable else 1.0,
        "events": sorted(ALERT_WORTHY[e] for e in reachable),
        "events_hit": sorted(ALERT_WORTHY[e] for e in hit_events & reachable),
        "new": new_total,
        "new_subject_metric_right": new_right / new_total if new_total else 1.0,
        "judged": judged,
    }


def _pair_present(docs: list[Doc], event: tuple[str, str]) -> bool:
    """An event needs both sides in the imported half: the flagged claim and another of its
    labelled identity with a different value."""
    flagged = next((g for d in docs for g in d.claims if (g.doc, g.text) == event), None)
    if flagged is None:
        return False
    return any(
        g.identity == flagged.identity and g.doc != flagged.doc
        for d in docs
        for g in d.claims
        if not _same_amount(g, flagged)
    )


def _same_amount(a: GoldClaim, b: GoldClaim) -> bool:
    return a.unit == b.unit and a.value == b.value


# The product's metric keys that name each labelled metric (the two vocabularies differ; the
# labeller names finer metrics than the catalogue has, e.g. cloud regions vs data centres).
METRIC_MATCH = {
    "ai_infrastructure_investment": {"ai_investment_commitment", "quarterly_capex"},
    "revenue": {"revenue"},
    "revenue_growth": {"revenue_growth"},
    "cloud_revenue": {"cloud_revenue"},
    "cloud_revenue_growth": {"cloud_revenue_growth"},
    "net_income": {"net_income"},
    "net_income_growth": {"net_income"},
    "net_profit_change": {"net_income"},
    "adjusted_eps_per_ads": {"earnings_per_share"},
    "capex": {"quarterly_capex", "ai_investment_commitment"},
    "ai_capex": {"quarterly_capex", "ai_investment_commitment"},
    "ai_datacenter_capex": {"quarterly_capex", "ai_investment_commitment"},
    "ai_chip_spend": {"quarterly_capex", "ai_investment_commitment"},
    "share_price_change": {"share_price_move"},
    "share_price": {"share_price"},
    "market_value_gain": {"market_value"},
    "post_money_valuation": {"market_value"},
    "funding_round_size": {"fundraising"},
    "downloads": {"downloads"},
    "users": {"users"},
    "weekly_active_users": {"users"},
    "model_parameters": {"model_parameters"},
    "max_model_parameters": {"model_parameters"},
    "model_variants": {"derivative_models", "open_source_model_count"},
    "market_size": {"market_size"},
    "market_growth": {"market_growth"},
    "ai_investment_forecast": {"industry_ai_investment"},
    "market_share_china_ai_cloud": {"market_share"},
    "market_share_china_cloud": {"market_share"},
    "availability_zones": {"regions_and_data_centres"},
    "cloud_regions": {"regions_and_data_centres"},
    "new_data_centres": {"regions_and_data_centres"},
    "ppu_cards_deployed": {"chips"},
    "total_accelerators": {"chips"},
    "h200_test_order": {"chips"},
}
# The labeller's subject names folded to the entity they name (a product or unit of a company
# the catalogue lists under the company; a market is "(market)").
SUBJECT_MATCH = {
    "Qwen app": {"Qwen"},
    "Qwen3-Max": {"Qwen"},
    "ERNIE 4.5": {"Baidu"},
    "Huawei Cloud": {"Huawei"},
    "Volcano Engine": {"ByteDance"},
    "Google Cloud": {"Google"},
    "Tencent Cloud": {"Tencent"},
    "Azure": {"Microsoft"},
    "ChatGPT": {"OpenAI"},
    "Taobao and Tmall Group": {"Taobao"},
    "T-Head PPU": {"T-Head", "Alibaba"},
}


def _gold_subject_ok(g: GoldClaim, subject: str | None) -> bool:
    if g.subject.endswith(("market", "industry")):
        return subject == "(market)"
    return subject in SUBJECT_MATCH.get(g.subject, {g.subject})


def _gold_metric(g: GoldClaim, f: dict[str, Any]) -> str:
    return g.metric if f.get("metric") in METRIC_MATCH.get(g.metric, {g.metric}) else "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=("all", "A", "B"), default="all")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = parser.parse_args()
    if not (shared_dir() / "corpus-dev" / "corpus-dev.jsonl").exists():
        print(f"skipped: no corpus-dev under {shared_dir()} (set INGEST_SHARED)")
        return 0
    docs = load(args.half)
    with tempfile.TemporaryDirectory() as tmp:
        figures, findings = run_product(docs, Path(tmp))
    match_figures(docs, figures)
    link = linking(docs)
    scores = score_findings(docs, findings)
    judged = scores.pop("judged")
    if args.json:
        print(json.dumps({"half": args.half, "linking": link, **scores}, indent=1))
    else:
        print(f"half {args.half}: {len(docs)} articles, {len(figures)} figures")
        print(
            f"claim linking     precision {link['precision']:.2f}  recall {link['recall']:.2f}"
            f"  ({link['product_pairs']} product pairs, {link['gold_pairs']} labelled pairs)"
        )
        print(
            f"changed+conflict  precision {scores['cc_precision']:.2f}  recall "
            f"{scores['cc_recall']:.2f}  ({scores['cc']} findings; events "
            f"{len(scores['events_hit'])}/{len(scores['events'])})"
        )
        print(
            f"findings          {scores['findings']} ({scores['per_article']:.2f} per article),"
            f" worth reading {scores['worth_reading']:.2f}"
        )
        print(
            f"new               {scores['new']}, subject+metric right "
            f"{scores['new_subject_metric_right']:.2f}"
        )
        missed = sorted(set(scores["events"]) - set(scores["events_hit"]))
        if missed:
            print("events missed:   " + "; ".join(missed))
    if args.show_errors:
        for f, ok, why in judged:
            fig = f.get("figure") or {}
            prev = "; ".join(p["text"] for p in f.get("previous", []))
            print(
                f"{'ok ' if ok else 'BAD'} {f['kind']:8} {f.get('subject')!s:14} "
                f"{f['metric']:26} {fig.get('text', '')!s:28} <- {prev[:40]:40} | {why}"
                f" | {(fig.get('sentence') or '')[:90]}"
            )
        groups: dict[tuple[str, str, str], list[GoldClaim]] = defaultdict(list)
        for d in docs:
            for g in d.claims:
                groups[g.identity].append(g)
                if g.figure is None:
                    print(f"UNMATCHED {g.doc} {g.identity} {g.text!r}")
        for identity, members in groups.items():
            claims = {claim_of(g.figure) for g in members if g.figure is not None}
            if len({g.doc for g in members}) > 1 and len(claims) > 1:
                print(f"SPLIT {identity}:")
                for g in members:
                    fig = g.figure or {}
                    print(
                        f"    {g.doc} {g.text!r:40} claim {claim_of(g.figure)} "
                        f"{'; '.join(fig.get('claim_cues') or [])[:150]}"
                    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
