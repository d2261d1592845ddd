/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * A connected user opens Calendar, sees the Google button in its "connected" state, clicks
 * it, and is told what the synchronization did.
 */
registry.category("web_tour.tours").add("calendar_sync_google_tour", {
    url: "/odoo/calendar",
    steps: () => [
        {
            trigger: ".o_calendar_sync_panel .o_calendar_sync_google.o_calendar_sync_state_connected",
            content: "The Google button shows the connection is active",
            run: "click",
        },
        {
            trigger: ".o_notification:contains(1 pushed)",
            content: "The notification says what the sync did",
        },
        {
            trigger: ".o_calendar_sync_google.o_calendar_sync_state_connected:not([disabled])",
            content: "The button is ready again",
        },
    ],
});
