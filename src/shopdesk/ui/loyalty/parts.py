"""What the loyalty and feedback dialogs share. GUI thread only."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox


def save_cancel(dialog: QDialog, save: Callable[[], None]) -> QDialogButtonBox:
    """Save (runs `save`, which accepts the dialog once stored) and Cancel."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(save)
    buttons.rejected.connect(dialog.reject)
    return buttons
