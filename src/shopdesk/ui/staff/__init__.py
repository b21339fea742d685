"""Staff screens: first-start owner setup, sign-in, staff administration."""
