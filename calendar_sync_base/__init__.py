import sys
import types


def expose_pure_package(addon_module_name):
    """Register ``calendar_sync_<x>`` as a package shell over the addon directory.

    The pure layers (``services/``) import each other as ``calendar_sync_<x>.services...`` so
    they run under plain pytest, where importing the addon itself would need Odoo. Inside Odoo
    the same names must resolve to one single copy of those modules: this shell gives them a
    home without re-importing the addon's Odoo models under a second name.
    """
    addon = sys.modules[addon_module_name]
    short_name = addon_module_name.rpartition(".")[2]
    if short_name not in sys.modules:
        shell = types.ModuleType(short_name)
        shell.__path__ = list(addon.__path__)
        sys.modules[short_name] = shell


expose_pure_package(__name__)

from . import controllers, models, wizards  # noqa: E402
