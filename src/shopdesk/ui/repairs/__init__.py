"""The repair screens: ticket board, intake, ticket page, pickup, device history."""
