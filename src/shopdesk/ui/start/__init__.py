"""The start screen: today's work at the counter."""
