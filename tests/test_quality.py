"""The code's own checks run as part of the test suite, so one command runs everything."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["backend_client", "backend", "console", "hitl", "tests", "benchmarks"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


@pytest.mark.quality
def test_ruff_format() -> None:
    """Every file is formatted by ruff."""
    result = _run("ruff", "format", "--check", *PACKAGES)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.quality
def test_ruff_check() -> None:
    """ruff's lint rules (E, F, I, B, UP) pass."""
    result = _run("ruff", "check", *PACKAGES)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.quality
def test_mypy_strict_client() -> None:
    """The client package type-checks under mypy --strict."""
    result = _run("mypy", "--strict", "backend_client")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.quality
def test_mypy_backend_and_console() -> None:
    """The backend, the console, hitl, the benchmarks and the tests type-check (non-strict)."""
    result = _run("mypy", "backend", "console", "hitl", "benchmarks", "tests")
    assert result.returncode == 0, result.stdout + result.stderr


# -- the house rules, read from the source with `ast` --------------------------------------

PRODUCT = ["backend_client", "backend", "console", "hitl"]
"""The packages the house rules are about (tests and benchmarks may import anything)."""

FORBIDDEN = {
    "backend_client": ("textual", "console", "backend", "hitl"),
    "backend": ("console", "hitl", "textual"),
    "console": ("backend", "hitl"),
}
"""Which top-level packages each package must never import, at module level or in a function."""

MAX_LINES = 400
MAX_APP_LINES = 200
"""console/app.py is wiring only."""

RESTRUCTURING = "restructured on a parallel branch: holds once rebuild-backend/-console are merged"
CYCLES_UNTIL_MERGED: set[str] = set()
SIZE_UNTIL_MERGED: set[str] = set()
# issue-16: main at fc65d57 already fails this for console (audit_log.py, conversation.py,
# audit_list.py, queue_list.py over 400 lines); held as expected-to-fail until the lead splits them.
"""Packages whose rules this branch cannot meet yet (backend_client: _client.py and _models.py
are over 400 lines). Empty both sets at the merge."""


def _until_merged(packages: list[str], waiting: set[str]) -> list[object]:
    return [
        pytest.param(p, marks=pytest.mark.xfail(reason=RESTRUCTURING, strict=False))
        if p in waiting
        else p
        for p in packages
    ]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    """Every module of the product packages by dotted name."""
    return {
        _module_name(path): path for package in PRODUCT for path in (ROOT / package).rglob("*.py")
    }


def _imports(name: str, path: Path) -> list[str]:
    """Every module `name` imports, anywhere in the file (functions and TYPE_CHECKING too).

    A `from package import name` yields `package.name` as well, which is only
    an edge when such a module exists; relative imports are made absolute.
    """
    is_package = path.name == "__init__.py"
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".")
                drop = node.level - 1 if is_package else node.level
                anchor = package[: len(package) - drop]
                base = ".".join([*anchor, base] if base else anchor)
            found.append(base)
            found.extend(f"{base}.{alias.name}" for alias in node.names)
    return found


def test_layering() -> None:
    """backend_client imports no textual/console/backend/hitl; backend no console/hitl;
    console no backend/hitl. Only hitl imports both sides."""
    broken = []
    for name, path in _modules().items():
        forbidden = FORBIDDEN.get(name.split(".")[0], ())
        for imported in _imports(name, path):
            if imported.split(".")[0] in forbidden:
                broken.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert not broken, "\n".join(sorted(set(broken)))


def _import_graph() -> dict[str, set[str]]:
    """module -> the product modules it imports (the nearest existing module of each name)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for imported in _imports(name, path):
            if imported in modules and imported != name:
                graph[name].add(imported)
            elif imported.rpartition(".")[0] in modules and imported.rpartition(".")[0] != name:
                # `from pkg import thing`: thing is a name in pkg/__init__.py, not a module.
                graph[name].add(imported.rpartition(".")[0])
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return components


def _a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One concrete loop through a component, for the failure message."""
    members = set(component)
    path = [component[0]]
    seen = {component[0]}
    while True:
        step = min(t for t in graph[path[-1]] if t in members)
        if step in seen:
            return [*path[path.index(step) :], step]
        path.append(step)
        seen.add(step)


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check below would notice a cycle (it is not vacuously green)."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _a_cycle(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]


@pytest.mark.parametrize("package", _until_merged(PRODUCT, CYCLES_UNTIL_MERGED))
def test_no_import_cycles(package: str) -> None:
    """No module of `package` is on an import cycle, counting function-local imports."""
    graph = _import_graph()
    found = [
        " -> ".join(_a_cycle(graph, component)) + f"\n  all on one cycle: {', '.join(component)}"
        for component in _cycles(graph)
        if any(m.split(".")[0] == package for m in component)
    ]
    assert not found, "import cycles:\n" + "\n".join(found)


@pytest.mark.parametrize("package", [*_until_merged(PRODUCT, SIZE_UNTIL_MERGED), "benchmarks"])
def test_modules_stay_small(package: str) -> None:
    """No module over ~400 lines; console/app.py, the wiring, at most 200."""
    too_long = []
    for path in sorted((ROOT / package).rglob("*.py")):
        lines = len(path.read_text().splitlines())
        limit = MAX_APP_LINES if path == ROOT / "console" / "app.py" else MAX_LINES
        if lines > limit:
            too_long.append(f"{path.relative_to(ROOT)}: {lines} lines (at most {limit})")
    assert not too_long, "\n".join(too_long)
