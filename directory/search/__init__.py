"""Search: the outbox that keeps the index caught up with the database."""

from directory.search.outbox import SearchOutbox, pending_count

__all__ = ["SearchOutbox", "pending_count"]
