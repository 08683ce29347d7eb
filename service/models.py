"""Database tables. The database is the source of truth: it holds every claim's vector too."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, MetaData, String, Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# Ids are never reused (SQLite AUTOINCREMENT; PostgreSQL sequences never go back): a deleted source's URL
# must not come to name another article, and a claim id still in a stale index file after a crash must not
# name a newer claim, which the start-up repair (it compares ids) could not tell apart.
_NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


# `Source.kind` of a fact-check's review (an article's is NULL).
FACT_CHECK_KIND = "fact_check"


class Source(SQLModel, table=True):
    """One ingested article."""

    __table_args__ = _NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    url: str | None = Field(default=None, index=True, max_length=2048)
    title: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The outlet's name ("Baltic Wire Service"): from the request, the page, or an agency byline; else the domain.
    outlet: str | None = Field(default=None, index=True, max_length=256)
    # The host of the article's URL without "www." ("news.balticwire.example"); NULL on rows older than it.
    domain: str | None = Field(default=None, index=True, max_length=256)
    author: str | None = Field(default=None, max_length=512)
    published_at: dt.date | None = Field(default=None, index=True)
    language: str | None = Field(default=None, max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(unique=True, index=True, max_length=64)
    ingested_at: dt.datetime = Field(default_factory=utcnow)
    # Syndicated copies share a group, named by the id of its first-stored article (service/syndication.py);
    # NULL (rows older than the column) counts as a group of its own. Not a foreign key: the root may be
    # deleted, and the group then renamed.
    copy_group_id: int | None = Field(default=None, index=True)
    # "fact_check" for a fact-check's review (its one claim is the claim reviewed, see FactCheck); NULL for an
    # article (rows older than the column are articles).
    kind: str | None = Field(default=None, index=True, max_length=16)


class Claim(SQLModel, table=True):
    """A sentence-level claim; `source.text[start:end] == text`."""

    __table_args__ = _NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True, ondelete="CASCADE")
    text: str = Field(sa_column=Column(Text, nullable=False))
    start: int
    end: int
    position: int
    speaker: str | None = Field(default=None, max_length=512)
    # The claim on its own: pronouns, "the ministry" and relative dates resolved in [brackets]
    # (service/extraction/context.py). This, not `text`, is what `embedding` encodes.
    context_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # 0..1, how much the claim is worth checking (service/checkworthiness.py); NULL on rows older than it.
    checkworthiness: float | None = Field(default=None, index=True)
    # Set when the claim repeats, near verbatim, a claim of another copy group: that group (a source id).
    copy_group_id: int | None = Field(default=None, index=True)
    # Its article's language, decided once at ingest (service/text/language.py); NULL on rows older than it.
    language: str | None = Field(default=None, max_length=16)
    # float32 little-endian, unit length, of the model named in StoreInfo("embedding_model").
    embedding: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class FactCheck(SQLModel, table=True):
    """A fact-check (schema.org ClaimReview): who rated which claim how. Stored with a Source of kind "fact_check"
    whose one claim is ``claim_reviewed``, so matching, filters and reports see it like any claim."""

    __table_args__ = _NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", unique=True, index=True, ondelete="CASCADE")
    claim_id: int = Field(index=True)
    # The review's own URL: one fact-check per URL (importing it again answers with the stored one).
    url: str = Field(unique=True, index=True, max_length=2048)
    claim_reviewed: str = Field(sa_column=Column(Text, nullable=False))
    headline: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    rating_text: str | None = Field(default=None, max_length=512)
    rating_value: float | None = None
    rating_best: float | None = None
    rating_worst: float | None = None
    reviewer_name: str | None = Field(default=None, index=True, max_length=512)
    reviewer_url: str | None = Field(default=None, max_length=2048)
    date_published: dt.date | None = Field(default=None, index=True)
    language: str | None = Field(default=None, index=True, max_length=16)
    claimant: str | None = Field(default=None, max_length=512)
    claim_date: dt.date | None = None
    # JSON list of the URLs where the claim appeared (itemReviewed.appearance[].url).
    appearances: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    first_appearance: str | None = Field(default=None, max_length=2048)
    created_at: dt.datetime = Field(default_factory=utcnow)


class NewsroomReview(SQLModel, table=True):
    """The newsroom's own verdict on an ingested claim (POST /claims/{id}/reviews), published as ClaimReview."""

    __table_args__ = _NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True, ondelete="CASCADE")
    rating: str = Field(max_length=512)
    explanation: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    url: str | None = Field(default=None, max_length=2048)
    created_at: dt.datetime = Field(default_factory=utcnow)


class Watch(SQLModel, table=True):
    """A claim a desk watches: newly ingested claims that match it become alerts, posted to its callback URL.

    Exactly one of: ``text`` given by the caller, ``claim_id`` (its context text is watched), ``fact_check_id``
    (its claim reviewed), or ``all_fact_checks`` (every stored fact-check, looked up with each new claim).
    """

    __table_args__ = _NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    claim_id: int | None = Field(default=None, index=True)
    fact_check_id: int | None = Field(default=None, index=True)
    all_fact_checks: bool = False
    min_score: float = 0.25
    relations: str = Field(default='["same", "conflict"]', max_length=128)  # JSON list
    languages: str | None = Field(default=None, max_length=512)  # JSON list, or NULL for any
    callback_url: str = Field(max_length=2048)
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The sentences the watched claim is read with (JSON list; NULL: none): the caller's, or the watched claim's
    # neighbours in its source. `context_window` (all_fact_checks): each new claim is read with its source's
    # claims up to this many places either side (NULL or 0: alone).
    context: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    context_window: int | None = None
    # all_fact_checks: how much a fact-check gains when the new claim's source's other claims match it too (0..1,
    # service.matching.with_cohesion; NULL or 0: none).
    cohesion: float | None = None
    # The Standard Webhooks signing secret ("whsec_" + base64): kept to sign every delivery.
    secret: str = Field(max_length=256)
    active: bool = Field(default=True, index=True)
    # float32 vectors of the watched text (MiniLM; the multilingual encoder's when it runs): the reverse index.
    embedding: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    embedding_use: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: dt.datetime = Field(default_factory=utcnow)


class Alert(SQLModel, table=True):
    """A newly ingested claim that matched a watch, and the state of its delivery (the outbox row)."""

    __table_args__ = (UniqueConstraint("watch_id", "claim_id", name="uq_alert_watch_claim"), _NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True)
    watch_id: int = Field(foreign_key="watch.id", index=True, ondelete="CASCADE")
    claim_id: int = Field(index=True)  # no foreign key: the alert outlives a deleted source
    source_id: int
    score: float
    relation: str = Field(max_length=16)
    fact_check_id: int | None = None
    # The JSON body every delivery of this alert posts (fixed at creation: a redelivery is byte for byte the same).
    payload: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    state: str = Field(default="pending", index=True, max_length=16)  # pending | delivered | failed
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(default_factory=utcnow, index=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_status: int | None = None
    delivered_at: dt.datetime | None = None
    # A delivery in progress: which process holds it, until when (another may take it over after that).
    lease_until: dt.datetime | None = None
    leased_by: str | None = Field(default=None, max_length=64)


class Judgment(SQLModel, table=True):
    """A reviewer's verdict on a pair: a query (a stored claim, or a text) and a claim it was matched with."""

    __table_args__ = (
        UniqueConstraint("query_key", "matched_claim_id", name="uq_judgment_pair"),
        _NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    # "claim:<id>" or "text:<sha256 of the normalised text>": what the pair is looked up by.
    query_key: str = Field(index=True, max_length=80)
    query_claim_id: int | None = None
    query_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    matched_claim_id: int = Field(index=True)
    verdict: str = Field(max_length=16)  # same | conflict | related | unrelated
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reviewer: str = Field(max_length=64)  # the API key's id ("local" without keys)
    created_at: dt.datetime = Field(default_factory=utcnow)


class ClaimVector(SQLModel, table=True):
    """A claim's vector from an additional encoder (e.g. the multilingual one); see service/vectors.py.

    `Claim.embedding` stays the default model's; each further encoder a deployment enables keeps one row
    per claim here, under its key, and its own FAISS index is rebuilt from these rows.
    """

    claim_id: int = Field(foreign_key="claim.id", primary_key=True, ondelete="CASCADE")
    encoder: str = Field(primary_key=True, max_length=32)
    # float32 little-endian, unit length, of the model named in StoreInfo("encoder.<encoder>").
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class StoreInfo(SQLModel, table=True):
    """Key/value facts about the store, e.g. which model its embeddings come from."""

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=1024)


# Operational tables of the multi-instance sync (service/sync.py), on their own MetaData: they describe the
# running deployment, not the data, so export/import (which copies SQLModel.metadata) leaves them out.
SYNC_METADATA = MetaData()

# One row per claim added, deleted or edited, written by database triggers (service/db.py) in the same transaction,
# whichever code path writes. `seq` only grows and is handed out in commit order, so an instance that has
# applied every row up to N has seen every change committed before N; compaction drops old rows.
claim_change = Table(
    "claim_change",
    SYNC_METADATA,
    # INTEGER PRIMARY KEY on SQLite (a rowid alias, AUTOINCREMENT: never reused), BIGSERIAL on PostgreSQL.
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("claim_id", BigInteger, nullable=False),
    Column("op", String(8), nullable=False),  # "add" | "delete" | "update" (text or title edited)
    sqlite_autoincrement=True,
)

# Facts of the sync itself: the store's random identity (a derived index built from another database is
# thrown away) and how far the change log was compacted.
sync_info = Table(
    "sync_info",
    SYNC_METADATA,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
)
