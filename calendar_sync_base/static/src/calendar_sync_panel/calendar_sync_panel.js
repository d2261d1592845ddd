import { Component, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { AttendeeCalendarController } from "@calendar/views/attendee_calendar/attendee_calendar_controller";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { browser } from "@web/core/browser/browser";
import { ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { ExistingGuestsDialog } from "./existing_guests_dialog";

const STATE_LABELS = {
    connected: _t("Synchronized"),
    paused: _t("Paused by you"),
    needs_reconnect: _t("Click to reconnect"),
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
        this.state = useState({ providers: [], busy: false, syncing: null });
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
            // Not awaited: the pull runs in a cron worker and never delays the view. Through
            // the unprotected service: leaving Calendar before it answers is not an error.
            this.env.services.orm.silent.call("calendar.sync.account", "action_sync_on_open", []);
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
        if (this.state.syncing === entry.provider) {
            return _t("Synchronizing...");
        }
        if (entry.paused_by_admin) {
            return _t("Paused by an administrator");
        }
        if (entry.transient) {
            return _t("Temporarily unavailable, will retry");
        }
        if (entry.state === "connected" && entry.progress) {
            return entry.progress; // "First sync: 120 of 800", formatted by the server
        }
        let label = STATE_LABELS[entry.state] || entry.state;
        if (entry.state === "connected" && entry.problem_count) {
            label = _t("Synchronized with %s problems", entry.problem_count);
        }
        if (entry.state === "connected" && entry.queued_count) {
            return _t("%(label)s, %(count)s waiting", { label, count: entry.queued_count });
        }
        return label;
    }

    tooltip(entry) {
        const account = entry.remote_email ? `${entry.remote_email}\n` : "";
        return account + (entry.error || entry.summary);
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
        if (entry.state !== "disconnected" && entry.state !== "needs_reconnect") {
            this.state.syncing = entry.provider;
        }
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
            if (result.status === "action") {
                // The provider's own step (a credentials form), or what connecting did.
                await this.action.doAction(result.action, { onClose: () => this.reload() });
                await this.reload();
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
            this.state.syncing = null;
        }
    }

    onPause(entry) {
        this.dialog.add(ConfirmationDialog, {
            title: _t("Pause %s synchronization?", entry.label),
            body: _t(
                "Changes stay where they are made until you resume: click %s in this panel to resume.",
                entry.label
            ),
            confirmLabel: _t("Pause"),
            confirm: async () => {
                const message = await this.orm.call("calendar.sync.account", "action_sync_stop", [
                    entry.provider,
                ]);
                this.notification.add(message, { type: "info" });
                await this.load();
            },
            cancel: () => {},
        });
    }
}

AttendeeCalendarController.components = {
    ...AttendeeCalendarController.components,
    CalendarSyncPanel,
};
