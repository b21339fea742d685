"""Support (complaint) tickets and their escalation steps."""
