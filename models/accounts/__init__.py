"""Accounts: sign-in for the portal (passwords, TOTP, lockout, web sessions) and API tokens."""
