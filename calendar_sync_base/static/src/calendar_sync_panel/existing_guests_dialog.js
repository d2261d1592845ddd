import { Component } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";

/**
 * Asked before a first connection to a calendar that e-mails the guests of every event
 * created with guests (a provider without ``_sync_pushes_silently``): what to do with the
 * user's existing events with guests.
 */
export class ExistingGuestsDialog extends Component {
    static template = "calendar_sync_base.ExistingGuestsDialog";
    static components = { Dialog };
    static props = {
        title: String,
        message: String,
        choices: Array,
        proposed: { type: String, optional: true },
        onChoose: Function,
        close: Function,
    };

    choose(value) {
        this.props.close();
        this.props.onChoose(value);
    }
}
