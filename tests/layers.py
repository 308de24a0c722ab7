"""What the modules of a package import, read from their source: every import, lazy ones included.

A fresh interpreter shows what importing a module pulls in; reading the source also sees the imports
inside functions, which run only when called (``from django... import`` in a rarely used branch).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def imports_of(package: str) -> Iterator[tuple[Path, int, str]]:
    """(file, line, absolute module name) for each import in each module of ``package``."""
    root = SRC.joinpath(*package.split("."))
    for path in sorted(root.rglob("*.py")):
        # The package a relative import starts from: the folder, for __init__.py as for the others.
        module_package = list(path.relative_to(SRC).parent.parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path, node.lineno, alias.name
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module_package[: len(module_package) - node.level + 1]
                    name = ".".join(base + ([node.module] if node.module else []))
                else:
                    name = node.module or ""
                if node.module is None:  # "from . import x": each x is a module of base
                    for alias in node.names:
                        yield path, node.lineno, f"{name}.{alias.name}"
                else:
                    yield path, node.lineno, name
