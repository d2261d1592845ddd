/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * A plain user opens their own sync history from the Calendar menu and reads an entry:
 * field labels, the event's title, the first synchronization as one entry.
 */
registry.category("web_tour.tours").add("calendar_sync_my_history_tour", {
    url: "/odoo/calendar",
    steps: () => [
        {
            trigger: ".o_main_navbar .o_menu_sections [data-menu-xmlid='calendar_sync_base.calendar_sync_log_menu_mine']",
            content: "My Sync History, in the Calendar menu",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(First Synchronization):contains(2 events)",
            content: "The first synchronization is one entry",
        },
        {
            trigger: ".o_list_view .o_data_row td[name=record_label]:contains(Budget cut)",
            content: "Open the change of an event",
            run: "click",
        },
        {
            trigger: ".o_breadcrumb:contains(Updated: Budget cut)",
            content: "The breadcrumb names the change",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=line_ids] td:contains(Meeting Subject)",
            content: "Fields by their label",
        },
    ],
});
