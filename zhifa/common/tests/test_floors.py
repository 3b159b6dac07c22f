"""Floors: apps import only downward, and no two apps import each other (architecture.md "Floors", ADR 0023).

The test reads every production module under `zhifa/<app>/` with `ast` (module-level imports, imports inside
functions and `if TYPE_CHECKING:` blocks alike), maps each import of another app to an app-level edge, and fails
with a readable list on an import against the floor order or a cycle between apps. It needs no database and no
Django set-up: it only parses files.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ZHIFA = Path(__file__).resolve().parents[2]  # the `zhifa` package
REPO = ZHIFA.parent

# Bottom first. Apps on the same floor may import each other only while the graph stays acyclic.
FLOORS: dict[str, int] = {
    "common": 0,
    "accounts": 1,
    "workdays": 2,
    "records": 2,
    "registry": 3,
    "documents": 4,
    "review": 5,
    "cases": 6,
    "review-ui": 7,  # review's views, API and URLs: they may show cases; nothing below them imports them
    "disclosure": 8,
    "stats": 8,  # the annual statistics report counts cases and reviews; disclosure may publish it (ADR 0041)
    "inspection": 9,
    "supervision": 9,
    "assist": 9,
}

# The exception that architecture.md grants: the review UI may import cases, the review domain may not. These
# modules form their own node, one floor above cases.
REVIEW_UI = frozenset({"review/views.py", "review/api.py", "review/urls.py"})

# Packages under zhifa/ that are no app: browser tests and settings are not production modules of an app.
NOT_APPS = frozenset({"e2e", "settings", "static", "templates"})
SKIP_DIRS = frozenset({"tests", "migrations", "__pycache__"})

# TEMPORARY (issue 10 point 2): the review domain still imports cases. The review branch (s18-review) removes these
# arrows; empty this list when it is merged. Entries are (importing module, imported module).
KNOWN_REVIEW_TO_CASES: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Import:
    path: str  # "zhifa/records/views.py"
    line: int
    module: str  # "zhifa.disclosure.views"
    src: str  # floor node of the importing module
    dst: str  # floor node of the imported module
    where: str  # "module", "function" or "TYPE_CHECKING"

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.src} → {self.dst} ({self.module}, {self.where})"


def node_of(relative: str) -> str:
    """The floor node of a module path relative to zhifa/, e.g. "review/api.py" → "review-ui"."""
    if relative in REVIEW_UI:
        return "review-ui"
    return relative.split("/", 1)[0]


def node_of_module(dotted: str) -> str | None:
    parts = dotted.split(".")
    if parts[0] != "zhifa" or len(parts) < 2 or parts[1] in NOT_APPS or not (ZHIFA / parts[1]).is_dir():
        return None
    relative = "/".join(parts[1:])
    for candidate in (f"{relative}.py", f"{relative}/__init__.py"):
        if (ZHIFA / candidate).exists():
            return node_of(candidate)
    return parts[1]


def production_modules(root: Path = ZHIFA) -> Iterable[Path]:
    for app in sorted(p for p in root.iterdir() if (p / "__init__.py").exists() and p.name not in NOT_APPS):
        for path in sorted(app.rglob("*.py")):
            if SKIP_DIRS.isdisjoint(path.relative_to(root).parts) and path.name != "conftest.py":
                yield path


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(node: ast.AST, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:  # relative: resolve against the importing package
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            stem = ".".join(base + ([node.module] if node.module else []))
        else:
            stem = node.module or ""
        # `from zhifa.records import views` names a module: count the submodule where it is one.
        names = [f"{stem}.{a.name}" if _is_module(f"{stem}.{a.name}") else stem for a in node.names]
        return list(dict.fromkeys(names))
    if (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        return [node.args[0].value]
    return []


def _is_module(dotted: str) -> bool:
    relative = "/".join(dotted.split(".")[1:])
    return (ZHIFA / f"{relative}.py").exists() or (ZHIFA / relative / "__init__.py").exists()


def imports_of(path: Path, root: Path = ZHIFA) -> list[Import]:
    relative = path.relative_to(root).as_posix()
    src = node_of(relative)
    package = ".".join(["zhifa", *relative.split("/")[:-1]])
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []

    def visit(node: ast.AST, where: str) -> None:
        for module in _imported(node, package):
            dst = node_of_module(module)
            if dst is not None and dst != src:
                found.append(Import(f"zhifa/{relative}", getattr(node, "lineno", 0), module, src, dst, where))
        for child in ast.iter_child_nodes(node):
            if isinstance(node, ast.If) and _is_type_checking(node.test) and child in node.body:
                visit(child, "TYPE_CHECKING")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, "function")
            else:
                visit(child, where)

    visit(tree, "module")
    return found


def all_imports(root: Path = ZHIFA) -> list[Import]:
    return [imp for path in production_modules(root) for imp in imports_of(path, root)]


# ----------------------------------------------------------------------------------------------------- checker


def undeclared(imports: Iterable[Import]) -> list[str]:
    nodes = {n for imp in imports for n in (imp.src, imp.dst)}
    return sorted(f"app {n!r} has no floor: add it to FLOORS (architecture.md)" for n in nodes if n not in FLOORS)


def upward(imports: Iterable[Import], known: frozenset[tuple[str, str]] = frozenset()) -> list[Import]:
    """Imports from a lower floor to a higher one, except the known ones."""
    return [
        imp for imp in imports
        if FLOORS.get(imp.dst, 99) > FLOORS.get(imp.src, 99) and (imp.path, imp.module) not in known
    ]


def cycles(imports: Iterable[Import], known: frozenset[tuple[str, str]] = frozenset()) -> list[list[str]]:
    """Strongly connected groups of more than one app (Tarjan), each sorted; known imports are left out."""
    graph: dict[str, set[str]] = defaultdict(set)
    for imp in imports:
        if (imp.path, imp.module) not in known:
            graph[imp.src].add(imp.dst)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(set(graph) | {w for ws in graph.values() for w in ws}):
        if v not in index:
            strongconnect(v)
    return sorted(groups)


def report(imports: list[Import], known: frozenset[tuple[str, str]] = frozenset()) -> str:
    """Empty when the floors hold; otherwise one line per problem."""
    lines = undeclared(imports)
    ups = upward(imports, known)
    if ups:
        lines.append("Imports against the floor order (architecture.md \"Floors\"):")
        lines += [f"  {imp}" for imp in ups]
    for group in cycles(imports, known):
        lines.append(f"Cycle between apps: {' ↔ '.join(group)}")
        lines += [f"  {imp}" for imp in imports if imp.src in group and imp.dst in group
                  and (imp.path, imp.module) not in known]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------------- tests


def test_apps_import_only_downward_and_without_cycles() -> None:
    imports = all_imports()
    assert imports, "the checker found no cross-app import at all: it is not reading the code"
    problems = report(imports, KNOWN_REVIEW_TO_CASES)
    assert not problems, "\n" + problems


def test_known_list_holds_only_arrows_that_still_exist() -> None:
    """A known exception that no longer exists is removed from the list, so that it cannot come back unnoticed."""
    seen = {(imp.path, imp.module) for imp in all_imports()}
    assert not (KNOWN_REVIEW_TO_CASES - seen), sorted(KNOWN_REVIEW_TO_CASES - seen)


def _says_why(imp: Import) -> bool:
    """A comment on the import's line, or on the comment lines just above its block of imports."""
    lines = (REPO / imp.path).read_text(encoding="utf-8").splitlines()
    i = imp.line - 1
    if "#" in lines[i]:
        return True
    while i > 0 and lines[i - 1].strip().startswith(("from ", "import ")):
        i -= 1
    return i > 0 and lines[i - 1].strip().startswith("#")


def test_function_level_cross_app_imports_say_why() -> None:
    """No import hides inside a function to dodge a cycle (the floors make the cycles impossible). What stays in a
    function has a real reason (app-registry timing in `ready()`, start-up cost), given in a comment."""
    silent = [str(imp) for imp in all_imports() if imp.where == "function" and not _says_why(imp)]
    assert not silent, "\nHoist these to module level, or say in a comment why they stay:\n" + "\n".join(silent)


def _imp(src: str, dst: str, path: str = "", module: str = "") -> Import:
    return Import(path or f"zhifa/{src}/x.py", 1, module or f"zhifa.{dst}.y", src, dst, "module")


def test_checker_catches_an_upward_import_and_a_cycle() -> None:
    """The check can fail: planted edges are reported (upward import, cycle, same-floor cycle, unknown app)."""
    clean = [_imp("records", "common"), _imp("records", "workdays"), _imp("cases", "review"),
             _imp("review-ui", "cases"), _imp("disclosure", "registry")]
    assert report(clean) == ""

    up = [*clean, _imp("common", "registry")]
    assert [str(i) for i in upward(up)] == ["zhifa/common/x.py:1 common → registry (zhifa.registry.y, module)"]
    assert "Imports against the floor order" in report(up)

    same_floor_cycle = [*clean, _imp("workdays", "records")]
    assert cycles(same_floor_cycle) == [["records", "workdays"]]
    assert "Cycle between apps: records ↔ workdays" in report(same_floor_cycle)

    review_domain = [*clean, _imp("review", "cases", "zhifa/review/services.py", "zhifa.cases.models")]
    assert cycles(review_domain) == [["cases", "review"]]
    assert upward(review_domain) and not upward(review_domain, frozenset({
        ("zhifa/review/services.py", "zhifa.cases.models")}))

    assert undeclared([_imp("newapp", "common")]) == ["app 'newapp' has no floor: add it to FLOORS (architecture.md)"]


def test_reader_sees_function_level_and_type_checking_imports(tmp_path: Path) -> None:
    app = tmp_path / "records"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "m.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from zhifa.common import errors\n"
        "if TYPE_CHECKING:\n    from zhifa.registry.models import Agency\n"
        "def f():\n    from zhifa.disclosure.views import PORTAL_CSP\n"
        "    import zhifa.cases.models\n"
    )
    found = {(imp.dst, imp.where) for imp in imports_of(app / "m.py", tmp_path)}
    assert {("registry", "TYPE_CHECKING"), ("disclosure", "function"), ("cases", "function")} <= found
