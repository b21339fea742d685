"""Printing from the window: print buttons, the preview, the print queue, reports."""
