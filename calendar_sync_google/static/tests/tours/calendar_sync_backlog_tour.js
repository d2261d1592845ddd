/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * More changes wait than one run pushes: every notification says how many wait, the button
 * how far the backlog got, and each click drains it until nothing waits. Then the user pauses
 * (after a confirmation, told how to resume) and resumes with the button.
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
            trigger: ".o_calendar_sync_google .o_calendar_sync_state_label:contains(Synchronizing...)",
            content: "The button says a sync runs",
        },
        {
            trigger: ".o_notification:contains(1 pushed):contains(2 waiting)",
            content: "The notification counts what waits",
        },
        {
            trigger: ".o_calendar_sync_google:not([disabled]) .o_calendar_sync_state_label:contains(Sending: 1 of 3 changes)",
            content: "The button says how far the backlog got",
            run: "click",
        },
        {
            trigger: ".o_calendar_sync_google:not([disabled]) .o_calendar_sync_state_label:contains(Sending: 2 of 3 changes)",
            content: "The backlog drains",
            run: "click",
        },
        {
            trigger: ".o_calendar_sync_google:not([disabled]) .o_calendar_sync_state_label:not(:contains(waiting)):contains(Synchronized)",
            content: "Nothing waits any more",
        },
        {
            trigger: ".o_calendar_sync_google ~ .o_calendar_sync_pause:contains(Pause)",
            content: "Pause, a labelled button",
            run: "click",
        },
        {
            trigger: ".modal:contains(Pause Google synchronization?) .modal-footer .btn-primary",
            content: "Confirm",
            run: "click",
        },
        {
            trigger: ".o_notification:contains(Google synchronization paused. Click Google to resume it.)",
            content: "Told how to resume",
        },
        {
            trigger: ".o_calendar_sync_google .o_calendar_sync_state_label:contains(Paused by you)",
            content: "The button says who paused",
            run: "click",
        },
        {
            trigger: ".o_calendar_sync_google.o_calendar_sync_state_connected:not([disabled])",
            content: "Resumed",
        },
    ],
});
