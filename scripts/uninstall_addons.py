"""Run inside ``odoo-bin shell``: uninstall the project's addons, fail loudly if any stays."""

ADDONS = [
    "calendar_sync_exchange",
    "calendar_sync_microsoft",
    "calendar_sync_google",
    "calendar_sync_base",
]
modules = env["ir.module.module"].search([("name", "in", ADDONS), ("state", "=", "installed")])  # noqa: F821
modules.button_immediate_uninstall()
left = env["ir.module.module"].search([("name", "in", ADDONS), ("state", "!=", "uninstalled")])  # noqa: F821
leftover_tables = []
for table in ("calendar_sync_account", "calendar_sync_link", "calendar_sync_log"):
    env.cr.execute("SELECT to_regclass(%s)", [table])  # noqa: F821
    if env.cr.fetchone()[0]:  # noqa: F821
        leftover_tables.append(table)
if left or leftover_tables:
    raise SystemExit(f"uninstall left {left.mapped('name')} / tables {leftover_tables}")
print("UNINSTALL OK")
