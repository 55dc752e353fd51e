"""Loading the Zyte article-extraction benchmark (181 pages) for the benchmarks and the test.

The data lives outside the repository: ``$INGEST_SHARED/bench/zyte-article-extraction`` (default
``<repo>/../shared``). Nothing of it is copied into the repository.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SUBDIR = Path("bench") / "zyte-article-extraction"


@dataclass(frozen=True, slots=True)
class BenchPage:
    id: str
    url: str
    html: bytes
    truth: str


def shared_dir() -> Path:
    return Path(os.environ.get("INGEST_SHARED", str(REPO.parent / "shared")))


def zyte_dir() -> Path:
    return shared_dir() / SUBDIR


def load_pages(directory: Path | None = None) -> list[BenchPage]:
    """Every page with its ground truth, in a stable order (by id)."""
    directory = directory or zyte_dir()
    truth = json.loads((directory / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        BenchPage(
            id=key,
            url=item["url"],
            html=gzip.decompress((directory / "html" / f"{key}.html.gz").read_bytes()),
            truth=item["articleBody"],
        )
        for key, item in sorted(truth.items())
    ]


def published_output(directory: Path | None = None) -> dict[str, str]:
    """trafilatura 2.0.0's published output on the same pages, for a paired comparison."""
    directory = directory or zyte_dir()
    data = json.loads((directory / "trafilatura-2.0.0-output.json").read_text(encoding="utf-8"))
    return {key: item.get("articleBody") or "" for key, item in data["output"].items()}
