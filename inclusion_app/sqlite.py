"""SQLite settings for the embedded default database.

pysqlite's own transaction handling breaks SAVEPOINTs and lets two transactions that read then
write deadlock (SQLITE_BUSY with no wait). Following SQLAlchemy's recipe ("Serializable
isolation / Savepoints / Transactional DDL" in its SQLite dialect documentation), the driver's
handling is switched off and every transaction starts with `BEGIN IMMEDIATE`: transactions are
serialised (a writer waits up to `busy_timeout` for the previous one), which is right for the
embedded single-machine default; PostgreSQL is the engine for several workers.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

BUSY_TIMEOUT_MS = 30_000


def configure_sqlite(engine: sa.Engine) -> None:
    """Install the connect/begin hooks on a SQLite engine (no-op for other engines)."""
    if engine.dialect.name != "sqlite":
        return
    sa.event.listen(engine, "connect", _on_connect)
    sa.event.listen(engine, "begin", _on_begin)


def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def _on_begin(connection: sa.Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
