"""The import graph of ``flowdash``, built from the source with ``ast`` (style.md "Layout"):

* no import cycle, counting imports inside functions too (a lazy import hides a cycle from
  Python, not from a reader); only imports under ``if TYPE_CHECKING:`` are left out;
* ``flowdash.useapi`` and ``flowdash.lib`` import no Django app of the project;
* no app imports a view module of another app.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "flowdash"
# Not Django apps: the project package's own modules and the two layers below the apps.
BELOW_APPS = ("useapi", "lib")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool, known: set[str]):
    """``(imported module, line)`` for every import of the tree, wherever it stands."""
    package = module if is_package else module.rpartition(".")[0]

    def visit(node: ast.AST):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield (full if full in known else base), node.lineno
        for child in ast.iter_child_nodes(node):
            yield from visit(child)

    yield from visit(tree)


def import_graph() -> tuple[dict[str, set[str]], dict[tuple[str, str], int]]:
    files = {module_name(p): p for p in ROOT.rglob("*.py") if "migrations" not in p.parts}
    known = set(files)
    graph: dict[str, set[str]] = {name: set() for name in files}
    lines: dict[tuple[str, str], int] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(), str(path))
        for target, line in _imports(tree, name, path.name == "__init__.py", known):
            while target and target not in known and "." in target:
                target = target.rpartition(".")[0]  # a name imported from a module
            if target in known and target != name:
                graph[name].add(target)
                lines.setdefault((name, target), line)
    return graph, lines


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def app_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else ""  # "" = a module of the project package itself


def _describe(component: list[str], graph, lines) -> str:
    members = set(component)
    edges = [
        f"  {a} -> {b} (line {lines[a, b]})" for a in component for b in sorted(graph[a] & members)
    ]
    return "\n".join(edges)


def test_the_graph_sees_lazy_imports_and_skips_type_checking_ones():
    graph, _ = import_graph()
    # jobs.tasks imports the dispatcher inside its task function
    assert "flowdash.jobs.pipeline.dispatch" in graph["flowdash.jobs.tasks"]
    # jobs.kinds names the account model only for type checking
    assert "flowdash.accounts.models" not in graph["flowdash.jobs.kinds"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_in_flowdash():
    graph, lines = import_graph()
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n\n".join(_describe(c, graph, lines) for c in found)


def test_useapi_and_lib_import_no_django_app():
    graph, lines = import_graph()
    wrong = [
        f"{module} -> {target} (line {lines[module, target]})"
        for module, targets in graph.items()
        if app_of(module) in BELOW_APPS
        for target in sorted(targets)
        if app_of(target) not in BELOW_APPS
    ]
    assert not wrong, "useapi / lib import an app:\n" + "\n".join(wrong)


def test_no_app_imports_the_views_of_another_app():
    graph, lines = import_graph()
    wrong = [
        f"{module} -> {target} (line {lines[module, target]})"
        for module, targets in graph.items()
        for target in sorted(targets)
        if app_of(module)
        and app_of(target) != app_of(module)
        and (target.split(".")[2:3] == ["views"])
    ]
    assert not wrong, "views imported across apps:\n" + "\n".join(wrong)
