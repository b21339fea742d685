"""The sync screens: the status-bar widget, the sync panel, conflict merging."""
