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
    # oauthlib comes with exchangelib; its OAuth2Error is what a refused token request raises.
    "external_dependencies": {"python": ["exchangelib", "oauthlib", "requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/calendar_sync_exchange_security.xml",
        "data/ir_cron_data.xml",
        "views/calendar_event_views.xml",
        "views/calendar_sync_exchange_login_views.xml",
        "views/calendar_sync_exchange_connect_users_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "installable": True,
}
