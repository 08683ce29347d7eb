"""The lexical index: BM25 over claim text and source title, in the same database as the claims.

On SQLite (with FTS5 compiled in, as in CPython's bundled SQLite) the index is an *external-content* FTS5
table that reads its text from a view over ``claim`` joined to ``source``. Triggers keep it consistent in the
same transaction as every insert, update and delete of a claim or a source -- whichever code path writes --
so the lexical index can never disagree with the claims table the way a separate file could.

Why these triggers: an external-content FTS5 table is told what to forget by replaying the *old* values
("delete" command). A claim's trigger reads its source's title; when a source is deleted with
``ON DELETE CASCADE`` the source row is already gone by the time its claims' triggers run, so the source's own
BEFORE DELETE trigger unindexes its claims and the claim trigger only acts while its source still exists.

On another database (PostgreSQL) the index is derived data like the FAISS index: each instance keeps a local
SQLite FTS5 *sidecar* file (``<data dir>/lexical.sqlite``, `LexicalSidecar`) holding the same two columns with
the same tokenizer, so BM25 scores are the same as in the in-database index and the learned reranker keeps
working. It is built from the database when missing, for another store or outdated; otherwise it replays the
change log (service/sync.py) from the sequence number it recorded in the same SQLite transaction as its rows.
The sync thread applies what other instances write (about once a second, like the FAISS indexes); a search
made after this process committed something applies the log first, so an instance reads its own writes at
once. Searches with no local commit since cost nothing extra (no database round trip).

Where SQLite has no FTS5 (or no sidecar path is given on another database), lexical search is unavailable:
hybrid search runs on the dense signal alone, ``mode="lexical"`` answers with no matches, a warning is logged
once at start-up and ``GET /health`` says so.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from service import store
from service.db import store_id

logger = logging.getLogger(__name__)

FTS_TABLE: Final = "claim_fts"
FTS_VIEW: Final = "claim_fts_content"
# Bump when the DDL below changes (tokenizer, columns): the table is dropped and rebuilt at the next start.
SCHEMA_VERSION: Final = "fts5-porter-v1"
SCHEMA_KEY: Final = "lexical_index"
# Bump when the query side changes (stopwords, term limit): BM25 scores move, so the reranker needs retraining.
QUERY_VERSION: Final = "1"
TOKENIZER: Final = "porter unicode61 remove_diacritics 2"

# BM25 column weights (text, title) of the ranking signal; chosen on the CLEF2020 *train* split.
TEXT_WEIGHT: Final = 1.0
TITLE_WEIGHT: Final = 1.0

# Very common English words: dropping them keeps FTS5 from walking huge posting lists for no ranking gain.
_STOPWORD_LIST: Final = (
    "a an and are as at be been but by for from had has have he her his i if in into is it its me my no not "
    "of on or our she so than that the their them then there these they this to too us was we were what when "
    "which who will with you your"
)
STOPWORDS: Final = frozenset(_STOPWORD_LIST.split())
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_TERMS: Final = 64

_DDL: Final = (
    f"""CREATE VIEW IF NOT EXISTS {FTS_VIEW} AS
        SELECT claim.id AS id, claim.text AS text, source.title AS title
        FROM claim JOIN source ON source.id = claim.source_id""",
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
        text, title, content='{FTS_VIEW}', content_rowid='id', tokenize='{TOKENIZER}')""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_claim_ai AFTER INSERT ON claim BEGIN
        INSERT INTO {FTS_TABLE}(rowid, text, title)
            SELECT new.id, new.text, source.title FROM source WHERE source.id = new.source_id;
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_claim_bd BEFORE DELETE ON claim BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text, title)
            SELECT 'delete', old.id, old.text, source.title FROM source WHERE source.id = old.source_id;
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_claim_bu BEFORE UPDATE OF text, source_id ON claim BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text, title)
            SELECT 'delete', old.id, old.text, source.title FROM source WHERE source.id = old.source_id;
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_claim_au AFTER UPDATE OF text, source_id ON claim BEGIN
        INSERT INTO {FTS_TABLE}(rowid, text, title)
            SELECT new.id, new.text, source.title FROM source WHERE source.id = new.source_id;
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_source_bd BEFORE DELETE ON source BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text, title)
            SELECT 'delete', claim.id, claim.text, old.title FROM claim WHERE claim.source_id = old.id;
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_source_bu BEFORE UPDATE OF title ON source BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text, title)
            SELECT 'delete', claim.id, claim.text, old.title FROM claim WHERE claim.source_id = old.id;
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_source_au AFTER UPDATE OF title ON source BEGIN
        INSERT INTO {FTS_TABLE}(rowid, text, title)
            SELECT claim.id, claim.text, new.title FROM claim WHERE claim.source_id = new.id;
    END""",
)
_DROP: Final = (
    *(
        f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{name}"
        for name in ("claim_ai", "claim_bd", "claim_bu", "claim_au", "source_bd", "source_bu", "source_au")
    ),
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
    f"DROP VIEW IF EXISTS {FTS_VIEW}",
)


# FTS5 scores every claim that holds any query term, so a query's cost grows with the corpus: past this many
# postings (the sum of its terms' document frequencies) the most common terms are dropped, rarest kept first,
# at least MIN_KEPT_TERMS of them. Common terms weigh little in BM25 (low IDF) and the dense rankers still see
# the whole query. Measured on the 100k-claim perf corpus: BM25 p50 61 ms -> 18 ms. CLEF2020's 10k corpus
# stays under the budget (its queries are never pruned), so the reranker's training features are unchanged.
POSTINGS_BUDGET: Final = 5_000
MIN_KEPT_TERMS: Final = 4
# Document frequencies are read once per term and process (an FTS5 count over the term's postings); they
# drift slowly as claims come and go and only decide which terms to keep, so a stale value is harmless.
_DF_CACHE_SIZE: Final = 200_000


def fts_terms(query: str) -> list[str]:
    """The query's distinct non-stopword terms, each quoted for FTS5 (no operators)."""
    terms: list[str] = []
    seen: set[str] = set()
    for word in _WORD.findall(query.lower()):
        if word in STOPWORDS or word in seen or (len(word) == 1 and not word.isdigit()):
            continue
        seen.add(word)
        terms.append('"' + word.replace('"', '""') + '"')
        if len(terms) == MAX_QUERY_TERMS:
            break
    return terms


def fts_query(query: str) -> str | None:
    """An FTS5 MATCH expression: the query's distinct non-stopword terms, OR-ed, each quoted (no operators)."""
    terms = fts_terms(query)
    return " OR ".join(terms) if terms else None


def prune_terms(terms: Sequence[str], df: Sequence[int], *, budget: int | None = None) -> list[str]:
    """The rarest terms whose postings fit the budget (at least MIN_KEPT_TERMS), in the query's order."""
    budget = POSTINGS_BUDGET if budget is None else budget
    if sum(df) <= budget:
        return list(terms)
    keep: set[int] = set()
    total = 0
    for i in sorted(range(len(terms)), key=lambda i: df[i]):
        if len(keep) >= MIN_KEPT_TERMS and total + df[i] > budget:
            break
        keep.add(i)
        total += df[i]
    return [t for i, t in enumerate(terms) if i in keep]


@dataclass(frozen=True, slots=True)
class LexicalHits:
    """BM25 scores (higher is better) of the claims a query matched, best first by `score`."""

    ids: np.ndarray
    score: np.ndarray
    text_score: np.ndarray
    title_score: np.ndarray

    @classmethod
    def empty(cls) -> LexicalHits:
        z = np.zeros(0, dtype=np.float64)
        return cls(ids=np.zeros(0, dtype=np.int64), score=z, text_score=z, title_score=z)

    def __len__(self) -> int:
        return int(self.ids.size)


class LexicalIndex:
    """BM25 search over claims through SQLite FTS5 (in the database or a sidecar), or a no-op without FTS5."""

    def __init__(self, *, available: bool, status: str, sidecar: LexicalSidecar | None = None) -> None:
        self.available = available
        self.status = status
        self.sidecar = sidecar
        self._df: dict[str, int] = {}

    def catch_up(self) -> int:
        """Applies the change log to the sidecar (no-op in-database: triggers keep that index current)."""
        return self.sidecar.catch_up() if self.sidecar is not None else 0

    def close(self) -> None:
        if self.sidecar is not None:
            self.sidecar.close()

    _SELECT: Final = (
        f"SELECT rowid, bm25({FTS_TABLE}, :wt, :wti), bm25({FTS_TABLE}, 1.0, 0.0), bm25({FTS_TABLE}, 0.0, 1.0) "
        f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q ORDER BY bm25({FTS_TABLE}, :wt, :wti)"
    )

    def search(self, *, session: Session, query: str, limit: int | None) -> LexicalHits:
        """The claims sharing a term with the query, best BM25 (text and title) first; at most `limit` of them.

        Filtering by id is left to the caller on purpose: FTS5 re-runs the whole query for every row of a
        ``rowid IN (...)`` constraint, which costs far more than fetching the ranked list once.
        """
        terms = fts_terms(query)
        if not self.available or not terms or (limit is not None and limit <= 0):
            return LexicalHits.empty()
        if self.sidecar is not None:
            self.sidecar.catch_up(session=session, if_written=True)  # own writes at once; others' via sync

        def run(sql: str, params: dict[str, object]) -> Sequence[Any]:
            if self.sidecar is not None:
                return self.sidecar.query(sql, params)
            return session.connection().execute(text(sql), params).all()

        terms = prune_terms(terms, [self._doc_frequency(term, run) for term in terms])
        params: dict[str, object] = {"q": " OR ".join(terms), "wt": TEXT_WEIGHT, "wti": TITLE_WEIGHT}
        sql = self._SELECT
        if limit is not None:
            sql += " LIMIT :n"
            params["n"] = limit
        rows = run(sql, params)
        if not rows:
            return LexicalHits.empty()
        arr = np.asarray([tuple(row) for row in rows], dtype=np.float64)  # via tuples: Row objects convert slowly
        # FTS5's bm25() is "lower is better" (negated BM25); flip it so every signal is "higher is better".
        return LexicalHits(
            ids=arr[:, 0].astype(np.int64), score=-arr[:, 1], text_score=-arr[:, 2], title_score=-arr[:, 3]
        )

    def _doc_frequency(self, term: str, run: Callable[[str, dict[str, object]], Sequence[Any]]) -> int:
        found = self._df.get(term)
        if found is None:
            if len(self._df) >= _DF_CACHE_SIZE:
                self._df.clear()
            [(found,)] = run(f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q", {"q": term})
            self._df[term] = int(found)
        return found


def _fts5_compiled(engine: Engine) -> bool:
    with engine.connect() as conn:
        try:
            conn.exec_driver_sql("CREATE VIRTUAL TABLE temp._crosscheck_fts5_probe USING fts5(x)")
            conn.exec_driver_sql("DROP TABLE temp._crosscheck_fts5_probe")
        except OperationalError:
            return False
    return True


def open_lexical(engine: Engine, *, sidecar: Path | None = None) -> LexicalIndex:
    """Creates (or migrates) the FTS5 index and its triggers if the database supports them.

    A new or outdated index is rebuilt from the claims in the same transaction as its creation. On another
    database than SQLite the index is the local `sidecar` file, built or brought up to date here.
    """
    if engine.dialect.name != "sqlite":
        if sidecar is not None and _python_sqlite_has_fts5():
            side = LexicalSidecar.open(path=sidecar, engine=engine)
            return LexicalIndex(available=True, status=f"ok ({SCHEMA_VERSION}, local sidecar)", sidecar=side)
        status = f"unavailable on {engine.dialect.name}: hybrid search uses the dense signal only"
        logger.warning("lexical search %s", status)
        return LexicalIndex(available=False, status=status)
    if not _fts5_compiled(engine):
        status = "unavailable: this SQLite has no FTS5; hybrid search uses the dense signal only"
        logger.warning("lexical search %s", status)
        return LexicalIndex(available=False, status=status)
    with Session(engine) as session:
        recorded = store.get_store_info(session=session, key=SCHEMA_KEY)
        conn = session.connection()
        exists = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FTS_TABLE,)
        ).first()
        if recorded != SCHEMA_VERSION or exists is None:
            for statement in _DROP:
                conn.exec_driver_sql(statement)
            for statement in _DDL:
                conn.exec_driver_sql(statement)
            conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
            store.set_store_info(session=session, key=SCHEMA_KEY, value=SCHEMA_VERSION)
            logger.info("lexical index built (%s)", SCHEMA_VERSION)
        session.commit()
    return LexicalIndex(available=True, status=f"ok ({SCHEMA_VERSION})")


def _python_sqlite_has_fts5() -> bool:
    """Whether the SQLite that Python links (the sidecar's) has FTS5."""
    engine = create_engine("sqlite://")
    try:
        return _fts5_compiled(engine)
    finally:
        engine.dispose()


# Log rows applied per sidecar transaction.
_CATCH_UP_BATCH: Final = 5_000
_SIDECAR_DDL: Final = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(text, title, tokenize='{TOKENIZER}')",
)


class LexicalSidecar:
    """A local SQLite FTS5 copy of (claim id, claim text, source title), kept in step through the change log.

    Thread-safe: searches read through one SQLite connection per thread (WAL: they never wait for a writer);
    writes (catch-up, resync) go through one connection under a lock. The file is a cache: losing it costs a
    rebuild from the database at the next start, so it is written with ``synchronous=NORMAL``; its recorded
    sequence number is committed with its rows, so after a crash it resumes from a consistent point.
    """

    def __init__(self, *, path: Path, engine: Engine, conn: sqlite3.Connection, seq: int) -> None:
        self.path = path
        self.engine = engine
        self.seq = seq
        self._write = conn
        self._lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = False
        # Commits this process made on the engine since the last catch-up: a search then catches up first.
        # After the commit (a session event), not before it: a search must not mark as seen what it can't see.
        self._commits = itertools.count(1)
        self._last_commit = 0
        self._caught_up_to_commit = 0
        event.listen(OrmSession, "after_commit", self._on_commit)

    def _on_commit(self, session: OrmSession) -> None:
        if session.bind is self.engine:
            self._last_commit = next(self._commits)  # next() on a count is atomic under the GIL

    # --- opening ---

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @classmethod
    def open(cls, *, path: Path, engine: Engine) -> LexicalSidecar:
        """Loads the sidecar and brings it up to date, or builds it from the database if it is not usable."""
        path.parent.mkdir(parents=True, exist_ok=True)
        identity = store_id(engine)
        with Session(engine) as session:
            head = store.last_change_seq(session=session)
            compacted = store.change_log_compacted_upto(session=session)
        reason = cls._unusable(path, identity=identity, head=head, compacted=compacted)
        if reason:
            logger.log(logging.WARNING if path.exists() else logging.INFO, "building the lexical sidecar: %s", reason)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        conn = cls._connect(path)
        for statement in _SIDECAR_DDL:
            conn.execute(statement)
        if reason:
            with _transaction(conn):
                n = 0
                with Session(engine) as session:
                    for rows in store.iter_claim_texts(session=session):
                        _insert(conn, rows)
                        n += len(rows)
                _set_meta(conn, schema=SCHEMA_VERSION, store=identity, seq=head)
            logger.info("lexical sidecar built: %d claims (%s)", n, SCHEMA_VERSION)
            return cls(path=path, engine=engine, conn=conn, seq=head)
        seq = int(_meta(conn).get("seq", "0"))
        sidecar = cls(path=path, engine=engine, conn=conn, seq=seq)
        applied = sidecar.catch_up()
        if applied:
            logger.info("lexical sidecar replayed %d changes", applied)
        return sidecar

    @staticmethod
    def _unusable(path: Path, *, identity: str, head: int, compacted: int) -> str:
        """Why the saved sidecar cannot be brought up to date by replaying the log ("" if it can)."""
        if not path.exists():
            return f"no sidecar at {path}"
        try:
            conn = sqlite3.connect(path)
            try:
                meta = _meta(conn)
                conn.execute(f"SELECT count(*) FROM {FTS_TABLE}").fetchone()
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            return f"unreadable ({exc})"
        seq = int(meta.get("seq", "-1"))
        if meta.get("schema") != SCHEMA_VERSION:
            return f"built with {meta.get('schema')}, now {SCHEMA_VERSION}"
        if meta.get("store") != identity:
            return "built from another database"
        if seq > head:
            return f"ahead of the database's change log ({seq} > {head}): the database was restored"
        if seq < compacted:
            return f"too far behind: the change log was compacted past {seq}"
        return ""

    # --- keeping in step ---

    def catch_up(self, *, session: Session | None = None, if_written: bool = False) -> int:
        """Applies the log rows after the recorded sequence number; returns how many were read.

        Args:
            session: A database session to read through (a search passes its own); default: a new one.
            if_written: Only if this process committed something since the last catch-up (searches).
        """
        seen_commit = self._last_commit
        if if_written and seen_commit == self._caught_up_to_commit:
            return 0
        with contextlib.ExitStack() as stack:
            db = session if session is not None else stack.enter_context(Session(self.engine))
            # Nothing new (the common case): one indexed read and no lock, so concurrent searches do not queue.
            if store.last_change_seq(session=db) <= self.seq:
                total = 0
            else:
                with self._lock:
                    if self._closed:
                        return 0
                    total = self._apply_log(db)
        self._caught_up_to_commit = seen_commit
        return total

    def _apply_log(self, db: Session) -> int:
        total = 0
        while True:
            rows = store.changes_after(session=db, after=self.seq, limit=_CATCH_UP_BATCH)
            if self.seq < store.change_log_compacted_upto(session=db):
                self._resync(db)
                return total
            if not rows:
                return total
            ids = sorted({claim_id for _, claim_id, _ in rows})
            texts = store.claim_texts(session=db, ids=ids)
            with _transaction(self._write):
                self._write.executemany(f"DELETE FROM {FTS_TABLE} WHERE rowid = ?", [(i,) for i in ids])
                _insert(self._write, texts)
                _set_meta(self._write, seq=rows[-1][0])
            self.seq = rows[-1][0]
            total += len(rows)
            if len(rows) < _CATCH_UP_BATCH:
                return total

    def _resync(self, db: Session) -> None:
        """Full comparison of ids with the database (the log no longer holds what this copy missed)."""
        head = store.last_change_seq(session=db)
        have = np.asarray([r[0] for r in self._write.execute(f"SELECT rowid FROM {FTS_TABLE}")], dtype=np.int64)
        want = store.all_claim_ids(session=db)
        extra = np.setdiff1d(have, want)
        missing = np.setdiff1d(want, have)
        with _transaction(self._write):
            self._write.executemany(f"DELETE FROM {FTS_TABLE} WHERE rowid = ?", [(int(i),) for i in extra])
            for lo in range(0, missing.size, 20_000):
                _insert(self._write, store.claim_texts(session=db, ids=missing[lo : lo + 20_000].tolist()))
            _set_meta(self._write, seq=head)
        self.seq = head
        logger.warning("lexical sidecar resynchronised: added %d, removed %d", missing.size, extra.size)

    # --- reading ---

    def query(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, check_same_thread=False)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn.execute(sql, params).fetchall()

    def ids(self) -> np.ndarray:
        """Every claim id in the sidecar (tests and checks)."""
        with self._lock:
            return np.asarray([r[0] for r in self._write.execute(f"SELECT rowid FROM {FTS_TABLE}")], dtype=np.int64)

    def check_integrity(self) -> None:
        """Raises sqlite3.DatabaseError if the FTS5 index is damaged."""
        with self._lock:
            self._write.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('integrity-check', 1)")

    def close(self) -> None:
        if event.contains(OrmSession, "after_commit", self._on_commit):
            event.remove(OrmSession, "after_commit", self._on_commit)
        with self._lock:
            self._closed = True
            with self._readers_lock:
                for conn in self._readers:
                    conn.close()
                self._readers.clear()
            self._write.close()


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _insert(conn: sqlite3.Connection, rows: Iterable[tuple[int, str, str | None]]) -> None:
    conn.executemany(f"INSERT INTO {FTS_TABLE}(rowid, text, title) VALUES (?, ?, ?)", rows)


def _meta(conn: sqlite3.Connection) -> dict[str, str]:
    try:
        return {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM meta")}
    except sqlite3.OperationalError:  # no meta table: not a sidecar of ours
        return {}


def _set_meta(conn: sqlite3.Connection, **values: object) -> None:
    conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [(k, str(v)) for k, v in values.items()])


def check_integrity(*, session: Session) -> None:
    """Raises if the FTS5 index disagrees with the claims it indexes (FTS5's own integrity check)."""
    session.connection().exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('integrity-check', 1)")
