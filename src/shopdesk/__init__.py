"""shopdesk: the offline-first counter application of a device repair shop."""

__version__ = "0.1.0"
