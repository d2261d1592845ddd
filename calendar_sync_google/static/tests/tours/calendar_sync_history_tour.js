/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * The user opens Sync History, then the entry of an event deleted since: the form opens
 * (no error dialog), says the event is deleted, and offers no Revert.
 */
registry.category("web_tour.tours").add("calendar_sync_history_deleted_tour", {
    url: "/odoo/action-calendar_sync_base.calendar_sync_log_action",
    steps: () => [
        {
            trigger: ".o_list_view .o_data_row td:contains(Doomed meeting)",
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
    ],
});
