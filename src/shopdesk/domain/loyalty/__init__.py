"""Loyalty rules (spec 9, 6.2), pure: the ledger replay, tiers, earning rules."""
