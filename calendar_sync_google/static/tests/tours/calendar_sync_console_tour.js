/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * The administrator opens the Sync Console from Calendar > Configuration, tests Google's
 * connection from its card, opens the card and runs Reset All with the typed confirmation.
 */
registry.category("web_tour.tours").add("calendar_sync_console_tour", {
    url: "/odoo/calendar",
    steps: () => [
        {
            // Leaving Calendar while it still loads destroys its view mid-start.
            trigger: ".o_calendar_sync_google",
            content: "Calendar loaded",
        },
        {
            trigger: ".o_main_navbar [data-menu-xmlid='calendar.calendar_menu_config']",
            content: "Calendar > Configuration",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='calendar_sync_base.calendar_sync_console_menu']",
            content: "Sync Console",
            run: "click",
        },
        {
            trigger: ".o_kanban_record:contains(Google) button[name=action_test_connection]",
            content: "Test Google's connection",
            run: "click",
        },
        {
            trigger: ".o_notification:contains(Google accepted the OAuth client)",
            content: "Google accepted the configured client",
        },
        {
            trigger: ".o_kanban_record:contains(Google) div:contains(1 users synced)",
            content: "Open Google's section",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=account_ids] td:contains(tour admin user)",
            content: "The users list shows the connection",
        },
        {
            trigger: ".o_form_view button[name=action_open_reset_all]",
            content: "Reset All",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=confirmation] input",
            content: "Type the confirmation",
            run: "edit DELETE",
        },
        {
            trigger: ".modal button[name=action_reset_all]",
            content: "Delete the appointments Odoo created",
            run: "click",
        },
        {
            trigger: ".o_notification:contains(1 deleted, 0 already gone)",
            content: "The report says what was deleted",
        },
    ],
});
