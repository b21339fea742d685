"""The shop's settings in the window (managers and owners)."""
