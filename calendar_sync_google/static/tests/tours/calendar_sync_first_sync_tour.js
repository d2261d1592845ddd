/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * A user connects Google: the consent comes back to Calendar at once, the first sync runs
 * in the background (the test runs the scheduled action meanwhile), and when it is over a
 * notification says what it imported and sent.
 */
registry.category("web_tour.tours").add("calendar_sync_first_sync_tour", {
    url: "/odoo/calendar",
    steps: () => [
        {
            trigger: ".o_calendar_sync_google .o_calendar_sync_state_label:contains(Not connected)",
            content: "Connect Google",
            run: "click",
        },
        {
            trigger: ".o_notification:contains(Google connected: 2 events imported, 1 sent)",
            content: "Back in Calendar, told what the background first sync did",
        },
        {
            trigger: ".o_calendar_sync_google.o_calendar_sync_state_connected .o_calendar_sync_state_label:contains(Synchronized)",
            content: "Connected and synchronized",
        },
    ],
});
