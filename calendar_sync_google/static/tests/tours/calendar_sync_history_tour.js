/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * The user's Sync History: the entry of an event deleted since opens (no error dialog) and
 * says so; Revert first says what it will do and where; a conflict shows both values.
 */
registry.category("web_tour.tours").add("calendar_sync_history_tour", {
    url: "/odoo/action-calendar_sync_base.calendar_sync_log_action",
    steps: () => [
        {
            trigger: ".o_list_view .o_data_row:contains(Created) td:contains(Doomed meeting)",
            content: "Open the history entry of the deleted event",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=record_label]:contains(deleted)",
            content: "The form says the event was deleted",
        },
        {
            trigger: ".o_form_view:not(:has(button[name=action_confirm_revert]))",
            content: "There is nothing to revert on a deleted event",
        },
        {
            trigger: ".o_breadcrumb a:contains(Sync History)",
            content: "Back to the history",
            run: "click",
        },
        {
            trigger: ".o_data_row:contains(Budget cut) button[name=action_confirm_revert]",
            content: "Revert the remote rename",
            run: "click",
        },
        {
            trigger:
                ".modal .o_field_widget[name=revert_summary]:contains(put back the previous Meeting Subject of Budget cut in Odoo and send it to Google)",
            content: "Revert says what it will do, and where, before acting",
        },
        {
            trigger: ".modal button[name=action_revert]",
            content: "Confirm",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal)) .o_list_view",
            content: "The dialog closes on the history",
        },
        {
            trigger: ".o_data_row:contains(Budget cut) td[name=record_label]",
            content: "Open the reverted change",
            run: "click",
        },
        {
            trigger: ".o_form_view .ribbon:contains(Reverted)",
            content: "It reads Reverted",
        },
        {
            trigger: ".o_breadcrumb a:contains(Sync History)",
            content: "Back to the history",
            run: "click",
        },
        {
            trigger: ".o_data_row:contains(Conflict) td[name=operation]",
            content: "Open the conflict",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=line_ids] th:contains(Remote Value)",
            content: "The conflict shows both values",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=conflict_winner]:contains(Remote calendar)",
            content: "and the winner",
        },
    ],
});
