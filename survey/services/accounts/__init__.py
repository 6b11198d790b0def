"""Staff accounts: creation, roles, passwords and sign-in throttling."""
