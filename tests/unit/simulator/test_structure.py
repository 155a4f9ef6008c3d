"""The simulator package's import graph: no cycle, and ``state`` (the registry) imports no managed-object
module. Read from the source with ``ast``; an import under ``if TYPE_CHECKING:`` is for types only and
is not an edge (it never runs)."""

from __future__ import annotations

import ast
import os

from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.simtools import SIM_DIR

PACKAGE = "vsphere_sim"
PACKAGE_DIR = os.path.join(SIM_DIR, PACKAGE)


def _type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, modules: set[str]) -> set[str]:
    """The package modules ``tree`` imports at run time."""
    found: set[str] = set()
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if _type_checking(node):
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level == 1 or base.split(".")[0] == PACKAGE:
                target = base if node.level == 1 else base[len(PACKAGE) + 1:]
                names = [target] if target else [alias.name for alias in node.names]
                found |= {n.split(".")[0] for n in names if n.split(".")[0] in modules}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith(PACKAGE + ".") and a.name.split(".")[1] in modules}
        todo.extend(ast.iter_child_nodes(node))
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {f[:-3] for f in os.listdir(PACKAGE_DIR) if f.endswith(".py")}
    graph = {}
    for name in sorted(modules):
        with open(os.path.join(PACKAGE_DIR, name + ".py"), encoding="utf-8") as fh:
            graph[name] = _imports(ast.parse(fh.read()), modules) - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` as a path that ends where it starts, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return None
        for nxt in sorted(graph.get(node, ())):
            cycle = visit(nxt, path + [node])
            if cycle:
                return cycle
        done.add(node)
        return None

    return next((c for c in (visit(n, []) for n in sorted(graph)) if c), None)


def test_the_simulator_has_no_import_cycle():
    assert find_cycle(import_graph()) is None


def test_the_registry_imports_no_managed_object_module():
    assert import_graph()["state"] <= {"soap"}


def test_the_graph_is_read_from_the_source():
    """Controls: the edges the modules really have are found, type-only imports are not, and a cycle is reported."""
    graph = import_graph()
    assert {"base", "host", "host_model", "service", "state"} <= graph["dvs"]
    assert {"dvs", "host", "host_network", "service", "state", "storage"} <= graph["inventory"]
    assert "host_model" not in graph["state"]  # imported under TYPE_CHECKING only
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
