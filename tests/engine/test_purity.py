"""The pure layers (every addon's ``services/``) must never import Odoo.

They run under plain pytest and inside the emulators and benchmarks, where Odoo is absent; one
stray import would tie the engine to the ORM again. Parsing (not importing) catches imports
hidden in functions too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVICE_FILES = sorted(
    [*REPO.glob("calendar_sync_*/services/**/*.py"), *REPO.glob("test_addons/*/services/**/*.py")]
)


def odoo_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        found += [f"line {node.lineno}: {n}" for n in names if n.split(".")[0] == "odoo"]
    return found


def test_the_engine_package_is_found():
    assert REPO / "calendar_sync_base" / "services" / "engine.py" in SERVICE_FILES


@pytest.mark.parametrize("path", SERVICE_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_odoo_import(path):
    assert odoo_imports(path) == [], f"{path.relative_to(REPO)} imports odoo"


def test_the_checker_sees_odoo_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import odoo\nfrom odoo.tools import x\ndef f():\n    import odoo.fields\n"
        "from .odoo import y\nimport odoorpc\n"
    )
    assert odoo_imports(sample) == ["line 1: odoo", "line 2: odoo.tools", "line 4: odoo.fields"]
