"""--state PATH: the store's durable copy in SQLite (WAL mode). Every write is committed before the store
returns, so the HTTP layer only acknowledges what a restart will restore; the resourceVersion counter is saved
in the same transaction so it never goes backwards after a restart (deletes advance it too)."""
from __future__ import annotations

import sqlite3
from typing import Iterator

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    storage_key TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, raw TEXT NOT NULL,
    PRIMARY KEY (storage_key, namespace, name));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Journal:
    def __init__(self, path: str):
        # isolation_level=None: we open and commit each transaction ourselves.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a crash of this process (kill -9); only an OS crash or power loss can
        # lose the last transactions, which is acceptable for a workshop sandbox and far faster than FULL.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def resource_version(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key='resourceVersion'").fetchone()
        return int(row[0]) if row else 0

    def objects(self) -> Iterator[tuple[str, str, str, str]]:
        """(storage_key, namespace, name, raw) for every stored object."""
        yield from self._db.execute("SELECT storage_key, namespace, name, raw FROM objects")

    def put(self, storage_key: str, namespace: str, name: str, raw: str, rv: int) -> None:
        self._write("INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?)", (storage_key, namespace, name, raw), rv)

    def delete(self, storage_key: str, namespace: str, name: str, rv: int) -> None:
        self._write("DELETE FROM objects WHERE storage_key=? AND namespace=? AND name=?",
                    (storage_key, namespace, name), rv)

    def _write(self, sql: str, args: tuple, rv: int) -> None:
        db = self._db
        db.execute("BEGIN")
        try:
            db.execute(sql, args)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('resourceVersion', ?)", (str(rv),))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._db.close()
