"""Pure-layer test set-up: make ``calendar_sync_<x>.services`` importable without Odoo.

Each addon's ``__init__.py`` imports Odoo models, so the pure packages are reached through
package shells that only know the addon directory (the same shells the addons register
when they load inside Odoo, see ``calendar_sync_base.expose_pure_package``).
"""

import pathlib
import sys
import types

ROOT = pathlib.Path(__file__).resolve().parent

# The test-only addons' pure services (the fake provider's calendar) are tested here too.
for addon_dir in sorted([*ROOT.glob("calendar_sync_*"), *ROOT.glob("test_addons/calendar_sync_*")]):
    if addon_dir.name not in sys.modules:
        shell = types.ModuleType(addon_dir.name)
        shell.__path__ = [str(addon_dir)]
        sys.modules[addon_dir.name] = shell
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
