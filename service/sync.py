"""Keeps this instance's derived indexes in step with claims that other instances add and delete.

Several API processes may share one database (PostgreSQL, or one SQLite file). Each holds its own FAISS
indexes (and, on PostgreSQL, its own lexical sidecar: service/lexical.py), built from the database at start-up.
What another process changes afterwards reaches this one through the change log: database triggers
(service/db.py) append ``(seq, claim_id, op)`` to ``claim_change`` in the same transaction as every claim insert
and delete, with ``seq`` in commit order. A `ChangeFollower` thread per process reads the rows after the last
one it applied, about once a second, and makes each index agree with the database *for the claims named*:

- a claim that still exists is added with its stored vector if the index lacks it (nothing is re-encoded);
- a claim that no longer exists is removed.

Deciding from the database's current state rather than replaying ``op`` makes applying idempotent and
order-free: this process's own writes (already in its indexes) cost a membership test, a row read twice is
harmless, and an add followed by a delete needs no ordering (ids are never reused, so a deleted claim never
comes back). When the log was compacted past what this follower had read (it was stalled, or the database was
restored), it falls back to the full comparison of ids that start-up does (`service.indexing.sync_index`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, create_engine

from embeddings import ClaimIndex
from service import indexing, store, vectors
from service.background import BackgroundLoop
from service.config import Settings

if TYPE_CHECKING:
    from service.runtime import Runtime

logger = logging.getLogger(__name__)

# Log rows read per database round trip: a bulk import of a million claims is applied in steps this big.
BATCH = 5_000
# Compaction runs every this many polls (about once a minute at the default interval).
COMPACT_EVERY = 60

Fetch = Callable[[Session, np.ndarray], Iterator[tuple[np.ndarray, np.ndarray]]]
Resync = Callable[[], tuple[int, int]]


@dataclass(slots=True)
class IndexTarget:
    """One FAISS index to keep in step: where its vectors come from and how to rebuild its id set."""

    name: str
    index: ClaimIndex
    fetch: Fetch  # stored vectors of the given claim ids (those that exist)
    resync: Resync  # full comparison of ids with the database: (added, removed)

    def apply(self, session: Session, claim_ids: np.ndarray) -> tuple[int, int]:
        """Makes the index agree with the database for these claims; returns ``(added, removed)``."""
        present = np.isin(claim_ids, self.index.ids())
        existing: list[np.ndarray] = []
        added = 0
        for ids, vecs in self.fetch(session, claim_ids):
            existing.append(ids)
            new = ~np.isin(ids, claim_ids[present])
            if new.any():
                self.index.add(ids[new], vecs[new])
                added += int(new.sum())
        found = np.concatenate(existing) if existing else np.zeros(0, dtype=np.int64)
        gone = claim_ids[present & ~np.isin(claim_ids, found)]
        removed = self.index.remove(gone) if gone.size else 0
        return added, removed


def default_target(engine: Engine, index: ClaimIndex) -> IndexTarget:
    """The default model's index (vectors in ``claim.embedding``)."""
    return IndexTarget(
        name="default",
        index=index,
        fetch=lambda session, ids: store.iter_embeddings(session=session, dim=index.dim, ids=ids),
        resync=lambda: indexing.sync_index(engine=engine, index=index),
    )


def extra_target(engine: Engine, extra: vectors.EncoderIndex) -> IndexTarget:
    """An additional encoder's index (vectors in ``claimvector``)."""
    index, key = extra.index, extra.key
    return IndexTarget(
        name=key,
        index=index,
        fetch=lambda session, ids: vectors.iter_vectors(session=session, key=key, dim=index.dim, ids=ids),
        resync=lambda: vectors.sync_index(engine=engine, key=key, index=index),
    )


def current_seq(settings: Settings) -> int:
    """The change log's newest sequence number, read before the indexes are loaded (0 if there is no log yet).

    Changes after it are replayed by the follower: those the start-up sync already saw cost nothing. Reading
    too low is safe (only slower); any failure here (no database or no log yet) reads 0.
    """
    try:
        engine = create_engine(settings.sqlalchemy_url)
    except (SQLAlchemyError, ImportError):
        return 0
    try:
        with Session(engine) as session:
            return store.last_change_seq(session=session)
    except SQLAlchemyError:
        return 0
    finally:
        engine.dispose()


def build_follower(runtime: Runtime, *, after: int) -> ChangeFollower:
    """A follower for every index of a runtime (default, additional encoders) and its lexical sidecar."""
    from service.matching import LexicalRanker

    targets = [default_target(runtime.engine, runtime.index)]
    targets += [extra_target(runtime.engine, extra) for extra in runtime.extras.values()]
    hooks = [r.lexical.catch_up for r in runtime.matcher.rankers if isinstance(r, LexicalRanker)]
    return ChangeFollower(
        engine=runtime.engine,
        targets=targets,
        after=after,
        interval=runtime.settings.sync_interval_seconds,
        keep=runtime.settings.change_log_keep,
        hooks=hooks,
    )


@dataclass(slots=True)
class PollReport:
    changes: int = 0  # log rows read
    added: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    resynced: bool = False


class ChangeFollower(BackgroundLoop):
    """Applies the change log to this process's indexes, in a background thread or one `poll` at a time."""

    thread_name = "crosscheck-sync"
    what = "change log poll"
    log = logger

    def __init__(
        self,
        *,
        engine: Engine,
        targets: Sequence[IndexTarget],
        after: int,
        interval: float,
        keep: int,
        hooks: Sequence[Callable[[], object]] = (),
    ) -> None:
        """
        Args:
            engine: The shared database.
            targets: The indexes to keep in step.
            after: The last sequence number the indexes already reflect (read before they were loaded).
            interval: Seconds between polls of the background thread.
            keep: Log rows compaction keeps (the newest); a follower further behind resynchronises.
            hooks: Called after every poll (the lexical sidecar catches up through its own cursor).
        """
        super().__init__(interval)
        self.engine = engine
        self.targets = list(targets)
        self.seq = after
        self.keep = keep
        self.hooks = list(hooks)
        self.polls = 0
        self.last_poll_at: float | None = None
        self._lock = threading.Lock()

    def _tick(self) -> None:
        self.poll()
        if self.polls % COMPACT_EVERY == 0:
            self.compact()

    def poll(self) -> PollReport:
        """Reads and applies every change after the last one applied."""
        report = PollReport()
        with self._lock:
            while True:
                with Session(self.engine) as session:
                    rows = store.changes_after(session=session, after=self.seq, limit=BATCH)
                    # Read after the rows: a compaction that committed before them is visible here.
                    if self.seq < store.change_log_compacted_upto(session=session):
                        session.close()
                        self._resync(report)
                        break
                    if not rows:
                        break
                    ids = np.unique(np.asarray([claim_id for _, claim_id, _ in rows], dtype=np.int64))
                    for target in self.targets:
                        added, removed = target.apply(session, ids)
                        report.added[target.name] = report.added.get(target.name, 0) + added
                        report.removed[target.name] = report.removed.get(target.name, 0) + removed
                report.changes += len(rows)
                self.seq = rows[-1][0]
                if len(rows) < BATCH:
                    break
            self.polls += 1
            self.last_poll_at = time.time()
        for hook in self.hooks:
            hook()
        if report.changes and (any(report.added.values()) or any(report.removed.values())):
            logger.info("synced %d changes: added %s, removed %s", report.changes, report.added, report.removed)
        return report

    def _resync(self, report: PollReport) -> None:
        with Session(self.engine) as session:
            head = store.last_change_seq(session=session)
        for target in self.targets:
            added, removed = target.resync()
            report.added[target.name] = added
            report.removed[target.name] = removed
        logger.warning("change log was compacted past this instance's position: full resync %s", report)
        report.resynced = True
        self.seq = head

    def compact(self) -> int:
        """Drops the oldest log rows beyond `keep`, a batch per transaction (any instance may; idempotent)."""
        total = 0
        while not self._stop.is_set():
            with Session(self.engine) as session:
                removed = store.compact_change_log(session=session, keep=self.keep)
                session.commit()
            total += removed
            if removed == 0:
                break
        return total

    def poll_age(self) -> float | None:
        """Seconds since the change log was last read (None before the first read)."""
        return None if self.last_poll_at is None else round(time.time() - self.last_poll_at, 1)

    def status(self) -> dict[str, object]:
        """For GET /health: how far this instance has applied the log."""
        return {
            "seq": self.seq,
            "interval_seconds": self.interval,
            "last_poll_age_seconds": self.poll_age(),
            "error": self.last_error,
        }


def close_lexical(runtime: Runtime) -> None:
    """Closes the lexical sidecar's files (no-op for the in-database index)."""
    from service.matching import LexicalRanker

    for ranker in runtime.matcher.rankers:
        if isinstance(ranker, LexicalRanker):
            ranker.lexical.close()
