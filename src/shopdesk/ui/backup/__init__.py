"""Backups in the window: the status-bar note, Back up now, the list of backups."""
