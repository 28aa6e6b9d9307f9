"""The import rules of docs/architecture.md, checked by reading the package's imports.

- The pure core (bank, scoring, measurement, statistics, charts, report, …)
  imports neither Flask nor SQL nor the storage layer.
- Services (attempts, analysis, revisions, accounts) use the store they are
  given, but import no Flask and no SQL.
- Only the storage layer (``quiz.store``) imports sqlite3 or sqlite-utils, and
  it imports no web code.
- No blueprint imports another blueprint; the command line imports none.

Imports under ``if TYPE_CHECKING:`` are for type hints only and do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "quiz"

PURE = {
    "quiz.bank",
    "quiz.role",
    "quiz.scoring",
    "quiz.answers",
    "quiz.draw",
    "quiz.lint",
    "quiz.report",
    "quiz.charts",
    "quiz.stats",
    "quiz.measurement",
    "quiz.calibration",
    "quiz.text",
    "quiz.editor",
    "quiz.moodle",
    "quiz.demo",
}
SERVICES = {"quiz.attempts", "quiz.analysis", "quiz.revisions", "quiz.accounts"}
WEB = {"flask", "flask_login", "flask_wtf", "jinja2_fragments", "quiz.web", "quiz.sessions"}
SQL = {"sqlite3", "sqlite_utils"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports(module: str) -> set[str]:
    """Every module ``module`` imports at run time, as absolute names; ``from X import y``
    counts as X.y when that is a module of the package."""
    path = MODULES[module]
    tree = ast.parse(path.read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found.add(base)
            found.update(
                f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES
            )
    return found


def _matches(name: str, prefixes: set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def creates_blueprint(module: str) -> bool:
    return any(
        isinstance(node, ast.Call) and ast.unparse(node.func) == "Blueprint"
        for node in ast.walk(ast.parse(MODULES[module].read_text()))
    )


def blueprint_of(module: str) -> str | None:
    """The blueprint a module's routes belong to: the module that creates it."""
    if creates_blueprint(module):
        return module
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.ImportFrom) and any(a.name == "bp" for a in node.names):
            return next(m for m in imports(module) if m in MODULES and creates_blueprint(m))
    return None


BLUEPRINTS = {m: b for m in MODULES if (b := blueprint_of(m))}


def test_the_package_has_the_modules_the_rules_name():
    assert set(MODULES) >= PURE | SERVICES | {"quiz.store", "quiz.web", "quiz.cli"}
    assert set(BLUEPRINTS.values()) == {
        "quiz.taker",
        "quiz.taker.history",
        "quiz.instructor",
        "quiz.instructor.login",
    }


@pytest.mark.parametrize("module", sorted(PURE))
def test_the_pure_core_imports_no_flask_no_sql_and_no_storage(module):
    bad = {
        name
        for name in imports(module)
        if _matches(name, WEB | SQL | {"quiz.store", "quiz.taker", "quiz.instructor"} | SERVICES)
    }
    assert not bad, f"{module} imports {sorted(bad)}"


@pytest.mark.parametrize("module", sorted(SERVICES))
def test_services_import_no_flask_and_no_sql(module):
    bad = {
        name
        for name in imports(module)
        if _matches(name, WEB | SQL | {"quiz.taker", "quiz.instructor"})
    }
    assert not bad, f"{module} imports {sorted(bad)}"


def test_only_the_storage_layer_runs_sql_and_it_imports_no_web_code():
    for module in MODULES:
        used = imports(module)
        if module == "quiz.store" or module.startswith("quiz.store."):
            bad = {
                n for n in used if _matches(n, WEB | {"quiz.taker", "quiz.instructor"} | SERVICES)
            }
            assert not bad, f"{module} imports {sorted(bad)}"
        else:
            assert not {n for n in used if _matches(n, SQL)}, f"{module} imports sqlite"


def test_no_blueprint_imports_another_and_the_cli_imports_none():
    for module, blueprint in BLUEPRINTS.items():
        for name in imports(module):
            other = BLUEPRINTS.get(name)
            assert other in (None, blueprint), f"{module} ({blueprint}) imports {name} ({other})"
    assert not {n for n in imports("quiz.cli") if n in BLUEPRINTS}
