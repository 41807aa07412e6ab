"""Each public page's SQL and the database's plan for it: every statement a page runs (caught
in-process with Flask's test client), then EXPLAIN QUERY PLAN (SQLite) or EXPLAIN ANALYZE
(PostgreSQL) of each. Markdown to stdout; nothing is asserted.

Run: .venv/bin/python bench/plans.py --instance /tmp/demo-100k
     DATABASE_URL=postgresql://... .venv/bin/python bench/plans.py --instance /tmp/folder
     (the instance folder holds the search index; the database is DATABASE_URL's if set)

A plan line with `SCAN <table>` (SQLite) or `Seq Scan on <table>` (PostgreSQL) over a table
that grows with the directory is what makes a page's cost follow the directory: the summary
at the end lists them.
"""

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: Tables whose rows grow with the number of profiles.
GROWING = ("practitioner", "office", "license", "tenant", "practitioner_", "service", "membership")
SCAN = re.compile(r"\b(?:SCAN|Seq Scan on) (\w+)")


def _pages(client) -> dict[str, str]:
    index = client.get("/sitemap.xml").get_data(as_text=True)
    children = [re.sub(r"^https?://[^/]+", "", u) for u in re.findall(r"<loc>([^<]+)<", index)]
    landing = client.get(children[-1]).get_data(as_text=True)
    paths = [re.sub(r"^https?://[^/]+", "", u) for u in re.findall(r"<loc>([^<]+)<", landing)]
    by_depth = {p.strip("/").count("/"): p for p in reversed(paths)}
    practices = next(c for c in children if "/practices-" in c)
    practice = re.findall(r"<loc>https?://[^/]+([^<]+)<", client.get(practices).get_data(True))
    found = client.get("/api/v1/search?near=07030").get_json()["results"]
    pages = client.get("/hsds/services").get_json()["total_pages"]
    return {
        "home": "/",
        "landing state": by_depth.get(1, "/massage/nj"),
        "landing city": by_depth.get(2, "/massage/nj/hoboken"),
        "landing city x need": by_depth.get(3, "/massage/nj/hoboken/sciatica"),
        "search (HTML)": "/search?q=sciatica&near=Hoboken%2C+NJ",
        "search (API)": "/api/v1/search?q=sciatica&near=Hoboken%2C+NJ",
        "profile /p/": f"/p/{found[0]['slug']}",
        "practice /t/": practice[0],
        "hsds services": "/hsds/services",
        "hsds services (last page)": f"/hsds/services?page={pages}",
        "sitemap index": "/sitemap.xml",
        "child sitemap (profiles)": next(c for c in children if "/profiles-" in c),
        "child sitemap (practices)": practices,
        "child sitemap (landing)": children[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, required=True)
    options = parser.parse_args()
    os.environ["DIRECTORY_INSTANCE_PATH"] = str(options.instance)

    from sqlalchemy import event

    from directory import create_app
    from directory.db import db

    app = create_app({"PUBLIC_URL": "https://kneaded.example"})
    client = app.test_client()
    with app.app_context():
        engine = db.engine
        postgres = engine.dialect.name == "postgresql"
        pages = _pages(client)
    caught: list[tuple[str, object]] = []

    def catch(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            caught.append((statement, parameters))

    summary = []
    for name, path in pages.items():
        client.get(path)  # warm: caches filled as a visitor finds them
        caught.clear()
        event.listen(engine, "before_cursor_execute", catch)
        status = client.get(path).status_code
        event.remove(engine, "before_cursor_execute", catch)
        print(f"\n## {name}: `{path}` ({status}, {len(caught)} SELECTs)\n")
        with engine.connect() as connection:
            for statement, parameters in caught:
                explain = "EXPLAIN (ANALYZE, COSTS OFF, TIMING ON) " if postgres else (
                    "EXPLAIN QUERY PLAN "
                )  # fmt: skip
                raw = connection.exec_driver_sql(explain + statement, parameters)
                lines = [row[-1] for row in raw]
                print("```sql")
                print(" ".join(statement.split())[:400])
                print("```")
                print("```")
                print("\n".join(str(line) for line in lines))
                print("```")
                for line in map(str, lines):
                    match = SCAN.search(line)
                    if match and match.group(1).startswith(GROWING):
                        summary.append(f"{name}: {line.strip()}")
    print("\n## Full scans of growing tables\n")
    print("\n".join(f"- {line}" for line in sorted(set(summary))) or "none")


if __name__ == "__main__":
    main()
