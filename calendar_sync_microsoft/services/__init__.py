"""Microsoft Graph and EWS connectors, pure Python (no ``odoo`` import)."""
