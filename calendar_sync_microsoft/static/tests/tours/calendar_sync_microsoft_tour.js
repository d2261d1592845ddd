/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * A user who never connected Outlook clicks the Outlook button: before anything is sent
 * to Microsoft, a dialog says Outlook e-mails guests and offers the three choices.
 */
registry.category("web_tour.tours").add("calendar_sync_microsoft_guests_tour", {
    url: "/odoo/calendar",
    steps: () => [
        {
            trigger: ".o_calendar_sync_panel .o_calendar_sync_microsoft.o_calendar_sync_state_disconnected",
            content: "Outlook is not connected yet",
            run: "click",
        },
        {
            trigger: ".modal:contains(invitation e-mail) .o_calendar_sync_guests_with_guests",
            content: "Pushing existing events with their guests is offered",
        },
        {
            trigger: ".modal .o_calendar_sync_guests_hold",
            content: "So is holding them back",
        },
        {
            trigger: ".modal .o_calendar_sync_guests_without_guests.btn-primary",
            content: "Pushing them without guests is the proposed choice",
        },
        {
            trigger: ".modal .modal-footer .btn-link",
            content: "The user thinks it over",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
            content: "Nothing was sent: the dialog is closed",
        },
    ],
});
