"""Data access for sources and claims. Keyword-only arguments, sessions passed in, no HTTP here."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import numpy as np
from sqlalchemy import ColumnElement, func, insert, or_, text, update
from sqlalchemy import delete as sa_delete
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, delete, select

from service.errors import NotFoundError
from service.models import FACT_CHECK_KIND, Claim, Source, StoreInfo, claim_change, sync_info

EMBEDDING_DTYPE = np.dtype("<f4")
EMBEDDING_MODEL_KEY = "embedding_model"


def content_hash(text: str) -> str:
    """Hash of the article text that ignores line-ending style and surrounding whitespace."""
    canonical = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def vector_to_bytes(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=EMBEDDING_DTYPE).tobytes()


def bytes_to_vectors(blobs: Sequence[bytes], dim: int) -> np.ndarray:
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=EMBEDDING_DTYPE).reshape(len(blobs), dim).astype(np.float32)


def get_store_info(*, session: Session, key: str) -> str | None:
    row = session.get(StoreInfo, key)
    return row.value if row else None


def set_store_info(*, session: Session, key: str, value: str) -> None:
    row = session.get(StoreInfo, key)
    if row is None:
        session.add(StoreInfo(key=key, value=value))
    else:
        row.value = value
        session.add(row)


def is_article() -> ColumnElement[bool]:
    """Sources that are articles: not a fact-check's review (whose URL may be the page's, stored as an article)."""
    return or_(col(Source.kind).is_(None), col(Source.kind) != FACT_CHECK_KIND)


def find_existing_source(*, session: Session, text_hash: str, url: str | None) -> Source | None:
    """The article with the same content, or else with the same URL, if any."""
    found = session.exec(select(Source).where(Source.content_hash == text_hash)).first()
    if found is None and url:
        found = find_source_by_url(session=session, url=url)
    return found


def find_source_by_url(*, session: Session, url: str) -> Source | None:
    """The first article stored under this URL."""
    return session.exec(select(Source).where(Source.url == url, is_article()).order_by(col(Source.id))).first()


# Primary keys are 64-bit; a larger id from a request cannot exist, and the driver would overflow binding it.
MAX_ID = 2**63 - 1


def valid_id(value: int) -> bool:
    return 0 < value <= MAX_ID


def get_source(*, session: Session, source_id: int) -> Source:
    source = session.get(Source, source_id) if valid_id(source_id) else None
    if source is None:
        raise NotFoundError(f"no source with id {source_id}")
    return source


def sources_by_id(*, session: Session, ids: Sequence[int]) -> list[Source]:
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return []
    return list(session.exec(select(Source).where(col(Source.id).in_(wanted))).all())


def get_claim(*, session: Session, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id) if valid_id(claim_id) else None
    if claim is None:
        raise NotFoundError(f"no claim with id {claim_id}")
    return claim


def claims_of(*, session: Session, source_id: int) -> list[Claim]:
    return list(session.exec(select(Claim).where(Claim.source_id == source_id).order_by(col(Claim.position))))


def claim_ids_of_sources(*, session: Session, source_ids: Sequence[int]) -> list[int]:
    source_ids = [i for i in source_ids if valid_id(i)]
    if not source_ids:
        return []
    return list(session.exec(select(Claim.id).where(col(Claim.source_id).in_(list(source_ids)))))  # type: ignore[arg-type]


def sources_in_group(*, session: Session, group: int) -> list[Source]:
    """The sources of a copy group, first stored first (a source stored before groups existed is its own)."""
    return list(
        session.exec(
            select(Source)
            .where(
                (col(Source.copy_group_id) == group) | ((col(Source.id) == group) & col(Source.copy_group_id).is_(None))
            )
            .order_by(col(Source.id))
        )
    )


def list_sources(*, session: Session, offset: int, limit: int) -> tuple[list[tuple[Source, int]], int]:
    """A page of sources (newest first) with their claim counts, and the total number of sources."""
    total = session.exec(select(func.count()).select_from(Source)).one()
    counts = select(Claim.source_id, func.count().label("n")).group_by(col(Claim.source_id)).subquery()
    rows = session.exec(
        select(Source, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.source_id == Source.id)
        .order_by(col(Source.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [(source, int(n)) for source, n in rows], int(total)


def delete_source(*, session: Session, source_id: int) -> list[int]:
    """Deletes a source and its claims in the caller's transaction; returns the deleted claim ids."""
    source = get_source(session=session, source_id=source_id)
    claim_ids = claim_ids_of_sources(session=session, source_ids=[source_id])
    session.exec(delete(Claim).where(col(Claim.source_id) == source_id))
    session.delete(source)
    return [int(i) for i in claim_ids]


def count_claims(*, session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Claim)).one())


def all_claim_ids(*, session: Session) -> np.ndarray:
    """Every stored claim id (unordered): what start-up compares each index with."""
    return id_column(session=session, table="claim", column="id")


def id_column(
    *, session: Session, table: str, column: str, where: str = "", params: dict[str, str] | None = None
) -> np.ndarray:
    """One integer column of a table as an array, read as a single comma-joined string.

    At a million claims, fetching a million one-value rows costs seconds in Python; the database joins
    them in C and numpy parses the string (about 4x faster here). `table`, `column` and `where` are fixed
    strings of this module's callers, never text from a request.
    """
    dialect = session.get_bind().dialect.name
    joined = f"string_agg({column}::text, ',')" if dialect == "postgresql" else f"group_concat({column})"
    sql = f"SELECT {joined} FROM {table}" + (f" WHERE {where}" if where else "")
    value = session.connection().execute(text(sql), params or {}).scalar()
    if not value:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(value, dtype=np.int64, sep=",")


def iter_embeddings(
    *, session: Session, dim: int, ids: np.ndarray | None = None, batch: int = 20_000
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yields `(ids, vectors)` chunks of stored embeddings, all of them or only the given ids."""
    if ids is None:
        last = 0
        while True:
            rows = session.exec(
                select(Claim.id, Claim.embedding).where(col(Claim.id) > last).order_by(col(Claim.id)).limit(batch)
            ).all()
            if not rows:
                return
            last = int(rows[-1][0] or 0)
            yield np.asarray([r[0] for r in rows], dtype=np.int64), bytes_to_vectors([r[1] for r in rows], dim)
        return
    for lo in range(0, len(ids), batch):
        chunk = [int(i) for i in ids[lo : lo + batch]]
        rows = session.exec(select(Claim.id, Claim.embedding).where(col(Claim.id).in_(chunk))).all()
        if rows:
            yield np.asarray([r[0] for r in rows], dtype=np.int64), bytes_to_vectors([r[1] for r in rows], dim)


def embeddings_by_id(*, session: Session, ids: Sequence[int], dim: int) -> tuple[np.ndarray, np.ndarray]:
    """`(found ids, float32 vectors)` of the default encoder for a few claims (ids not stored are skipped).

    Plain SQL, like the match path's other per-query reads: an approximate index re-scores its candidates with
    these exact vectors (`service/matching.py`), so this runs on every such query. The ids are integers
    formatted here, never text from a request.
    """
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros((0, dim), dtype=np.float32)
    id_list = ",".join(str(int(i)) for i in ids)
    rows = session.connection().exec_driver_sql(f"SELECT id, embedding FROM claim WHERE id IN ({id_list})").all()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, dim), dtype=np.float32)
    return np.asarray([r[0] for r in rows], dtype=np.int64), bytes_to_vectors([r[1] for r in rows], dim)


# --- The change log (service/sync.py): rows written by triggers, read by every instance's follower. ---

COMPACTED_UPTO_KEY = "change_log.compacted_upto"
ALERTS_CURSOR_KEY = "alerts.seq"  # service/alerts.py: the last change-log row checked against the watches


def get_sync_info(*, session: Session, key: str) -> str | None:
    return session.connection().execute(sa_select(sync_info.c.value).where(sync_info.c.key == key)).scalar()


def set_sync_info(*, session: Session, key: str, value: str) -> None:
    conn = session.connection()
    if conn.execute(update(sync_info).where(sync_info.c.key == key).values(value=value)).rowcount == 0:
        conn.execute(insert(sync_info).values(key=key, value=value))


def advance_sync_info(*, session: Session, key: str, old: str, new: str) -> bool:
    """Sets a value only if it still is ``old`` (in the session's transaction): True if this call moved it."""
    moved = session.connection().execute(
        update(sync_info).where(sync_info.c.key == key, sync_info.c.value == old).values(value=new)
    )
    return moved.rowcount == 1


def last_change_seq(*, session: Session) -> int:
    """The newest change's sequence number (0 for an empty log)."""
    return int(session.connection().execute(sa_select(func.coalesce(func.max(claim_change.c.seq), 0))).scalar_one())


def changes_after(*, session: Session, after: int, limit: int) -> list[tuple[int, int, str]]:
    """`(seq, claim_id, op)` of the changes after `after`, oldest first, at most `limit`."""
    rows = session.connection().execute(
        sa_select(claim_change.c.seq, claim_change.c.claim_id, claim_change.c.op)
        .where(claim_change.c.seq > after)
        .order_by(claim_change.c.seq)
        .limit(limit)
    )
    return [(int(seq), int(claim_id), str(op)) for seq, claim_id, op in rows]


def change_log_compacted_upto(*, session: Session) -> int:
    """Every change up to this sequence number may have been dropped by compaction."""
    return int(get_sync_info(session=session, key=COMPACTED_UPTO_KEY) or 0)


def compact_change_log(*, session: Session, keep: int, batch: int = 10_000) -> int:
    """Drops the oldest changes, keeping the newest `keep`, at most `batch` per call; returns how many went.

    The caller commits; the new compaction mark goes in the same transaction, so a follower that reads the
    log after this commit knows it must resynchronise if it was behind the mark.
    """
    upto = last_change_seq(session=session) - keep
    alerts_cursor = get_sync_info(session=session, key=ALERTS_CURSOR_KEY)
    if alerts_cursor is not None:  # the alerts checker reads the log too (service/alerts.py): keep what it has not
        upto = min(upto, int(alerts_cursor))
    if upto <= change_log_compacted_upto(session=session):
        return 0
    conn = session.connection()
    lowest = conn.execute(sa_select(func.min(claim_change.c.seq))).scalar()
    if lowest is None:
        return 0
    upto = min(upto, int(lowest) + batch - 1)
    removed = conn.execute(sa_delete(claim_change).where(claim_change.c.seq <= upto)).rowcount
    set_sync_info(session=session, key=COMPACTED_UPTO_KEY, value=str(upto))
    return int(removed or 0)


def claim_texts(*, session: Session, ids: Sequence[int]) -> list[tuple[int, str, str | None]]:
    """`(claim id, claim text, source title)` of the given claims that exist."""
    if not ids:
        return []
    rows = session.exec(
        select(Claim.id, Claim.text, Source.title)
        .join(Source, col(Source.id) == Claim.source_id)
        .where(col(Claim.id).in_([int(i) for i in ids]))
    ).all()
    return [(int(i or 0), text, title) for i, text, title in rows]


def iter_claim_texts(*, session: Session, batch: int = 20_000) -> Iterator[list[tuple[int, str, str | None]]]:
    """Every claim as `(id, text, source title)`, in id order, in chunks."""
    last = 0
    while True:
        rows = session.exec(
            select(Claim.id, Claim.text, Source.title)
            .join(Source, col(Source.id) == Claim.source_id)
            .where(col(Claim.id) > last)
            .order_by(col(Claim.id))
            .limit(batch)
        ).all()
        if not rows:
            return
        last = int(rows[-1][0] or 0)
        yield [(int(i or 0), text, title) for i, text, title in rows]
