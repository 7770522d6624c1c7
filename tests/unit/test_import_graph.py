"""The core's modules import each other without cycles (every import, TYPE_CHECKING and
imports inside functions too)."""

from __future__ import annotations

import ast
from pathlib import Path

import kore_tui

PACKAGE = Path(kore_tui.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _typing_only(tree: ast.AST) -> set[int]:
    """Line numbers inside ``if TYPE_CHECKING:`` blocks (imports for annotations only)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "TYPE_CHECKING"
        ):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def import_graph(*, runtime_only: bool = False) -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        skipped = _typing_only(tree) if runtime_only else set()
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skipped:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # ``from pkg import mod`` imports the module pkg.mod when there is one
                targets = [
                    f"{node.module}.{a.name}"
                    for a in node.names
                    if f"{node.module}.{a.name}" in modules
                ] or [node.module]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for nxt in sorted(graph[node]):
            cycle = visit(nxt, [*path, node])
            if cycle:
                return cycle
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start, [])
        if cycle:
            return cycle
    return None


def test_the_core_has_no_import_cycle() -> None:
    graph = {
        m: {t for t in targets if t.startswith("kore_tui.core")}
        for m, targets in import_graph().items()
        if m.startswith("kore_tui.core")
    }
    assert {
        "kore_tui.core.engine",
        "kore_tui.core.outcomes",
        "kore_tui.core.scheduler",
        "kore_tui.core.following",
    } <= set(graph)
    assert "kore_tui.core.outcomes" in graph["kore_tui.core.protocol"]  # the walk sees imports
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_whole_package_has_no_import_cycle_at_run_time() -> None:
    # Run: python -m pytest tests/unit/test_import_graph.py. Outside the core, a part may
    # name the class that composes it in an annotation (the simulator's routes name
    # Simulator under TYPE_CHECKING); what runs must still import in one direction.
    graph = import_graph(runtime_only=True)
    assert "kore_tui.tui.app" in graph["kore_tui.tui.launch"] or graph["kore_tui.tui.launch"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
