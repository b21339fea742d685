"""Sealing personal values in the audit trail with a key per customer (spec 13.1)."""
