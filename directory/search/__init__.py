"""Search: the outbox, the Whoosh index fed from it, and the engine answering queries.

Only modules in this package import whoosh; importing the package itself does not.
"""

from collections.abc import Callable
from pathlib import Path

from flask import Flask

from directory.search.outbox import SearchOutbox, pending_count

__all__ = ["SearchOutbox", "init_app", "pending_count"]


def init_app(app: Flask, chores: Callable[[], object] = lambda: None) -> None:
    """Attach the index store (under the instance folder) and the `search` commands; the
    indexer (`search drain --forever`) runs `chores` each poll (sync.serve). (The search
    pages' blueprint, `views.bp`, is registered by create_app with the others.)"""
    from directory.search.cli import search_cli
    from directory.search.index import IndexStore

    root = Path(app.config.get("SEARCH_INDEX_PATH") or Path(app.instance_path) / "search")
    app.extensions["search_store"] = IndexStore(root)
    app.extensions["search_chores"] = chores
    app.cli.add_command(search_cli)
