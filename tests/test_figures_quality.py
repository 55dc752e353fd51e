"""Quality of the figure extractor on the hand-labelled set in tests/data/figures/labelled.txt."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.figures import Figure, FigureSettings, extract_figures, load_figure_settings

LABELLED = Path(__file__).parent / "data" / "figures" / "labelled.txt"


@dataclass(frozen=True)
class Gold:
    """One hand-labelled figure."""

    text_id: str
    start: int
    end: int
    value: float
    unit: str
    qualifier: str
    metric: str | None


@dataclass(frozen=True)
class Scores:
    """Precision and recall per aspect, with the counts behind them."""

    counts: dict[str, tuple[int, int, int]]  # aspect -> (true positives, predicted, gold)

    def precision(self, aspect: str) -> float:
        tp, pred, _ = self.counts[aspect]
        return tp / pred if pred else 1.0

    def recall(self, aspect: str) -> float:
        tp, _, gold = self.counts[aspect]
        return tp / gold if gold else 1.0


def load_labelled(path: Path = LABELLED) -> list[tuple[str, str, list[Gold]]]:
    """Parse the labelled file into (id, text, gold figures)."""
    out: list[tuple[str, str, list[Gold]]] = []
    blocks = path.read_text(encoding="utf-8").split("\n### ")[1:]
    for block in blocks:
        head, _, rest = block.partition("\n")
        text_part, _, label_part = rest.partition("\n---\n")
        text = text_part.strip("\n")
        text_id = head.strip()
        golds = []
        for line in label_part.strip().splitlines():
            if not line.strip():
                continue
            anchor, value, unit, qualifier, metric = (p.strip() for p in line.split(" | "))
            occurrence = 1
            if "@" in anchor and anchor.rsplit("@", 1)[1].isdigit():
                anchor, occ = anchor.rsplit("@", 1)
                occurrence = int(occ)
            pos = -1
            for _ in range(occurrence):
                pos = text.find(anchor, pos + 1)
            assert pos >= 0, f"{text_id}: anchor {anchor!r} not in text"
            golds.append(
                Gold(
                    text_id,
                    pos,
                    pos + len(anchor),
                    float(value),
                    unit,
                    qualifier,
                    None if metric == "-" else metric,
                )
            )
        out.append((text_id, text, golds))
    return out


def match(golds: list[Gold], figures: tuple[Figure, ...]) -> list[tuple[Gold, Figure]]:
    """Pair gold and predicted figures one-to-one by largest span overlap."""
    pairs: list[tuple[int, int, int]] = []
    for gi, g in enumerate(golds):
        for fi, f in enumerate(figures):
            overlap = min(g.end, f.end) - max(g.start, f.start)
            if overlap > 0:
                pairs.append((overlap, gi, fi))
    pairs.sort(reverse=True)
    used_g: set[int] = set()
    used_f: set[int] = set()
    out = []
    for _, gi, fi in pairs:
        if gi in used_g or fi in used_f:
            continue
        used_g.add(gi)
        used_f.add(fi)
        out.append((golds[gi], figures[fi]))
    return out


def same_value(a: float, b: float) -> bool:
    """Values agree to 6 significant digits."""
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def score(
    settings: FigureSettings, data: list[tuple[str, str, list[Gold]]]
) -> tuple[Scores, list[str]]:
    """Score the extractor over the labelled set; also return a line per disagreement."""
    tp = {"value+unit": 0, "qualifier": 0, "metric": 0}
    pred = {"value+unit": 0, "qualifier": 0, "metric": 0}
    gold = {"value+unit": 0, "qualifier": 0, "metric": 0}
    errors: list[str] = []
    for text_id, text, golds in data:
        figures = extract_figures(text, settings)
        pred["value+unit"] += len(figures)
        pred["qualifier"] += len(figures)
        pred["metric"] += sum(1 for f in figures if f.metric)
        gold["value+unit"] += len(golds)
        gold["qualifier"] += len(golds)
        gold["metric"] += sum(1 for g in golds if g.metric)
        pairs = match(golds, figures)
        matched_f = {id(f) for _, f in pairs}
        matched_g = {id(g) for g, _ in pairs}
        for g, f in pairs:
            ok = same_value(g.value, f.value) and g.unit == f.unit
            tp["value+unit"] += ok
            tp["qualifier"] += ok and g.qualifier == f.qualifier
            tp["metric"] += bool(ok and g.metric and g.metric == f.metric)
            if not ok or g.qualifier != f.qualifier or g.metric != f.metric:
                errors.append(
                    f"{text_id}: {f.text!r} got {f.value:g} {f.unit} {f.qualifier} {f.metric}; "
                    f"want {g.value:g} {g.unit} {g.qualifier} {g.metric}"
                )
        errors += [
            f"{text_id}: extra {f.text!r} {f.value:g} {f.unit}"
            for f in figures
            if id(f) not in matched_f
        ]
        errors += [
            f"{text_id}: missed {text[g.start : g.end]!r}" for g in golds if id(g) not in matched_g
        ]
    counts = {k: (tp[k], pred[k], gold[k]) for k in tp}
    return Scores(counts), errors


@pytest.fixture(scope="module")
def labelled() -> list[tuple[str, str, list[Gold]]]:
    return load_labelled()


def test_labelled_set_is_large_enough(labelled: list[tuple[str, str, list[Gold]]]) -> None:
    """The labelled set has at least 300 figures from at least 40 texts, as the issue asks."""
    assert len(labelled) >= 40
    assert sum(len(g) for _, _, g in labelled) >= 300


def test_quality_targets(labelled: list[tuple[str, str, list[Gold]]]) -> None:
    """Value+unit precision/recall >= 0.95, metric >= 0.90, qualifier >= 0.90 on the set."""
    scores, errors = score(load_figure_settings(), labelled)
    report = "\n".join(
        f"{aspect:11} P={scores.precision(aspect):.3f} R={scores.recall(aspect):.3f} "
        f"(tp={c[0]} pred={c[1]} gold={c[2]})"
        for aspect, c in scores.counts.items()
    )
    print("\n" + report)
    detail = report + "\n" + "\n".join(errors)
    assert scores.precision("value+unit") >= 0.95, detail
    assert scores.recall("value+unit") >= 0.95, detail
    assert scores.precision("metric") >= 0.90, detail
    assert scores.recall("metric") >= 0.90, detail
    assert scores.precision("qualifier") >= 0.90, detail
    assert scores.recall("qualifier") >= 0.90, detail
