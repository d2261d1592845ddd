/** @odoo-module **/

import { browser } from "@web/core/browser/browser";
import { registry } from "@web/core/registry";

/**
 * An administrator finds the redirect URI to register in Google Cloud and copies it with
 * the copy button. The clipboard API is watched, not replaced by a fake value: what the
 * button hands to it is checked.
 */
registry.category("web_tour.tours").add("calendar_sync_setup_tour", {
    url: "/odoo/action-calendar.calendar_settings_action",
    steps: () => [
        {
            trigger:
                ".o_field_widget[name=calendar_sync_google_redirect_uri]:contains(/calendar_sync_google/authentication)",
            content: "The redirect URI is shown in Settings",
            run() {
                browser.navigator.clipboard.writeText = async (text) => {
                    browser.sessionStorage.setItem("calendar_sync_copied", text);
                };
            },
        },
        {
            trigger: ".o_field_widget[name=calendar_sync_google_redirect_uri] button.o_clipboard_button",
            content: "Copy it",
            run: "click",
        },
        {
            trigger: ".o-tooltip:contains(Copied)",
            content: "The button says it copied",
            run() {
                const copied = browser.sessionStorage.getItem("calendar_sync_copied") || "";
                if (!copied.endsWith("/calendar_sync_google/authentication")) {
                    throw new Error(`The redirect URI was not copied: "${copied}"`);
                }
            },
        },
    ],
});
