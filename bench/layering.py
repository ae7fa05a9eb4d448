"""Counts of how the code is layered (docs/architecture.md): imports between areas, pairs of areas that
import each other, function-local imports and lines per file.

    python bench/layering.py            # the figures for portal/
    python bench/layering.py --list     # also every function-local import, with the line that explains it

Counts by reading the source (ast); it imports nothing of the portal.
"""
from __future__ import annotations

import argparse
import ast
import statistics
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "portal"


def area_of(module: str) -> str | None:
    """`portal.recalls.services` -> `recalls`; top-level modules (`portal.web`) are their own area."""
    parts = module.split(".")
    if parts[0] != "portal" or len(parts) < 2:
        return None
    return parts[1].removesuffix(".py")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(node: ast.AST, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".")
            if not is_package:
                base = base[:-1]
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base)
            target = f"{prefix}.{node.module}" if node.module else prefix
        else:
            target = node.module or ""
        return [target]
    return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print every function-local import")
    args = parser.parse_args()

    files = sorted(ROOT.rglob("*.py"))
    lines = [len(p.read_text().splitlines()) for p in files]
    cross: Counter[tuple[str, str]] = Counter()
    local_imports: list[str] = []
    for path in files:
        source = path.read_text()
        tree = ast.parse(source)
        module = module_name(path)
        mine = area_of(module)
        top_level = set(map(id, tree.body))
        for node in ast.walk(tree):
            targets = imported_modules(node, module, path.name == "__init__.py")
            if not targets:
                continue
            if id(node) not in top_level and not _in_type_checking(tree, node):
                where = f"{path.relative_to(ROOT.parent)}:{node.lineno}"
                local_imports.append(f"{where}: {source.splitlines()[node.lineno - 1].strip()}")
            for target in targets:
                theirs = area_of(target)
                if theirs and mine and theirs != mine:
                    cross[(mine, theirs)] += 1
    pairs = {tuple(sorted(k)) for k in cross if (k[1], k[0]) in cross}
    print(f"files: {len(files)}; lines per file: median {statistics.median(lines):.0f}, max {max(lines)}, "
          f"over 400: {sum(n > 400 for n in lines)}")
    print(f"cross-area import statements: {sum(cross.values())} ({len(cross)} directed area pairs)")
    print(f"pairs of areas importing each other: {len(pairs)}")
    for a, b in sorted(pairs):
        print(f"  {a} <-> {b}")
    core_up = sorted({b for (a, b) in cross if a == "core"})
    print(f"areas core imports: {len(core_up)} {core_up}")
    print(f"function-local imports: {len(local_imports)}")
    routes, with_sql = route_functions(files)
    print(f"route functions: {len(routes)}, executing SQL themselves: {len(with_sql)}")
    if args.list:
        for line in local_imports:
            print(f"  {line}")
        print("route functions executing SQL:")
        for name in with_sql:
            print(f"  {name}")


ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete"}
SQL_CALLS = {"execute", "scalar", "scalars", "get", "query"}


def route_functions(files: list[Path]) -> tuple[list[str], list[str]]:
    """Functions with a route decorator (`@bp.get(...)`), and those whose own body runs a statement on the
    session (`db.session.execute/scalar/scalars/get/query`)."""
    routes, with_sql = [], []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            if not any(isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in ROUTE_DECORATORS
                       for d in node.decorator_list):
                continue
            name = f"{path.relative_to(ROOT.parent)}:{node.name}"
            routes.append(name)
            if any(isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr in SQL_CALLS
                   and "session" in ast.unparse(c.func.value) for c in ast.walk(node)):
                with_sql.append(name)
    return routes, with_sql


def _in_type_checking(tree: ast.Module, node: ast.AST) -> bool:
    return any(isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test)
               and any(child is node for child in ast.walk(stmt)) for stmt in tree.body)


if __name__ == "__main__":
    main()
