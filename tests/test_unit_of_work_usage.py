"""No code in ingest/ holds a unit of work across an ``await`` (read from the source)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ingest"


def _opens_unit(node: ast.With | ast.AsyncWith) -> bool:
    for item in node.items:
        call = item.context_expr
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "unit"
        ):
            return True
    return False


def test_no_await_inside_a_unit() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.With | ast.AsyncWith) and _opens_unit(node):
                if isinstance(node, ast.AsyncWith):
                    found.append(f"{path.name}:{node.lineno}: async with around a unit")
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Await | ast.AsyncFor | ast.AsyncWith):
                        found.append(f"{path.relative_to(PACKAGE)}:{inner.lineno}: await in a unit")
    assert not found, "\n".join(found)


def test_the_check_sees_units() -> None:
    """The scan recognises the pattern it forbids (so the test above can fail)."""
    bad = ast.parse("async def f(store):\n    with store.unit() as tx:\n        await g(tx)\n")
    withs = [n for n in ast.walk(bad) if isinstance(n, ast.With)]
    assert withs and _opens_unit(withs[0])
    assert any(isinstance(n, ast.Await) for n in ast.walk(withs[0]))
