{
    "name": "Calendar Sync: check of Odoo's own sync modules against the emulators",
    "summary": "Test-only: google_calendar and microsoft_calendar, unchanged, run against the "
    "project's emulators; on the addons path of test and bench runs only",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "Calendar Sync contributors",
    "website": "https://github.com/calendar-sync/calendar-sync",
    "license": "LGPL-3",
    "depends": [
        "google_calendar",
        "microsoft_calendar",
        "calendar_sync_google",
        "calendar_sync_microsoft",
    ],
    "installable": True,
}
