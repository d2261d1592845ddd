from odoo.addons.calendar_sync_base import expose_pure_package

expose_pure_package(__name__)

from . import models, wizards  # noqa: E402
