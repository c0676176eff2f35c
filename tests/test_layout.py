"""README's layout, checked on the code's own imports: no import cycle, and kernel modules (those that
compile Numba kernels, i.e. import ``fastgmm._jit``) import nothing else of fastgmm but other kernel
modules.  Imports inside functions count: a lazy import is still a dependency."""

from __future__ import annotations

import ast
from pathlib import Path

import fastgmm

PACKAGE = Path(fastgmm.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """fastgmm module -> the fastgmm modules it imports (``from x import name`` counts x.name when
    that is a module, else x)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        here = name if is_package else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                           for alias in node.names]
            else:
                continue
            found.update(t for t in targets if t in modules and t != name)
        graph[name] = found
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _ancestors(name: str) -> set[str]:
    """Packages above ``name`` (importing fastgmm.a.b runs fastgmm/__init__ and fastgmm/a/__init__)."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def test_the_package_has_no_import_cycle():
    graph = _imports()
    assert len(graph) > 20  # the walk found the package
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_kernel_modules_import_only_jit_and_other_kernel_modules():
    graph = _imports()
    kernels = {name for name, deps in graph.items() if "fastgmm._jit" in deps}
    assert {"fastgmm.mixture._em", "fastgmm.mixture._lloyd", "fastgmm._colours"} <= kernels
    allowed = kernels | {"fastgmm._jit"}
    offenders = {name: sorted(graph[name] - allowed - _ancestors(name)) for name in kernels}
    assert {name: deps for name, deps in offenders.items() if deps} == {}


def test_data_flows_one_way_from_cli_to_kernels():
    graph = _imports()
    assert [name for name, deps in graph.items() if "fastgmm.cli" in deps] == ["fastgmm.__main__"]
    for name, deps in graph.items():
        if name.startswith("fastgmm.mixture"):
            assert not {d for d in deps if d.startswith("fastgmm.background") or d in (
                "fastgmm.cli", "fastgmm.pipeline", "fastgmm.distributed", "fastgmm.segmentation")}, name
