{
    "name": "Calendar Sync (engine)",
    "summary": "Shared two-way calendar sync engine: accounts, sync log, cron orchestration",
    "version": "18.0.1.0.0",
    "category": "Productivity/Calendar",
    "author": "Calendar Sync contributors",
    "website": "https://github.com/calendar-sync/calendar-sync",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["calendar", "mail"],
    "external_dependencies": {"python": ["requests", "urllib3", "python-dateutil"]},
    "data": [
        "security/calendar_sync_security.xml",
        "security/ir.model.access.csv",
        "views/calendar_event_views.xml",
        "views/calendar_sync_account_views.xml",
        "views/calendar_sync_log_views.xml",
        "views/res_users_views.xml",
        "views/res_config_settings_views.xml",
        "views/calendar_sync_reset_wizard_views.xml",
        "views/calendar_sync_menus.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "calendar_sync_base/static/src/**/*",
        ],
    },
    "installable": True,
}
