"""The support (complaint) screens: the list, a support ticket, their dialogs."""
