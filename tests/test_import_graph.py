"""The import graph of ingest/ has no cycles: between modules, and between packages.

Built with :mod:`ast` from the source, not by importing it. Every ``import`` counts, at module
level or inside a function (a function-level import only moves a cycle to run time); imports
under ``if TYPE_CHECKING:`` are left out, since they never run (mypy resolves cycles among
annotations itself). Importing ``ingest.a.b`` from outside package ``ingest.a`` also runs
``ingest/a/__init__.py``, so it counts as an edge to the package as well.

The package graph collapses each subpackage (``ingest.findings``, ``ingest.store``, ...) into
one node, except its ``settings`` module, which stays a node of its own: the stages' settings
are the layer the config loader imports, the rest of a stage's package sits above the loader.
And ``ingest.findings.record -> ingest.store.findings -> ingest.findings.claims`` is no
cycle between modules but is one between the two packages, and that is the kind of tangle that
later grows into a module cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
Graph = Mapping[str, set[str]]


def module_names(root: Path) -> dict[str, Path]:
    """``ingest.store.findings`` -> its file, for every module of the package under ``root``."""
    out = {}
    for path in sorted((root / "ingest").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run, wherever it is (TYPE_CHECKING blocks left out)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for other in node.orelse:
                yield from _imports(ast.Module(body=[other], type_ignores=[]))
        else:
            yield from _imports(node)


def import_graph(root: Path, *, packages: bool = True) -> dict[str, set[str]]:
    """Module -> the ingest modules importing it runs: the ones it names, and (``packages``)
    the packages they are in, whose ``__init__`` runs first."""
    modules = module_names(root)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
                continue
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.add(sub if sub in modules else base)
        edges: set[str] = set()
        for target in targets:
            if target not in modules:
                continue  # the standard library or a third party
            edges.add(target)
            if not packages:
                continue
            parts = target.split(".")
            for i in range(1, len(parts)):
                ancestor = ".".join(parts[:i])
                # A module inside the package finds it initialised (or initialising) already.
                if ancestor in modules and not (name + ".").startswith(ancestor + "."):
                    edges.add(ancestor)
        edges.discard(name)
        graph[name] = edges
    return graph


def package_graph(graph: Graph, root: Path) -> dict[str, set[str]]:
    """The module graph with each subpackage of ingest collapsed into one node (pass it a
    graph without the package edges: the settings module would otherwise drag in its whole
    package through ``__init__``, which the module graph checks on its own)."""

    def node(module: str) -> str:
        parts = module.split(".")
        is_package = len(parts) >= 2 and (root / "ingest" / parts[1]).is_dir()
        # A stage's settings module sits below the loader, the rest of its package above it.
        return ".".join(parts[:2]) if is_package and parts[-1] != "settings" else module

    out: dict[str, set[str]] = {}
    for module, targets in graph.items():
        out.setdefault(node(module), set()).update(
            node(t) for t in targets if node(t) != node(module)
        )
    return out


def find_cycle(graph: Graph) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or None when it has none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_no_import_cycle_between_modules() -> None:
    """No module of ingest/ imports, directly or through others, a module importing it."""
    cycle = find_cycle(import_graph(ROOT))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_import_cycle_between_packages() -> None:
    """No subpackage of ingest/ (findings, store, alerts, ...) depends on one depending on it,
    and the top-level modules (config, ...) fit in without cycles either."""
    cycle = find_cycle(package_graph(import_graph(ROOT, packages=False), ROOT))
    assert cycle is None, "package import cycle: " + " -> ".join(cycle or [])


def test_the_runtime_package_does_not_import_the_demo() -> None:
    """ingest_demo (demo site, webhook receiver, loopback server) stays outside the runtime:
    only the ``ingest demo`` command loads it, when it runs."""
    importers = []
    for name, path in module_names(ROOT).items():
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            named = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            if any((n or "").split(".")[0] == "ingest_demo" for n in named):
                importers.append(name)
    assert sorted(set(importers)) == ["ingest.cli.commands_demo"]


def test_migrations_import_no_query_module() -> None:
    """Migrations are frozen: they hold their own DDL and import no store query module, whose
    later edits must not change what an old migration built."""
    graph = import_graph(ROOT)
    store_modules = {m for m in graph if m.startswith("ingest.store.")}
    allowed = {"ingest.store"}  # the package itself is initialised first; it imports nothing back
    assert graph["ingest.store.migrations"] & store_modules - allowed == set()


def test_settings_modules_do_not_import_the_loader() -> None:
    """The loader (ingest.config) imports the stages' settings, never the reverse, and the
    shared schema imports nothing of ingest but its errors."""
    graph = import_graph(ROOT)
    settings = [m for m in graph if m.endswith(".settings")]
    assert len(settings) >= 6
    for module in settings:
        assert "ingest.config" not in graph[module], module
    assert graph["ingest.settings_schema"] == {"ingest.errors"}


CYCLIC = {
    "ingest/__init__.py": "",
    "ingest/config.py": "from ingest.alerts.settings import parse\n",
    "ingest/alerts/__init__.py": "from ingest.alerts.settings import parse\n",
    "ingest/alerts/settings.py": "def parse():\n    from ingest.config import Table\n",
    "ingest/store/__init__.py": "",
    "ingest/store/findings.py": "from ingest.findings.claims import ClaimKey\n",
    "ingest/store/migrations.py": "from ingest.store.findings import FindingQueries\n",
    "ingest/findings/__init__.py": "",
    "ingest/findings/claims.py": "from typing import TYPE_CHECKING\n"
    "if TYPE_CHECKING:\n    from ingest.config import Config\n",
    "ingest/findings/record.py": "from ingest.store.findings import FindingQueries\n",
}


@pytest.fixture
def cyclic(tmp_path: Path) -> Path:
    """A small tree with the cycles ingest once had: config <-> alerts.settings (through a
    function-level import), findings <-> store, and migrations importing a query module."""
    for name, text in CYCLIC.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_the_checks_find_the_old_cycles(cyclic: Path) -> None:
    """The graph sees function-level imports, skips TYPE_CHECKING ones, and names the cycles."""
    graph = import_graph(cyclic)
    assert graph["ingest.alerts.settings"] == {"ingest.config"}
    assert graph["ingest.config"] == {"ingest.alerts", "ingest.alerts.settings"}
    assert graph["ingest.findings.claims"] == set()
    assert find_cycle(graph) == [
        "ingest.alerts",
        "ingest.alerts.settings",
        "ingest.config",
        "ingest.alerts",
    ]
    graph = import_graph(cyclic, packages=False)
    assert package_graph(graph, cyclic)["ingest.findings"] == {"ingest.store"}
    del graph["ingest.alerts.settings"]
    assert find_cycle(graph) is None
    assert find_cycle(package_graph(graph, cyclic)) == [
        "ingest.findings",
        "ingest.store",
        "ingest.findings",
    ]
    assert "ingest.store.findings" in graph["ingest.store.migrations"]
