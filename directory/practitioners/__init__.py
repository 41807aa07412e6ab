"""Practitioner profiles: the public pages, import and export."""

from directory.practitioners.views import bp

__all__ = ["bp"]
