"""Pieces every screen shares: formatting, form fields, small widgets, the style sheet,
the TaskManager (core calls off the GUI thread) and the GUI-thread garbage collector."""
