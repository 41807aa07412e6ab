"""Health checks for load balancers and process managers: JSON, no secrets, no sign-in."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from directory.db import db
from directory.search import indexer, sync

bp = Blueprint("health", __name__)

#: /readyz fails while more outbox rows than this wait for the index.
READY_PENDING = 1000


@bp.get("/healthz")
def healthz():
    """The process is up and answering."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready for traffic: the database answers, the search index exists and is caught up, and,
    where one is expected (SEARCH_INDEXER_EXPECTED), the indexer is running."""
    checks = {"database": "ok", "index": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        checks["database"] = "unreachable"
    limit = current_app.config.get("READY_PENDING", READY_PENDING)
    if not sync.store().exists():
        checks["index"] = "missing"
    elif checks["database"] == "ok" and (behind := sync.pending()) > limit:
        checks["index"] = f"{behind} changes not indexed yet"
    if current_app.config["SEARCH_INDEXER_EXPECTED"]:
        checks["indexer"] = indexer.problem(indexer.last_beat(sync.store().root)) or "ok"
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503
