"""Messaging rules that need no database (issue 16)."""
