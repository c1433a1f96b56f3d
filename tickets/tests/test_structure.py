"""Code dependencies go one way: no import cycle between the case services, none dodged by a function-level
import, and warranty never imports tickets."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "tickets" / "services"
# The digest hand-off is replaced by the transactional outbox; its body is left as it is until then.
ALLOWED_LOCAL_IMPORTS: set[tuple[str, str, str]] = set()


def imports(path: Path):
    """(imported module, enclosing function or None) for every import in the file."""
    tree = ast.parse(path.read_text())
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            if isinstance(child, ast.ImportFrom) and child.module:
                found.append((child.module, function))
                found.extend((f"{child.module}.{alias.name}", function) for alias in child.names)
            elif isinstance(child, ast.Import):
                found.extend((alias.name, function) for alias in child.names)
            visit(child, inner)

    visit(tree, None)
    return found


def service_graph() -> dict[str, set[str]]:
    names = {path.stem for path in SERVICES.glob("*.py") if path.stem != "__init__"}
    graph = {}
    for name in names:
        targets = set()
        for module, _function in imports(SERVICES / f"{name}.py"):
            parts = module.split(".")
            if parts[:2] == ["tickets", "services"] and len(parts) > 2 and parts[2] in names:
                targets.add(parts[2])
        graph[name] = targets - {name}
    return graph


def test_service_modules_import_cycle_none():
    graph = service_graph()
    state: dict[str, int] = {}
    cycle: list[str] = []

    def walk(node, path):
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycle.extend([*path, node, target])
                return True
            if target not in state and walk(target, [*path, node]):
                return True
        state[node] = 2
        return False

    for name in sorted(graph):
        if name not in state and walk(name, []):
            break
    assert not cycle, " -> ".join(cycle)
    # The SLA clock and the events are the bottom: they need no other case service.
    assert graph["clock"] == set()
    assert graph["events"] == set()
    assert "clock" in graph["timers"] | graph["ladder"]
    assert "ladder" in graph["timers"] and "ladder" in graph["escalation"]


@pytest.mark.parametrize("path", sorted(SERVICES.glob("*.py")), ids=lambda p: p.stem)
def test_service_module_function_level_imports_none(path):
    local = [
        (module, function)
        for module, function in imports(path)
        if function is not None
        and module.split(".")[0] in ("tickets", "warranty", "dealers", "aftersales")
        and (path.stem, function, module) not in ALLOWED_LOCAL_IMPORTS
        and not any(module.startswith(f"{allowed}.") for _s, _f, allowed in ALLOWED_LOCAL_IMPORTS)
    ]
    assert local == []


def test_warranty_imports_tickets_never():
    offenders = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / "warranty").rglob("*.py")
        for module, _function in imports(path)
        if module == "tickets" or module.startswith("tickets.")
    ]
    assert offenders == []
