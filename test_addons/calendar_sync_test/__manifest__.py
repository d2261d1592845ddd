{
    "name": "Calendar Sync: test provider",
    "summary": "Test-only: an in-memory fake calendar provider plugged into calendar_sync_base "
    "through the provider seam; runs the base's provider-agnostic tests",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "Calendar Sync contributors",
    "website": "https://github.com/calendar-sync/calendar-sync",
    "license": "LGPL-3",
    "depends": ["calendar_sync_base"],
    "data": ["data/ir_cron_data.xml"],
    "installable": True,
}
