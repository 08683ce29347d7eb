"""The ingest path: article text -> metadata + claims -> vectors -> database -> index."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from sqlalchemy import Table, func, insert, or_, update
from sqlalchemy import bindparam as sa_bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from embeddings import ClaimIndex, TextEncoder
from service import store, syndication
from service.checkworthiness import encode_and_score, in_their_language
from service.config import Settings
from service.errors import CrossCheckError, PayloadTooLargeError, UnprocessableError
from service.extraction import Extraction, extract
from service.models import FACT_CHECK_KIND, Claim, Source, utcnow
from service.multilingual import USE_KEY
from service.schemas import SourceCreate
from service.text.language import normalize_language
from service.vectors import EncoderIndex, remove_claims


@dataclass(slots=True)
class IngestResult:
    source: Source
    claims: list[Claim]
    created: bool


def outlet_from_url(url: str | None) -> str | None:
    """The site's host name (without "www."), the best outlet name an article without one has."""
    if not url:
        return None
    host = urlsplit(url).hostname
    if not host:
        return None
    return host.removeprefix("www.")


def check_text_size(text: str, settings: Settings) -> None:
    """Raises PayloadTooLargeError when the article is over the configured size."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > settings.max_text_bytes:
        raise PayloadTooLargeError(
            f"text is {size:,} bytes; the limit is {settings.max_text_bytes:,} "
            "(set CROSSCHECK_MAX_TEXT_BYTES to change it)"
        )


@dataclass(slots=True)
class Prepared:
    """An article read and split into claims, not stored yet (no database and no model involved)."""

    source_in: SourceCreate
    text_hash: str
    url: str | None
    extraction: Extraction
    kind: str | None = None  # "fact_check" for a review's claim (service/factchecks.py); None for an article


def prepare(source_in: SourceCreate, settings: Settings) -> Prepared:
    """Checks the size, hashes and extracts an article.

    Raises:
        PayloadTooLargeError: If the text is over the configured size.
    """
    text = source_in.text
    check_text_size(text, settings)
    # No language given: the extractor detects it. A publication date sent with the article wins over the
    # article's own date line for resolving "on Monday" and "last year".
    extraction = extract(text, language=source_in.language, published_at=source_in.published_at)
    return Prepared(
        source_in=source_in,
        text_hash=store.content_hash(text),
        url=source_in.url or extraction.meta.url,
        extraction=extraction,
    )


def prepare_all(sources: Sequence[SourceCreate], settings: Settings) -> list[Prepared | CrossCheckError]:
    """`prepare` for each article; an article refused here carries its error (for `ingest_many`)."""
    out: list[Prepared | CrossCheckError] = []
    for source_in in sources:
        try:
            out.append(prepare(source_in, settings))
        except CrossCheckError as exc:
            out.append(exc)
    return out


def check_claims(extraction: Extraction, settings: Settings) -> None:
    """Raises UnprocessableError for an article without claims, PayloadTooLargeError for too many."""
    if not extraction.claims:
        raise UnprocessableError(
            "no claim-like sentences found in text: send the article body (whole sentences), not only "
            "headings, links or captions"
        )
    if len(extraction.claims) > settings.max_claims_per_source:
        raise PayloadTooLargeError(
            f"article has {len(extraction.claims):,} claims; the limit is {settings.max_claims_per_source:,} "
            "(set CROSSCHECK_MAX_CLAIMS_PER_SOURCE to change it)"
        )


def _source_fields(prepared: Prepared) -> dict[str, Any]:
    """The new Source row's fields: what the request sent wins over what the text says."""
    source_in, extraction = prepared.source_in, prepared.extraction
    meta = extraction.meta
    return {
        "url": prepared.url,
        "title": source_in.title or meta.title,
        "outlet": source_in.outlet or meta.outlet or outlet_from_url(prepared.url),
        "domain": outlet_from_url(prepared.url),
        "author": source_in.author or meta.author,
        "published_at": source_in.published_at or meta.published_at,
        "language": _article_language(prepared),
        "text": source_in.text,
        "content_hash": prepared.text_hash,
        "kind": prepared.kind,
    }


def _article_language(prepared: Prepared) -> str | None:
    """The article's language: the one sent with it, else the one extraction read."""
    return prepared.source_in.language or prepared.extraction.language


def _in_their_language(
    scores: np.ndarray,
    articles: Sequence[Prepared],
    extras: Mapping[str, EncoderIndex],
    extra_vectors: Mapping[str, np.ndarray],
) -> np.ndarray:
    """Check-worthiness of the claims of articles not in English from the multilingual encoder's vectors."""
    if USE_KEY not in extra_vectors:
        return scores
    per_article = [normalize_language(_article_language(p)) for p in articles]
    languages = [lang for lang, p in zip(per_article, articles, strict=True) for _ in p.extraction.claims]
    return in_their_language(
        scores, languages=languages, vectors=extra_vectors[USE_KEY], model=extras[USE_KEY].encoder.model_id
    )


def ingest_source(
    *,
    session: Session,
    encoder: TextEncoder,
    index: ClaimIndex,
    settings: Settings,
    source_in: SourceCreate,
    extras: Mapping[str, EncoderIndex] | None = None,
) -> IngestResult:
    """Stores an article with its claims and vectors, or returns the copy already stored.

    The database commit comes before the index update: once this returns, the article is durable,
    and an index that missed the update (crash) is repaired from the database at the next start.
    """
    prepared = prepare(source_in, settings)
    text_hash, extraction = prepared.text_hash, prepared.extraction
    existing = store.find_existing_source(session=session, text_hash=text_hash, url=prepared.url)
    if existing is not None:
        return IngestResult(
            source=existing, claims=store.claims_of(session=session, source_id=existing.id or 0), created=False
        )
    check_claims(extraction, settings)

    # Encoding happens before the transaction opens so a slow model never holds a database lock.
    # The context text (pronouns, "the ministry" and relative dates resolved) is what gets embedded: a bare
    # "He added that ..." or "on Monday" matches nothing useful in other sources.
    texts = [c.context_text for c in extraction.claims]
    # Vectors and check-worthiness together: one pass of the fine-tuned graph gives both, or the LR scores the
    # vectors just computed (no second encoding either way).
    vectors, checkworthiness = encode_and_score(encoder, texts)
    # Every additional encoder (multilingual) too, so every index can be rebuilt from the database.
    extra_vectors = {key: extra.encoder.encode_documents(texts) for key, extra in (extras or {}).items()}
    checkworthiness = _in_their_language(checkworthiness, [prepared], extras or {}, extra_vectors)
    # Syndicated copy of a stored article, near-verbatim claims: found through the new claims' nearest
    # stored neighbours, so the cost does not grow with the number of sources.
    grouping = syndication.find_groups(
        session=session, index=index, texts=[c.text for c in extraction.claims], vectors=vectors
    )
    try:
        written = _insert_rows(
            session=session,
            articles=[prepared],
            groupings=[grouping],
            vectors=vectors,
            checkworthiness=checkworthiness,
            extra_vectors=extra_vectors,
        )
        session.commit()
    except IntegrityError:
        # A concurrent request stored the same content first: answer with its copy.
        session.rollback()
        existing = store.find_existing_source(session=session, text_hash=text_hash, url=None)
        if existing is None:
            raise
        return IngestResult(
            source=existing, claims=store.claims_of(session=session, source_id=existing.id or 0), created=False
        )
    claim_ids = written.claim_ids
    index.add(claim_ids, vectors)
    for key, extra_vecs in extra_vectors.items():
        (extras or {})[key].index.add(claim_ids, extra_vecs)
    # The response is built from the rows just written (plain objects, no session: nothing is read back).
    source = Source(id=written.source_ids[0], **written.sources[0])
    claims = [Claim(id=claim_id, **row) for claim_id, row in zip(claim_ids, written.claims, strict=True)]
    return IngestResult(source=source, claims=claims, created=True)


@dataclass(slots=True)
class BatchItem:
    """What became of one article of a batch: stored (`created`), already stored (the stored copy's ids), or
    refused (`error`, the message the API would answer with; the rest of the batch is unaffected)."""

    source_id: int | None = None
    claim_ids: list[int] = field(default_factory=list)
    created: bool = False
    error: CrossCheckError | None = None


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def ingest_many(
    *,
    session: Session,
    encoder: TextEncoder,
    index: ClaimIndex,
    settings: Settings,
    sources: Sequence[SourceCreate | Prepared | CrossCheckError],
    extras: Mapping[str, EncoderIndex] | None = None,
) -> list[BatchItem]:
    """Stores a batch of articles as `ingest_source` would one after the other, in one transaction.

    The same claims, vectors, check-worthiness and copy groups as article-by-article ingest; an article whose
    text or URL is stored, or came earlier in the batch, is answered with that copy; a refused article gets its
    error and the others are stored. What makes it fast: every claim of the batch goes to each encoder in one
    call, the copy-group search is one index search, the rows go in as bulk inserts (no ORM objects), and each
    index gets one add. The commit comes before the index adds (see `ingest_source`).

    Args:
        sources: The articles, or what `prepare_all` made of them (an error: refused while preparing).

    Returns:
        One item per article, in order.
    """
    items: list[BatchItem | None] = [None] * len(sources)
    prepared: list[Prepared | None] = []
    for position, given in enumerate(sources):
        try:
            if isinstance(given, CrossCheckError):
                raise given
            prepared.append(given if isinstance(given, Prepared) else prepare(given, settings))
        except CrossCheckError as exc:
            prepared.append(None)
            items[position] = BatchItem(error=exc)

    # Already stored (same text, else same URL: its first copy), or earlier in this batch.
    hashes = sorted({p.text_hash for p in prepared if p is not None})
    urls = sorted({p.url for p in prepared if p is not None and p.url})
    source_table = _table("source")
    by_hash: dict[str, int] = {}
    by_url: dict[str, int] = {}
    if hashes:
        rows = session.connection().execute(
            sa_select(source_table.c.content_hash, source_table.c.id).where(source_table.c.content_hash.in_(hashes))
        )
        by_hash = {str(h): int(i) for h, i in rows}
    if urls:
        rows = session.connection().execute(
            sa_select(source_table.c.url, func.min(source_table.c.id))
            .where(
                source_table.c.url.in_(urls),
                or_(source_table.c.kind.is_(None), source_table.c.kind != FACT_CHECK_KIND),
            )
            .group_by(source_table.c.url)
        )
        by_url = {str(u): int(i) for u, i in rows}
    new: list[int] = []  # positions of the articles to store
    copy_of: dict[int, int] = {}  # position -> position of the same article earlier in the batch
    batch_hash: dict[str, int] = {}
    batch_url: dict[str, int] = {}
    for position, p in enumerate(prepared):
        if p is None:
            continue
        stored = by_hash.get(p.text_hash)
        if stored is None and p.text_hash in batch_hash:
            copy_of[position] = batch_hash[p.text_hash]
            continue
        if stored is None and p.url:
            stored = by_url.get(p.url)
            if stored is None and p.url in batch_url:
                copy_of[position] = batch_url[p.url]
                continue
        if stored is not None:
            items[position] = BatchItem(source_id=stored)
            continue
        try:
            check_claims(p.extraction, settings)
        except CrossCheckError as exc:
            items[position] = BatchItem(error=exc)
            continue
        new.append(position)
        batch_hash[p.text_hash] = position
        if p.url:
            batch_url.setdefault(p.url, position)

    if new:
        stored_items = _store_new(
            session=session,
            encoder=encoder,
            index=index,
            settings=settings,
            articles=[p for position in new if (p := prepared[position]) is not None],
            extras=extras or {},
        )
        for position, item in zip(new, stored_items, strict=True):
            items[position] = item
    for position, first in copy_of.items():
        found = items[first]
        assert found is not None
        items[position] = BatchItem(source_id=found.source_id, claim_ids=list(found.claim_ids), error=found.error)
    _fill_stored_claim_ids(session=session, items=[i for i in items if i is not None and not i.created])
    return [item if item is not None else BatchItem() for item in items]


def _fill_stored_claim_ids(*, session: Session, items: Sequence[BatchItem]) -> None:
    """The claim ids of the stored copies the batch's duplicates are answered with."""
    wanted = sorted({i.source_id for i in items if i.source_id is not None and i.error is None and not i.claim_ids})
    if not wanted:
        return
    claim_table = _table("claim")
    rows = session.connection().execute(
        sa_select(claim_table.c.source_id, claim_table.c.id)
        .where(claim_table.c.source_id.in_(wanted))
        .order_by(claim_table.c.source_id, claim_table.c.position)
    )
    by_source: dict[int, list[int]] = {}
    for source_id, claim_id in rows:
        by_source.setdefault(int(source_id), []).append(int(claim_id))
    for item in items:
        if item.source_id is not None and not item.claim_ids:
            item.claim_ids = list(by_source.get(item.source_id, []))


@dataclass(slots=True)
class _Written:
    """What `_insert_rows` wrote: ids and the rows' values, in the order of the articles and their claims."""

    source_ids: list[int]
    claim_ids: list[int]
    sources: list[dict[str, Any]]
    claims: list[dict[str, Any]]


def _insert_rows(
    *,
    session: Session,
    articles: Sequence[Prepared],
    groupings: Sequence[syndication.Grouping],
    vectors: np.ndarray,
    checkworthiness: np.ndarray,
    extra_vectors: Mapping[str, np.ndarray],
) -> _Written:
    """Bulk-inserts new articles, their claims and extra vectors in the session's transaction (not committed).

    SQLAlchemy Core, not ORM objects: a few statements for the whole batch. Groups naming a batch article
    (`syndication.provisional_id`) get its real id.
    """
    source_table, claim_table, vector_table = _table("source"), _table("claim"), _table("claimvector")
    conn = session.connection()
    now = utcnow()
    sources = [{**_source_fields(p), "ingested_at": now, "copy_group_id": None} for p in articles]
    # Ids come back with a unique key of their row (the order of a bulk RETURNING is not promised).
    returned = conn.execute(insert(source_table).returning(source_table.c.id, source_table.c.content_hash), sources)
    id_of_hash = {str(h): int(i) for i, h in returned}
    source_ids = [id_of_hash[p.text_hash] for p in articles]

    def real(group: int | None) -> int | None:
        if group is not None and group >= syndication.PROVISIONAL_BASE:
            return source_ids[group - syndication.PROVISIONAL_BASE]
        return group

    for sid, grouping, source_row in zip(source_ids, groupings, sources, strict=True):
        source_row["copy_group_id"] = real(grouping.source_group) or sid
    conn.execute(
        update(source_table).where(source_table.c.id == sa_bindparam("sid")).values(copy_group_id=sa_bindparam("g")),
        [{"sid": sid, "g": source_row["copy_group_id"]} for sid, source_row in zip(source_ids, sources, strict=True)],
    )
    claims: list[dict[str, Any]] = []
    scores = checkworthiness.tolist()
    for p, sid, grouping, source_row in zip(articles, source_ids, groupings, sources, strict=True):
        for c, group in zip(p.extraction.claims, grouping.claim_groups, strict=True):
            row = len(claims)
            claims.append(
                {
                    "source_id": sid,
                    "text": c.text,
                    "start": c.start,
                    "end": c.end,
                    "position": c.position,
                    "speaker": c.speaker,
                    "context_text": c.context_text,
                    "checkworthiness": round(float(scores[row]), 4),
                    "copy_group_id": real(group),
                    "language": normalize_language(source_row["language"]),
                    "embedding": store.vector_to_bytes(vectors[row]),
                }
            )
    returned = conn.execute(
        insert(claim_table).returning(claim_table.c.id, claim_table.c.source_id, claim_table.c.position), claims
    )
    id_of = {(int(s), int(pos)): int(i) for i, s, pos in returned}
    claim_ids = [id_of[(r["source_id"], r["position"])] for r in claims]
    for key, extra_vecs in extra_vectors.items():
        conn.execute(
            insert(vector_table),
            [
                {"claim_id": cid, "encoder": key, "vector": store.vector_to_bytes(v)}
                for cid, v in zip(claim_ids, extra_vecs, strict=True)
            ],
        )
    return _Written(source_ids=source_ids, claim_ids=claim_ids, sources=sources, claims=claims)


def _store_new(
    *,
    session: Session,
    encoder: TextEncoder,
    index: ClaimIndex,
    settings: Settings,
    articles: Sequence[Prepared],
    extras: Mapping[str, EncoderIndex],
    before_commit: Callable[[Session, list[int], list[int]], None] | None = None,
    group: bool = True,
) -> list[BatchItem]:
    """Encodes, scores, groups and stores articles known to be new, in one transaction; then the index adds.

    ``before_commit(session, source_ids, claim_ids)`` writes rows that belong with them (a fact-check's review) in
    the same transaction; ``group=False`` makes each a group of its own (fact-checks are never copies). With
    ``before_commit``, a concurrent writer's duplicate is not retried one by one: IntegrityError rises.
    """
    # Encoding before the transaction opens: a slow model never holds a database lock (see `ingest_source`).
    counts = [len(p.extraction.claims) for p in articles]
    texts = [c.context_text for p in articles for c in p.extraction.claims]
    vectors, checkworthiness = encode_and_score(encoder, texts)
    extra_vectors = {key: extra.encoder.encode_documents(texts) for key, extra in extras.items()}
    checkworthiness = _in_their_language(checkworthiness, articles, extras, extra_vectors)
    bounds = np.cumsum([0, *counts]).tolist()
    groupings = (
        syndication.find_groups_many(
            session=session,
            index=index,
            articles=[
                syndication.NewArticle(texts=[c.text for c in p.extraction.claims], vectors=vectors[lo:hi])
                for p, lo, hi in zip(articles, bounds[:-1], bounds[1:], strict=True)
            ],
        )
        if group
        else [syndication.Grouping(None, [None] * n) for n in counts]  # each a group of its own
    )
    try:
        written = _insert_rows(
            session=session,
            articles=articles,
            groupings=groupings,
            vectors=vectors,
            checkworthiness=checkworthiness,
            extra_vectors=extra_vectors,
        )
        if before_commit is not None:
            before_commit(session, written.source_ids, written.claim_ids)
        session.commit()
    except IntegrityError:
        # A concurrent writer stored one of these articles first: nothing of the batch was written; each article
        # goes the single-article way, which answers such a one with the stored copy.
        session.rollback()
        if before_commit is not None:
            raise
        return [
            _ingest_one(session=session, encoder=encoder, index=index, settings=settings, p=p, extras=extras)
            for p in articles
        ]
    ids = np.asarray(written.claim_ids, dtype=np.int64)
    index.add(ids, vectors)
    for key, extra_vecs in extra_vectors.items():
        extras[key].index.add(ids, extra_vecs)
    return [
        BatchItem(source_id=sid, claim_ids=written.claim_ids[lo:hi], created=True)
        for sid, lo, hi in zip(written.source_ids, bounds[:-1], bounds[1:], strict=True)
    ]


def _ingest_one(
    *,
    session: Session,
    encoder: TextEncoder,
    index: ClaimIndex,
    settings: Settings,
    p: Prepared,
    extras: Mapping[str, EncoderIndex],
) -> BatchItem:
    try:
        result = ingest_source(
            session=session, encoder=encoder, index=index, settings=settings, source_in=p.source_in, extras=extras
        )
    except CrossCheckError as exc:
        return BatchItem(error=exc)
    return BatchItem(source_id=result.source.id, claim_ids=[c.id or 0 for c in result.claims], created=result.created)


def delete_source(
    *, session: Session, index: ClaimIndex, source_id: int, extras: Mapping[str, EncoderIndex] | None = None
) -> int:
    """Deletes a source, its claims and their vectors; returns how many claims went.

    Copies of the source keep their group (renamed if it was named after this source), in the same commit.
    """
    claim_ids = store.delete_source(session=session, source_id=source_id)
    syndication.regroup_after_delete(session=session, index=index, source_id=source_id, claim_ids=claim_ids)
    session.commit()
    index.remove(claim_ids)
    remove_claims(extras or {}, claim_ids)
    return len(claim_ids)
