"""Pure-Python sync engine: no ``odoo`` import anywhere below this package (a test enforces it)."""
