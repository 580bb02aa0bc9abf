"""The SDK imports nothing of the server but the shared exception tree."""

from __future__ import annotations

import ast
from pathlib import Path

import mspcrm.sdk

ALLOWED = ("mspcrm.errors", "mspcrm.sdk")


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_sdk_imports_only_errors_of_the_server() -> None:
    package = Path(mspcrm.sdk.__file__).parent
    offending = {
        f"{path.name}: {name}"
        for path in package.glob("*.py")
        for name in imported_modules(path)
        if name.startswith("mspcrm") and name != "mspcrm" and not name.startswith(ALLOWED)
    }
    assert offending == set()
