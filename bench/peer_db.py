"""The peer: the same archive as a SQLite database for Datasette + datasette-graphql.

Two halves, for two environments (datasette-graphql needs graphql-core 3.2, strawberry
needs 3.3, so Datasette runs from a virtualenv of its own):

- `export_rows(store, directory)` runs with newsgraph: it builds the Archive (links
  resolved, tags derived, exactly what our API serves) and writes one JSON file per table;
- `python bench/peer_db.py ROWS_DIR DB` runs in the peer's environment and inserts the
  rows with sqlite-utils: foreign keys (datasette-graphql turns them into nested fields),
  indexes on every key a query filters or sorts by, and an FTS table for search.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TABLES = ("events", "sources", "related", "tags", "event_tags")


def export_rows(store: Path, directory: Path) -> dict[str, int]:
    """Write `directory/<table>.json` for every table; the row count of each."""
    from newsgraph.archive import Archive
    from newsgraph.store import EventStore

    archive = Archive.from_documents(EventStore(store).documents())
    rows: dict[str, list[dict]] = {name: [] for name in TABLES}
    for path in archive.ascending:
        event = archive.events[path]
        date = event.date.isoformat()
        rows["events"].append({"path": path, "date": date, "headline": event.headline, "summary": event.summary,
                               "cover_image": event.cover_image})
        for position, source in enumerate(event.sources):
            rows["sources"].append({"event_path": path, "position": position, "name": source.name, "url": source.url})
        for position, (item, target) in enumerate(zip(event.related, archive.resolved[path], strict=True)):
            rows["related"].append({"event_path": path, "position": position, "path": item.path,
                                    "headline": item.headline, "target_path": target})
        for key in archive.event_tags.get(path, ()):
            rows["event_tags"].append({"event_path": path, "tag_key": key, "date": date})
    for tag in archive.tags.values():
        rows["tags"].append({"key": tag.key, "name": tag.name, "event_count": len(tag.event_paths)})
    directory.mkdir(parents=True, exist_ok=True)
    for name, table_rows in rows.items():
        (directory / f"{name}.json").write_text(json.dumps(table_rows), encoding="utf-8")
    return {name: len(table_rows) for name, table_rows in rows.items()}


def build(directory: Path, db_path: Path) -> None:
    """Insert the exported rows into a new SQLite file with sqlite-utils (peer environment only)."""
    import sqlite_utils

    if db_path.exists():
        db_path.unlink()
    db = sqlite_utils.Database(db_path)

    def rows(name: str) -> list[dict]:
        return json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))

    db["events"].insert_all(rows("events"), pk="path", batch_size=10_000,
                            columns={"path": str, "date": str, "headline": str, "summary": str, "cover_image": str})
    db["tags"].insert_all(rows("tags"), pk="key", batch_size=10_000)
    db["sources"].insert_all(rows("sources"), pk="id", batch_size=10_000,
                             foreign_keys=[("event_path", "events", "path")])
    db["related"].insert_all(rows("related"), pk="id", batch_size=10_000,
                             columns={"target_path": str},
                             foreign_keys=[("event_path", "events", "path"), ("target_path", "events", "path")])
    db["event_tags"].insert_all(rows("event_tags"), pk="id", batch_size=10_000,
                                foreign_keys=[("event_path", "events", "path"), ("tag_key", "tags", "key")])
    db["events"].create_index(["date", "path"])
    db["sources"].create_index(["event_path", "position"])
    db["related"].create_index(["event_path", "position"])
    db["related"].create_index(["target_path"])
    db["event_tags"].create_index(["event_path"])
    db["event_tags"].create_index(["tag_key", "date", "event_path"])
    db["events"].enable_fts(["headline", "summary"], create_triggers=False)
    db.execute("ANALYZE")
    db.conn.commit()
    db.vacuum()


if __name__ == "__main__":
    build(Path(sys.argv[1]), Path(sys.argv[2]))
