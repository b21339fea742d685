"""Repairs: devices, tickets (intake, status, pickup), service records, passcodes,
and the views they return."""
