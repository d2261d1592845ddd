{
    "name": "Calendar Sync: Outlook / Microsoft 365",
    "summary": "Two-way sync of Odoo Calendar with Outlook and Microsoft 365 (Microsoft Graph)",
    "version": "18.0.1.0.0",
    "category": "Productivity/Calendar",
    "author": "Calendar Sync contributors",
    "website": "https://github.com/calendar-sync/calendar-sync",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["calendar_sync_base"],
    "external_dependencies": {"python": ["msal", "exchangelib", "requests"]},
    "data": [
        "security/ir.model.access.csv",
        "data/ir_config_parameter_data.xml",
        "data/ir_cron_data.xml",
        "views/calendar_event_views.xml",
        "views/calendar_sync_account_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "calendar_sync_microsoft/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
