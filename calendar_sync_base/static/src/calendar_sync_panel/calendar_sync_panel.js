import { Component, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { AttendeeCalendarController } from "@calendar/views/attendee_calendar/attendee_calendar_controller";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { browser } from "@web/core/browser/browser";
import { ExistingGuestsDialog } from "./existing_guests_dialog";

const STATE_LABELS = {
    connected: _t("Synchronized"),
    paused: _t("Paused"),
    needs_reconnect: _t("Reconnect needed"),
    error: _t("Error"),
    disconnected: _t("Not connected"),
};

/**
 * One button per remote calendar the administrator enabled. Its look follows the
 * connection state; a click connects, resumes, or syncs now and reports what it did.
 * Opening the calendar asks for a background pull; when a sync brings remote changes
 * (the server says so on the bus), the panel and the calendar reload; while a first sync or
 * a backlog runs, the server's progress messages refresh the panel.
 */
export class CalendarSyncPanel extends Component {
    static template = "calendar_sync_base.CalendarSyncPanel";
    static props = { onSynced: { type: Function, optional: true } };

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.busService = useService("bus_service");
        this.action = useService("action");
        this.dialog = useService("dialog");
        this.state = useState({ providers: [], busy: false });
        this.onRemoteChanges = () => this.reload();
        this.onProgress = () => this.load();
        this.busService.subscribe("calendar_sync/synced", this.onRemoteChanges);
        this.busService.subscribe("calendar_sync/progress", this.onProgress);
        onWillUnmount(() => {
            this.busService.unsubscribe("calendar_sync/synced", this.onRemoteChanges);
            this.busService.unsubscribe("calendar_sync/progress", this.onProgress);
        });
        onWillStart(async () => {
            await this.load();
            // Not awaited: the pull runs in a cron worker and never delays the view.
            this.orm.silent.call("calendar.sync.account", "action_sync_on_open", []);
        });
    }

    async reload() {
        await this.load();
        this.props.onSynced?.();
    }

    async load() {
        this.state.providers = await this.orm.call("calendar.sync.account", "get_sync_panel_state", []);
    }

    stateLabel(entry) {
        if (entry.state === "connected" && entry.progress) {
            return entry.progress; // "First sync: 120 of 800", formatted by the server
        }
        if (entry.state === "connected" && entry.problem_count) {
            return _t("Synchronized with %s problems", entry.problem_count);
        }
        return STATE_LABELS[entry.state] || entry.state;
    }

    async onShowProblems(entry) {
        const action = await this.orm.call("calendar.sync.account", "action_open_problems", [
            [entry.account_id],
        ]);
        await this.action.doAction(action);
    }

    async onClick(entry, existingGuestsPolicy = null) {
        if (this.state.busy) {
            return;
        }
        this.state.busy = true;
        try {
            const result = await this.orm.call("calendar.sync.account", "action_sync_button", [
                entry.provider,
                existingGuestsPolicy,
            ]);
            if (result.status === "choose_existing_guests") {
                this.dialog.add(ExistingGuestsDialog, {
                    title: entry.label,
                    message: result.message,
                    choices: result.choices,
                    proposed: result.proposed,
                    onChoose: (value) => this.onClick(entry, value),
                });
                return;
            }
            if (result.status === "redirect") {
                browser.location.assign(result.url);
                return;
            }
            if (result.status === "need_config" || result.status === "not_allowed") {
                this.notification.add(result.message, { type: "warning" });
                return;
            }
            const { message, type, title } = result.notification;
            this.notification.add(message, { type, title, sticky: type === "danger" });
            await this.reload();
        } finally {
            this.state.busy = false;
        }
    }

    async onStop(entry) {
        await this.orm.call("calendar.sync.account", "action_sync_stop", [entry.provider]);
        await this.load();
    }
}

AttendeeCalendarController.components = {
    ...AttendeeCalendarController.components,
    CalendarSyncPanel,
};
