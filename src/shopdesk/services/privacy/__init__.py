"""Privacy (spec 2.4, 13): erasure, data portability, access logging and monitoring,
compliance reports."""
