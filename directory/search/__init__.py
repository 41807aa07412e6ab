"""Search: the outbox, the Whoosh index fed from it, and the engine answering queries.

Only modules in this package import whoosh; importing the package itself does not.
"""

from pathlib import Path

from flask import Flask

from directory.search.outbox import SearchOutbox, pending_count

__all__ = ["SearchOutbox", "init_app", "pending_count"]


def init_app(app: Flask) -> None:
    """Attach the index store (under the instance folder) and the `search` commands."""
    from directory.search.cli import search_cli
    from directory.search.index import IndexStore

    root = Path(app.config.get("SEARCH_INDEX_PATH") or Path(app.instance_path) / "search")
    app.extensions["search_store"] = IndexStore(root)
    from directory.search.views import bp

    app.cli.add_command(search_cli)
    app.register_blueprint(bp)
