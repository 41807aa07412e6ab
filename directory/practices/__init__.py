"""Practices (tenants) and their members."""
