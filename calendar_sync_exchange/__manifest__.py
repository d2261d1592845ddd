{
    "name": "Calendar Sync: Exchange Server (EWS)",
    "summary": "Two-way sync of Odoo Calendar with Exchange Server on-premises through EWS",
    "version": "18.0.1.0.0",
    "category": "Productivity/Calendar",
    "author": "Calendar Sync contributors",
    "website": "https://github.com/calendar-sync/calendar-sync",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["calendar_sync_base", "calendar_sync_microsoft"],
    "external_dependencies": {"python": ["exchangelib", "requests"]},
    "data": [],
    "installable": True,
}
