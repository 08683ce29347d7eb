"""`crosscheck export` / `crosscheck import`: the whole store as one JSON Lines file, restored exactly.

Format (version 1), one JSON object per line:

    {"format": "crosscheck-export", "version": 1, "tables": {"source": ["id", "url", ...], ...}}
    {"table": "source", "row": {"id": 1, "url": "...", ...}}
    ...
    {"end": true, "counts": {"source": 13, "claim": 412, ...}}

Every table of the data model (`SQLModel.metadata`, in foreign-key order) is written with every column, so
a column or table another part of the code adds later is carried without changes here. Values are JSON
scalars, except binary columns (base64) and dates/datetimes (ISO 8601). Derived data is not exported: the
FAISS index files and the lexical FTS5 table are rebuilt from the rows.

Design choice: the vectors are part of the export (they are columns of the claim tables), so an import
never re-encodes anything and needs no model: the restored store records which model made the vectors,
and a server configured with another model refuses to start until `crosscheck reindex --reencode`.
Ids are kept, so links to `/sources/{id}` stay valid; that is why import only goes into an empty store.
The import is a single transaction: a truncated or invalid file stores nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from sqlalchemy import Column, Integer, Table, func, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel

from embeddings import ModelId
from service import store
from service.config import Settings
from service.db import make_engine
from service.models import StoreInfo

FORMAT: Final = "crosscheck-export"
VERSION: Final = 1
INSERT_BATCH: Final = 1_000
STORE_INFO: Final = StoreInfo.__tablename__
# StoreInfo keys naming the model that made stored vectors: an existing, different value is a conflict.
MODEL_INFO_PREFIXES: Final = (store.EMBEDDING_MODEL_KEY, "encoder.")


class TransferError(Exception):
    """The file cannot be imported (format, truncation, target not empty, model conflict)."""


@dataclass(frozen=True, slots=True)
class TransferReport:
    counts: dict[str, int]
    index_size: int | None = None


def _tables() -> list[Table]:
    return list(SQLModel.metadata.sorted_tables)


def _python_type(column: Column[Any]) -> type | None:
    """The Python type of a column's values, looking through TypeDecorators (SQLModel's datetime type)."""
    type_: Any = column.type
    for _ in range(5):
        try:
            kind = type_.python_type
        except NotImplementedError:
            kind = None
        if kind not in (None, object):
            return kind
        inner = getattr(type_, "impl_instance", None)
        if inner is None or inner is type_:
            return None
        type_ = inner
    return None


def _encode(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _decode(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    kind = _python_type(column)
    if kind is bytes:
        return base64.b64decode(value, validate=True)
    if kind is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if kind is dt.date:
        return dt.date.fromisoformat(value)
    expected: dict[Any, tuple[type, ...]] = {int: (int,), float: (int, float), str: (str,), bool: (bool,)}
    allowed = expected.get(kind)
    if allowed is not None and (not isinstance(value, allowed) or (kind is not bool and isinstance(value, bool))):
        raise ValueError(f"{column.name} should be {allowed[-1].__name__}, not {type(value).__name__}")
    return value


def _dump(obj: dict[str, Any]) -> str:
    # ensure_ascii keeps the file plain ASCII whatever the texts hold; sort_keys makes it reproducible.
    return json.dumps(obj, ensure_ascii=True, sort_keys=True, allow_nan=False)


def export_rows(engine: Engine, counts: dict[str, int]) -> Iterator[str]:
    """The export file's lines, streamed table by table in primary-key order; fills `counts` as it goes."""
    tables = _tables()
    yield _dump({"format": FORMAT, "version": VERSION, "tables": {t.name: [c.name for c in t.columns] for t in tables}})
    # One connection, one read transaction: on SQLite (WAL) and PostgreSQL the export is a consistent snapshot.
    with engine.connect() as conn, conn.begin():
        for table in tables:
            counts[table.name] = 0
            query = select(table).order_by(*table.primary_key.columns)
            result = conn.execution_options(stream_results=True, yield_per=INSERT_BATCH).execute(query)
            for row in result.mappings():
                counts[table.name] += 1
                yield _dump({"table": table.name, "row": {c.name: _encode(c, row[c.name]) for c in table.columns}})
    yield _dump({"end": True, "counts": counts})


def export_store(settings: Settings, out: IO[str]) -> TransferReport:
    """Writes the whole store to `out`."""
    engine = make_engine(settings)
    try:
        counts: dict[str, int] = {}
        for line in export_rows(engine, counts):
            out.write(line + "\n")
        return TransferReport(counts=counts)
    finally:
        engine.dispose()


def _check_empty(conn: Connection, tables: list[Table]) -> None:
    for table in tables:
        if table.name == STORE_INFO:
            continue
        if conn.execute(select(func.count()).select_from(table)).scalar_one():
            raise TransferError(
                f"the target store is not empty (table {table.name} has rows): import restores a store with its "
                "ids, so it needs an empty database; point CROSSCHECK_DATA_DIR (or DATABASE_URL) at a new one"
            )


def _merge_store_info(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store facts to insert: those the target lacks; a different model for the same vectors is an error."""
    existing = {r.key: r.value for r in conn.execute(select(table.c.key, table.c.value))}
    new_rows = []
    for row in rows:
        key, value = row["key"], row["value"]
        if key not in existing:
            new_rows.append(row)
        elif existing[key] != value and key.startswith(MODEL_INFO_PREFIXES):
            raise TransferError(
                f"the export's vectors ({key}) come from {value} but the target store records {existing[key]}: "
                "import into a new data directory instead"
            )
    return new_rows


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """PostgreSQL: explicit ids do not advance a serial's sequence; move it past the imported ids."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement in (True, "auto"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                    f"COALESCE(MAX({pk[0].name}), 1), MAX({pk[0].name}) IS NOT NULL) FROM {table.name}"
                )
            )


def _parse(lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, dict[str, Any]]]:
    for lineno, line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TransferError(f"line {lineno}: not valid JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise TransferError(f"line {lineno}: expected a JSON object")
        yield lineno, record


def import_store(settings: Settings, source: IO[str], *, build_index: bool = True) -> TransferReport:
    """Restores an export into an empty store, in one transaction; then builds the default FAISS index."""
    tables = {t.name: t for t in _tables()}
    records = _parse(enumerate(source, start=1))
    try:
        _, header = next(records)
    except StopIteration:
        raise TransferError("the file is empty") from None
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise TransferError(f"not a {FORMAT} file of version {VERSION} (header: {str(header)[:200]})")
    columns: dict[str, list[str]] = header.get("tables", {})
    for name, cols in columns.items():
        if name not in tables:
            raise TransferError(f"the export has a table this version does not know: {name}")
        unknown = set(cols) - {c.name for c in tables[name].columns}
        if unknown:
            raise TransferError(f"the export's table {name} has columns this version does not know: {sorted(unknown)}")

    engine = make_engine(settings)
    counts = {name: 0 for name in columns}
    try:
        with engine.begin() as conn:
            _check_empty(conn, list(tables.values()))
            pending: dict[str, list[dict[str, Any]]] = {}
            ended: dict[str, Any] | None = None

            def flush(name: str) -> None:
                rows = pending.pop(name, [])
                if name == STORE_INFO:
                    rows = _merge_store_info(conn, tables[name], rows)
                if rows:
                    try:
                        conn.execute(insert(tables[name]), rows)
                    except SQLAlchemyError as exc:
                        reason = getattr(exc, "orig", None) or type(exc).__name__
                        raise TransferError(f"the database refused a row of table {name}: {reason}") from exc

            for lineno, record in records:
                if ended is not None:
                    raise TransferError(f"line {lineno}: data after the end marker")
                if record.get("end") is True:
                    ended = record
                    continue
                name, row = str(record.get("table")), record.get("row")
                if name not in columns or not isinstance(row, dict):
                    raise TransferError(f"line {lineno}: expected {{'table': <name>, 'row': {{...}}}}")
                table = tables[name]
                if set(row) != set(columns[name]):
                    raise TransferError(f"line {lineno}: the row's columns differ from the header's for {name}")
                try:
                    decoded = {key: _decode(table.c[key], value) for key, value in row.items()}
                except (ValueError, TypeError) as exc:
                    raise TransferError(f"line {lineno}: invalid value in table {name}: {exc}") from exc
                # Tables come in foreign-key order: flush the others before starting a new one.
                for other in [n for n in pending if n != name]:
                    flush(other)
                pending.setdefault(name, []).append(decoded)
                counts[name] += 1
                if len(pending[name]) >= INSERT_BATCH:
                    flush(name)
            if ended is None:
                raise TransferError("the file ends without its end marker: it is truncated, nothing was imported")
            if ended.get("counts") != counts:
                raise TransferError(f"row counts {counts} differ from the end marker's {ended.get('counts')}")
            for name in list(pending):
                flush(name)
            _reset_sequences(conn, list(tables.values()))
        index_size = _build_index(engine, settings) if build_index else None
    finally:
        engine.dispose()
    return TransferReport(counts=counts, index_size=index_size)


def _build_index(engine: Engine, settings: Settings) -> int | None:
    """Saves every FAISS index (the default one and each additional encoder's) from the imported vectors, in the
    configured kind, so the next start neither rebuilds them nor serves from a temporary exact index."""
    from sqlmodel import Session, col, select

    from service import vectors
    from service.indexing import rebuild_index
    from service.models import StoreInfo

    prefix = vectors.info_key("")
    with Session(engine) as session:
        recorded = store.get_store_info(session=session, key=store.EMBEDDING_MODEL_KEY)
        extras = {
            row.key.removeprefix(prefix): row.value
            for row in session.exec(select(StoreInfo).where(col(StoreInfo.key).startswith(prefix))).all()
        }
    if recorded is None:
        return None
    index = rebuild_index(engine=engine, model_id=ModelId.parse(recorded))
    index.save(settings.index_path)
    for key, model in sorted(extras.items()):
        vectors.rebuild_index(engine=engine, key=key, model_id=ModelId.parse(model)).save(
            settings.encoder_index_path(key)
        )
    return len(index)


def export_to_path(settings: Settings, path: Path) -> TransferReport:
    """Writes the export to a file atomically (a half-written backup never replaces a good one)."""
    tmp = path.with_name(f".{path.name}.partial")
    with tmp.open("w", encoding="ascii", newline="\n") as out:
        report = export_store(settings, out)
    tmp.replace(path)
    return report
