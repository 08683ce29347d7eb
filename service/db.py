"""Engine creation and schema set-up."""

from __future__ import annotations

import contextlib
import fcntl
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel, create_engine

from service import models  # also registers the tables on SQLModel.metadata
from service.config import Settings


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run during a write; synchronous=FULL makes a committed ingest survive power loss,
    # which is what a 201 promises.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(settings: Settings) -> Engine:
    """Creates the engine for the configured database and makes sure the tables exist."""
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    # Several instances may start at once on a new database: one sets the schema up, the others wait.
    with _setup_lock(engine):
        SQLModel.metadata.create_all(engine)
        _add_missing_columns(engine)
        _set_up_sync(engine)
    return engine


# Any constant: the key of the PostgreSQL advisory lock that serialises schema set-up between instances.
_SETUP_LOCK_KEY: Final = 0x63726F7373  # "cross"


@contextlib.contextmanager
def _setup_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({_SETUP_LOCK_KEY})")
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_SETUP_LOCK_KEY})")
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        # SQLite's CREATE TABLE races between processes ("already exists"): a lock file next to the database.
        with Path(f"{engine.url.database}.setup-lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    else:
        yield


# The change log (service/sync.py) is written by triggers, so every path that adds or deletes claims -- ingest,
# delete, cascades, import, the benchmark's store builder -- logs in the same transaction, and nothing else
# has to remember to. Bump the version when the DDL below changes: the triggers are then replaced.
SYNC_TRIGGERS_VERSION: Final = "1"
_SYNC_TRIGGERS_KEY: Final = "triggers"
STORE_ID_KEY: Final = "store_id"

_SQLITE_SYNC_DDL: Final = (
    """CREATE TRIGGER IF NOT EXISTS claim_change_ai AFTER INSERT ON claim BEGIN
        INSERT INTO claim_change (claim_id, op) VALUES (new.id, 'add');
    END""",
    """CREATE TRIGGER IF NOT EXISTS claim_change_ad AFTER DELETE ON claim BEGIN
        INSERT INTO claim_change (claim_id, op) VALUES (old.id, 'delete');
    END""",
    # Edited texts and titles: the lexical sidecars re-read these claims.
    """CREATE TRIGGER IF NOT EXISTS claim_change_au AFTER UPDATE OF text ON claim WHEN old.text IS NOT new.text
    BEGIN
        INSERT INTO claim_change (claim_id, op) VALUES (new.id, 'update');
    END""",
    """CREATE TRIGGER IF NOT EXISTS claim_change_su AFTER UPDATE OF title ON source WHEN old.title IS NOT new.title
    BEGIN
        INSERT INTO claim_change (claim_id, op) SELECT id, 'update' FROM claim WHERE source_id = new.id;
    END""",
)
# PostgreSQL hands out sequence numbers at insert time, not commit time: a follower reading "seq > N" could
# pass over a row of a transaction that commits later with a smaller number. The lock (self-conflicting, taken
# just before the log rows are written and held until commit) makes log numbers follow commit order; readers
# are not blocked by it. SQLite needs none: it has one writer at a time. Statement triggers with transition
# tables log a whole ingest in one INSERT.
_PG_LOG_FUNCTION: Final = """CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF EXISTS (SELECT 1 FROM changed_rows) THEN
        LOCK TABLE claim_change IN SHARE ROW EXCLUSIVE MODE;
        INSERT INTO claim_change (claim_id, op) SELECT id, '{op}' FROM changed_rows ORDER BY id;
    END IF;
    RETURN NULL;
END
$body$"""
# Edits are rare (no API route makes them): row triggers, since transition tables cannot go with column lists.
_PG_LOG_EDIT_FUNCTION: Final = """CREATE OR REPLACE FUNCTION claim_change_log_edit() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    LOCK TABLE claim_change IN SHARE ROW EXCLUSIVE MODE;
    IF TG_TABLE_NAME = 'source' THEN
        INSERT INTO claim_change (claim_id, op) SELECT id, 'update' FROM claim WHERE source_id = NEW.id ORDER BY id;
    ELSE
        INSERT INTO claim_change (claim_id, op) VALUES (NEW.id, 'update');
    END IF;
    RETURN NULL;
END
$body$"""
_PG_SYNC_DDL: Final = (
    _PG_LOG_FUNCTION.format(name="claim_change_log_add", op="add"),
    _PG_LOG_FUNCTION.format(name="claim_change_log_delete", op="delete"),
    _PG_LOG_EDIT_FUNCTION,
    "DROP TRIGGER IF EXISTS claim_change_ai ON claim",
    "DROP TRIGGER IF EXISTS claim_change_ad ON claim",
    "DROP TRIGGER IF EXISTS claim_change_au ON claim",
    "DROP TRIGGER IF EXISTS claim_change_su ON source",
    """CREATE TRIGGER claim_change_ai AFTER INSERT ON claim REFERENCING NEW TABLE AS changed_rows
        FOR EACH STATEMENT EXECUTE FUNCTION claim_change_log_add()""",
    """CREATE TRIGGER claim_change_ad AFTER DELETE ON claim REFERENCING OLD TABLE AS changed_rows
        FOR EACH STATEMENT EXECUTE FUNCTION claim_change_log_delete()""",
    """CREATE TRIGGER claim_change_au AFTER UPDATE OF text ON claim
        FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text) EXECUTE FUNCTION claim_change_log_edit()""",
    """CREATE TRIGGER claim_change_su AFTER UPDATE OF title ON source
        FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION claim_change_log_edit()""",
)


def _sync_info(conn: Connection, key: str) -> str | None:
    value = conn.execute(text("SELECT value FROM sync_info WHERE key = :k"), {"k": key}).scalar()
    return None if value is None else str(value)


def _put_sync_info(conn: Connection, key: str, value: str) -> None:
    if conn.execute(text("UPDATE sync_info SET value = :v WHERE key = :k"), {"k": key, "v": value}).rowcount == 0:
        conn.execute(text("INSERT INTO sync_info (key, value) VALUES (:k, :v)"), {"k": key, "v": value})


def _set_up_sync(engine: Engine) -> None:
    """Creates the change-log tables and triggers, and gives the store its identity, if missing."""
    models.SYNC_METADATA.create_all(engine)
    with engine.begin() as conn:
        if _sync_info(conn, STORE_ID_KEY) is None:
            _put_sync_info(conn, STORE_ID_KEY, uuid.uuid4().hex)
        dialect = engine.dialect.name
        if dialect == "sqlite":
            # IF NOT EXISTS is cheap and also repairs a database restored without its triggers.
            for statement in _SQLITE_SYNC_DDL:
                conn.exec_driver_sql(statement)
        elif dialect == "postgresql" and _sync_info(conn, _SYNC_TRIGGERS_KEY) != SYNC_TRIGGERS_VERSION:
            # Replacing triggers locks the claim table: only when they are missing or outdated.
            for statement in _PG_SYNC_DDL:
                conn.exec_driver_sql(statement)
        _put_sync_info(conn, _SYNC_TRIGGERS_KEY, SYNC_TRIGGERS_VERSION)


def store_id(engine: Engine) -> str:
    """The store's random identity, made when its schema was first set up."""
    with engine.connect() as conn:
        return _sync_info(conn, STORE_ID_KEY) or ""


# Columns added after the first release: a store created before them gets them (NULL on old rows).
# copy_group_id (service/syndication.py) is looked up by value when a group's root article is deleted.
_LATER_COLUMNS = {
    "claim": {
        "context_text": "TEXT",
        "checkworthiness": "FLOAT",
        "copy_group_id": "INTEGER",
        "language": "VARCHAR(16)",
    },
    "source": {"copy_group_id": "INTEGER", "domain": "VARCHAR(256)", "kind": "VARCHAR(16)"},
    "watch": {"context": "TEXT", "context_window": "INTEGER", "cohesion": "FLOAT"},
}
_LATER_INDEXED = {"copy_group_id", "kind"}


def _add_missing_columns(engine: Engine) -> None:
    for table, columns in _LATER_COLUMNS.items():
        present = {column["name"] for column in inspect(engine).get_columns(table)}
        missing = {name: kind for name, kind in columns.items() if name not in present}
        if missing:
            with engine.begin() as connection:
                for name, kind in missing.items():
                    connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {kind}"))
                    if name in _LATER_INDEXED:
                        connection.execute(text(f"CREATE INDEX IF NOT EXISTS ix_{table}_{name} ON {table} ({name})"))


def open_session(engine: Engine) -> Session:
    """A session whose objects stay readable after commit (responses are built after the commit)."""
    return Session(engine, expire_on_commit=False)
