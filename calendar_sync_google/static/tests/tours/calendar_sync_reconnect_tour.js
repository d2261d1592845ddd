/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * Google refused the stored authorization: the panel says so in plain words and what to
 * do; a click goes through Google's consent and comes back connected.
 */
registry.category("web_tour.tours").add("calendar_sync_reconnect_tour", {
    url: "/odoo/calendar",
    steps: () => [
        {
            trigger:
                ".o_calendar_sync_error_google:contains(Google no longer accepts Odoo's access to your calendar):not(:contains(invalid_grant))",
            content: "The problem in plain words",
        },
        {
            trigger: ".o_calendar_sync_google .o_calendar_sync_state_label:contains(Click to reconnect)",
            content: "Reconnect",
            run: "click",
        },
        {
            trigger: ".o_calendar_sync_google.o_calendar_sync_state_connected",
            content: "Back in Calendar, connected again",
        },
        {
            trigger: ".o_calendar_sync_panel:not(:has(.o_calendar_sync_error_google))",
            content: "The problem is gone",
        },
    ],
});
