"""Exchange Server EWS connector (exchangelib), pure Python (no ``odoo`` import)."""
