"""The runtime stays easy to follow: one composition root, one timeline helper (read from the source)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "quotemaild"


@cache
def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = ast.parse(path.read_text(), str(path))
    return out


def _imports(name: str) -> set[str]:
    """Package modules `name` imports, at module level or inside functions (lazy imports count)."""
    modules = _modules()
    found = set()
    for node in ast.walk(modules[name]):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t in modules and t != name)
    return found


def _reaches(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for target in _imports(todo.pop()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_composition_root_is_imported_by_the_cli_only() -> None:
    """daemon.py builds everything; only the CLI (its `serve`) imports it."""
    importers = {name for name in _modules() if "quotemaild.daemon" in _imports(name)}
    assert importers and all(name.startswith("quotemaild.edges.cli") for name in importers), importers


def test_no_circle_between_root_wiring_and_lifecycle() -> None:
    """daemon -> wiring and daemon -> edges.lifecycle; neither leads back to the root nor to each other."""
    assert "quotemaild.daemon" not in _reaches("quotemaild.wiring")
    assert "quotemaild.daemon" not in _reaches("quotemaild.edges.lifecycle")
    assert "quotemaild.edges.lifecycle" not in _reaches("quotemaild.wiring")
    assert "quotemaild.wiring" not in _reaches("quotemaild.edges.lifecycle")


def test_timeline_entries_are_written_by_the_timeline_helper_only() -> None:
    """Every timeline entry goes through services/timeline.py (`event` or `record`); bench seeding aside."""
    offenders = []
    for name, tree in _modules().items():
        if name in ("quotemaild.services.timeline", "quotemaild.store.models.requests") or name.startswith(
            "quotemaild.bench"
        ):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            args = [a.id for a in node.args if isinstance(a, ast.Name)]
            if called == "TimelineEvent" or (called == "insert" and "TimelineEvent" in args):
                offenders.append(f"{name}:{node.lineno}")
    assert offenders == []
