"""The window's messaging pieces: Shop → Messaging settings…, Message templates…,
Appointments…, and the background sender thread (`MessagingRunner`), started when the
window is ready (like the sync thread) and nudged by every local write that may have
queued a message. The GUI thread never waits on a provider.

Thread rule: GUI thread only; the runner's reports arrive through a queued signal.
"""

from __future__ import annotations

import contextlib
import threading

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu

from shopdesk.changes import Changes
from shopdesk.domain.permissions import Permission, allowed
from shopdesk.services.messaging.runner import MessagingRunner
from shopdesk.services.messaging.views import DeliveryReport
from shopdesk.shop import Shop
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.messaging.appointments_view import AppointmentsDialog
from shopdesk.ui.messaging.messaging_settings import MessagingSettingsDialog
from shopdesk.ui.messaging.templates_editor import TemplatesDialog


class _Relay(QObject):
    report = Signal(object)  # DeliveryReport, emitted on the sender thread
    changes = Signal(object)  # Changes the sender made (statuses), for the screens


class MessagingControls(QObject):
    """Owns the menu entries and the sender thread. Signal `delivered(DeliveryReport)`."""

    delivered = Signal(object)

    def __init__(self, shop: Shop, ops: TaskManager, window: QMainWindow, menu: QMenu,
                 before: QAction | None = None, interval: float = 30.0) -> None:
        super().__init__(window)
        self.shop, self.ops, self.window = shop, ops, window
        self._relay = _Relay()
        self._relay.report.connect(self._reported, Qt.ConnectionType.QueuedConnection)
        self._relay.changes.connect(ops.bus.ops_did_execute.emit,
                                    Qt.ConnectionType.QueuedConnection)
        self.runner = MessagingRunner(shop.messaging, interval=interval,
                                      on_report=self._relay.report.emit)
        self.settings_action = QAction("&Messaging settings…", window)
        self.templates_action = QAction("Message &templates…", window)
        self.appointments_action = QAction("&Appointments…", window)
        self.settings_action.triggered.connect(self.open_settings)
        self.templates_action.triggered.connect(self.open_templates)
        self.appointments_action.triggered.connect(self.open_appointments)
        for action in (self.appointments_action, self.templates_action, self.settings_action):
            menu.insertAction(before, action) if before else menu.addAction(action)
        ops.bus.ops_did_execute.connect(self._on_changes)
        self.update_permissions()
        self.dialog: object | None = None

    def start(self) -> None:
        self.shop.store.subscribe(self.runner.nudge)
        self.shop.store.subscribe(self._from_sender)
        self.runner.start()

    def stop(self) -> None:
        for listener in (self.runner.nudge, self._from_sender):
            with contextlib.suppress(ValueError):
                self.shop.store.unsubscribe(listener)
        self.runner.stop()

    def _from_sender(self, changes: Changes) -> None:
        """Status changes the sender thread wrote reach the screens (the writes the
        window makes reach them through the TaskManager already)."""
        if changes.messages and threading.current_thread().name == "shopdesk-messaging":
            self._relay.changes.emit(changes)

    def update_permissions(self) -> None:
        actor = self.shop.actor
        manager = actor is not None and allowed(actor.role, Permission.CHANGE_SETTINGS)
        self.settings_action.setEnabled(manager)
        self.templates_action.setEnabled(manager)

    def _on_changes(self, changes: Changes) -> None:
        if changes.staff:
            self.update_permissions()

    def _reported(self, report: DeliveryReport) -> None:
        self.delivered.emit(report)

    def open_settings(self) -> MessagingSettingsDialog:
        dialog = MessagingSettingsDialog(self.shop, self.ops, self.window)
        self.dialog = dialog
        dialog.open()
        return dialog

    def open_templates(self) -> TemplatesDialog:
        dialog = TemplatesDialog(self.shop, self.ops, self.window)
        self.dialog = dialog
        dialog.open()
        return dialog

    def open_appointments(self) -> AppointmentsDialog:
        dialog = AppointmentsDialog(self.shop, self.ops, self.window)
        self.dialog = dialog
        dialog.open()
        return dialog
