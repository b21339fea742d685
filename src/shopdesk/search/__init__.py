"""The one-box customer search (issue #3): an in-memory word index for names,
companies and addresses, and SQLite's indexes for phones, e-mails and codes."""
