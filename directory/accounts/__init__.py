"""Accounts: users, sign-up and sign-in, and how a browser session maps to a user (`sessions`,
which also holds Flask-Login's `login_manager`)."""
