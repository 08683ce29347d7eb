"""The lexical index: BM25 over claim text and source title, in the same database as the claims.

On SQLite (with FTS5 compiled in, as in CPython's bundled SQLite) the index is an *external-content* FTS5
table that reads its text from a view over ``claim`` joined to ``source``. Triggers keep it consistent in the
same transaction as every insert, update and delete of a claim or a source -- whichever code path writes --
so the lexical index can never disagree with the claims table the way a separate file could.

Why these triggers: an external-content FTS5 table is told what to forget by replaying the *old* values
("delete" command). A claim's trigger reads its source's title; when a source is deleted with
``ON DELETE CASCADE`` the source row is already gone by the time its claims' triggers run, so the source's own
BEFORE DELETE trigger unindexes its claims and the claim trigger only acts while its source still exists.

On another database (PostgreSQL) or a SQLite without FTS5, lexical search is unavailable: hybrid search runs on
the dense signal alone, ``mode="lexical"`` answers with no matches, a warning is logged once at start-up and
``GET /health`` says so.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Final

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from service import store

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


def fts_query(query: str) -> str | None:
    """An FTS5 MATCH expression: the query's distinct non-stopword terms, OR-ed, each quoted (no operators)."""
    terms: list[str] = []
    seen: set[str] = set()
    for word in _WORD.findall(query.lower()):
        if word in STOPWORDS or word in seen or (len(word) == 1 and not word.isdigit()):
            continue
        seen.add(word)
        terms.append('"' + word.replace('"', '""') + '"')
        if len(terms) == MAX_QUERY_TERMS:
            break
    return " OR ".join(terms) if terms else None


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
    """BM25 search over claims through SQLite FTS5, or a no-op when the database cannot do it."""

    def __init__(self, *, available: bool, status: str) -> None:
        self.available = available
        self.status = status

    _SELECT: Final = (
        f"SELECT rowid, bm25({FTS_TABLE}, :wt, :wti), bm25({FTS_TABLE}, 1.0, 0.0), bm25({FTS_TABLE}, 0.0, 1.0) "
        f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q ORDER BY bm25({FTS_TABLE}, :wt, :wti)"
    )

    def search(self, *, session: Session, query: str, limit: int | None) -> LexicalHits:
        """The claims sharing a term with the query, best BM25 (text and title) first; at most `limit` of them.

        Filtering by id is left to the caller on purpose: FTS5 re-runs the whole query for every row of a
        ``rowid IN (...)`` constraint, which costs far more than fetching the ranked list once.
        """
        expr = fts_query(query)
        if not self.available or expr is None or (limit is not None and limit <= 0):
            return LexicalHits.empty()
        params: dict[str, object] = {"q": expr, "wt": TEXT_WEIGHT, "wti": TITLE_WEIGHT}
        sql = self._SELECT
        if limit is not None:
            sql += " LIMIT :n"
            params["n"] = limit
        rows = session.connection().execute(text(sql), params).all()
        if not rows:
            return LexicalHits.empty()
        arr = np.asarray([tuple(row) for row in rows], dtype=np.float64)  # via tuples: Row objects convert slowly
        # FTS5's bm25() is "lower is better" (negated BM25); flip it so every signal is "higher is better".
        return LexicalHits(
            ids=arr[:, 0].astype(np.int64), score=-arr[:, 1], text_score=-arr[:, 2], title_score=-arr[:, 3]
        )


def _fts5_compiled(engine: Engine) -> bool:
    with engine.connect() as conn:
        try:
            conn.exec_driver_sql("CREATE VIRTUAL TABLE temp._crosscheck_fts5_probe USING fts5(x)")
            conn.exec_driver_sql("DROP TABLE temp._crosscheck_fts5_probe")
        except OperationalError:
            return False
    return True


def open_lexical(engine: Engine) -> LexicalIndex:
    """Creates (or migrates) the FTS5 index and its triggers if the database supports them.

    A new or outdated index is rebuilt from the claims in the same transaction as its creation.
    """
    if engine.dialect.name != "sqlite":
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


def check_integrity(*, session: Session) -> None:
    """Raises if the FTS5 index disagrees with the claims it indexes (FTS5's own integrity check)."""
    session.connection().exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('integrity-check', 1)")
