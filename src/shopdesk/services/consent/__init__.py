"""The consent register (spec 13.1): who agreed to what, when, how, and who wrote it down."""
