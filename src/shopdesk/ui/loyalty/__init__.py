"""Loyalty and feedback screens (issue 17)."""
