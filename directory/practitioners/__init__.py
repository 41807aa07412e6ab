"""Practitioner profiles: the public pages, the editor, credentials, import and export."""
