"""Engine creation and migrations."""
