"""Every addon has the layout the project promises (OCA conventions, see docs and issue 2).

manifest (18.0.x.y.z, LGPL-3, development_status, author, external_dependencies covering the
third-party packages the addon imports), static/description/icon.png, readme/DESCRIPTION.md,
i18n/<addon>.pot, and tests/__init__.py importing every tests/test_*.py (Odoo only runs the
test modules that package imports: a forgotten import is a silently skipped test file).
"""

import ast
import importlib.metadata
import os
import pathlib
import re
import struct
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ADDON_DIRS = sorted(path for path in ROOT.glob("calendar_sync_*") if path.is_dir())
AUTHOR = "Calendar Sync contributors"
DEV_STATUSES = {"Alpha", "Beta", "Production/Stable", "Mature"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Import names whose distribution name differs and cannot be looked up reliably (namespaces).
IMPORT_TO_DISTRIBUTION = {
    "google.auth": "google-auth",
    "google.oauth2": "google-auth",
    "dateutil": "python-dateutil",
}
# Provided by Odoo itself whatever its requirements.txt says (used when it cannot be read).
ODOO_PROVIDED = {"odoo", "werkzeug", "psycopg2", "lxml", "babel", "markupsafe", "pytz"}


def _normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _manifest(addon):
    return ast.literal_eval((addon / "__manifest__.py").read_text(encoding="utf-8"))


def _odoo_requirements():
    requirements = pathlib.Path(os.environ.get("ODOO_PATH", "/opt/odoo")) / "requirements.txt"
    if not requirements.is_file():
        return set()
    names = set()
    for line in requirements.read_text().splitlines():
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if match:
            names.add(_normalise(match.group(1)))
    return names


def _third_party_imports(addon):
    """Absolute imports of the addon's code (tests excluded) outside stdlib, Odoo and us."""
    found = {}
    for path in addon.rglob("*.py"):
        relative = path.relative_to(addon)
        if relative.parts[0] == "tests" or path.name == "__manifest__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ODOO_PROVIDED:
                    continue
                if top.startswith("calendar_sync_"):
                    continue
                found.setdefault(name, str(relative))
    return found


def _distributions(import_name):
    for prefix, distribution in IMPORT_TO_DISTRIBUTION.items():
        if import_name == prefix or import_name.startswith(prefix + "."):
            return {distribution}
    top = import_name.split(".")[0]
    return set(importlib.metadata.packages_distributions().get(top, [top]))


def test_addons_found():
    names = {addon.name for addon in ADDON_DIRS}
    assert {"calendar_sync_base", "calendar_sync_google", "calendar_sync_microsoft"} <= names


@pytest.mark.parametrize("addon", ADDON_DIRS, ids=lambda path: path.name)
class TestAddonLayout:
    def test_manifest(self, addon):
        assert (addon / "__manifest__.py").is_file(), f"{addon.name} has no __manifest__.py"
        manifest = _manifest(addon)
        assert re.fullmatch(r"18\.0\.\d+\.\d+\.\d+", manifest.get("version", "")), manifest.get(
            "version"
        )
        assert manifest.get("license") == "LGPL-3"
        assert manifest.get("development_status") in DEV_STATUSES
        assert AUTHOR in [a.strip() for a in manifest.get("author", "").split(",")]
        assert manifest.get("website", "").startswith("https://")
        assert isinstance(manifest.get("external_dependencies", {}).get("python"), list), (
            "external_dependencies['python'] must list the Python packages the addon imports"
        )

    def test_external_dependencies_cover_imports(self, addon):
        if not (addon / "__manifest__.py").is_file():
            pytest.fail(f"{addon.name} has no __manifest__.py")
        declared = {
            _normalise(re.split(r"[<>=!~;\[ ]", dep)[0])
            for dep in _manifest(addon).get("external_dependencies", {}).get("python", [])
        }
        provided = declared | _odoo_requirements() | {_normalise(n) for n in ODOO_PROVIDED}
        missing = {
            name: where
            for name, where in _third_party_imports(addon).items()
            if not {_normalise(d) for d in _distributions(name)} & provided
        }
        assert not missing, (
            f"imported but not in {addon.name}'s external_dependencies['python']: {missing}"
        )

    def test_icon(self, addon):
        icon = addon / "static" / "description" / "icon.png"
        assert icon.is_file(), f"{icon.relative_to(ROOT)} is missing"
        header = icon.read_bytes()[:24]
        assert header[:8] == PNG_SIGNATURE, f"{icon.relative_to(ROOT)} is not a PNG"
        width, height = struct.unpack(">II", header[16:24])
        assert width == height and width >= 64, f"icon is {width}x{height}, want square >= 64"

    def test_readme_fragments(self, addon):
        description = addon / "readme" / "DESCRIPTION.md"
        assert description.is_file() and description.read_text().strip(), (
            f"{description.relative_to(ROOT)} is missing or empty"
        )

    def test_pot(self, addon):
        pot = addon / "i18n" / f"{addon.name}.pot"
        assert pot.is_file(), f"{pot.relative_to(ROOT)} is missing: run `make pot`"
        text = pot.read_text(encoding="utf-8")
        assert f"# \t* {addon.name}" in text, f"{pot.relative_to(ROOT)} is not this addon's"

    def test_tests_package_imports_every_test_module(self, addon):
        init = addon / "tests" / "__init__.py"
        assert init.is_file(), f"{init.relative_to(ROOT)} is missing"
        imported = set()
        for node in ast.walk(ast.parse(init.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    imported.add(node.module.split(".")[0])
                else:
                    imported.update(alias.name for alias in node.names)
        modules = {path.stem for path in (addon / "tests").glob("test_*.py")}
        assert not modules - imported, (
            f"{init.relative_to(ROOT)} does not import {sorted(modules - imported)}: "
            "Odoo would never run them"
        )
