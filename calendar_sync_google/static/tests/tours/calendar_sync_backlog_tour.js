/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * More changes wait than one run pushes: the button and every notification say how many
 * wait, and each click drains the backlog until nothing waits.
 */
registry.category("web_tour.tours").add("calendar_sync_backlog_tour", {
    url: "/odoo/calendar",
    steps: () => [
        {
            trigger: ".o_calendar_sync_google .o_calendar_sync_state_label:contains(Synchronized)",
            content: "Connected to Google",
            run: "click",
        },
        {
            trigger: ".o_notification:contains(1 pushed):contains(2 waiting)",
            content: "The notification counts what waits",
        },
        {
            trigger: ".o_calendar_sync_google:not([disabled]) .o_calendar_sync_state_label:contains(Synchronized, 2 waiting)",
            content: "So does the button",
            run: "click",
        },
        {
            trigger: ".o_calendar_sync_google:not([disabled]) .o_calendar_sync_state_label:contains(Synchronized, 1 waiting)",
            content: "The backlog drains",
            run: "click",
        },
        {
            trigger: ".o_calendar_sync_google:not([disabled]) .o_calendar_sync_state_label:not(:contains(waiting)):contains(Synchronized)",
            content: "Nothing waits any more",
        },
    ],
});
