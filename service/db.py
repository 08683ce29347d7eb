"""Engine creation and schema set-up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

from service import models  # noqa: F401  (registers the tables on SQLModel.metadata)
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
    SQLModel.metadata.create_all(engine)
    _add_missing_claim_columns(engine)
    return engine


# Claim columns added after the first release: a store created before them gets them (NULL on old rows).
_LATER_CLAIM_COLUMNS = {"context_text": "TEXT", "checkworthiness": "FLOAT"}


def _add_missing_claim_columns(engine: Engine) -> None:
    present = {column["name"] for column in inspect(engine).get_columns("claim")}
    missing = {name: kind for name, kind in _LATER_CLAIM_COLUMNS.items() if name not in present}
    if missing:
        with engine.begin() as connection:
            for name, kind in missing.items():
                connection.execute(text(f"ALTER TABLE claim ADD COLUMN {name} {kind}"))


def open_session(engine: Engine) -> Session:
    """A session whose objects stay readable after commit (responses are built after the commit)."""
    return Session(engine, expire_on_commit=False)
