"""The house rules that tools can check: ruff (lint and format) and mypy --strict on ingest/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CODE = ["ingest", "ingest_demo", "tests", "bench", "scripts"]


def tool(name: str) -> str:
    found = Path(sys.executable).parent / name
    if found.exists():
        return str(found)
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (it comes with the dev extra: pip install -e .[dev])")
    return path


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_lint() -> None:
    """ruff check passes with the project's rule set."""
    done = run(tool("ruff"), "check", "--output-format", "concise", *CODE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format() -> None:
    """The code is formatted with ruff format."""
    done = run(tool("ruff"), "format", "--check", *CODE)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_mypy_strict() -> None:
    """mypy --strict (configured in pyproject.toml) finds no error in ingest/."""
    done = run(tool("mypy"))
    assert done.returncode == 0, done.stdout + done.stderr
