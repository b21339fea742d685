"""What the printed documents show (plain data for `shopdesk.printing`) and the
print spool."""
