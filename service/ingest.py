"""The ingest path: article text -> metadata + claims -> vectors -> database -> index."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from embeddings import ClaimIndex, TextEncoder
from service import store, syndication
from service.checkworthiness import default_scorer
from service.config import Settings
from service.errors import PayloadTooLargeError, UnprocessableError
from service.extraction import extract
from service.models import Claim, Source
from service.schemas import SourceCreate
from service.vectors import EncoderIndex, remove_claims, vectors_to_rows


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
    text = source_in.text
    check_text_size(text, settings)
    text_hash = store.content_hash(text)
    # No language given: the extractor detects it. A publication date sent with the article wins over the
    # article's own date line for resolving "on Monday" and "last year".
    extraction = extract(text, language=source_in.language, published_at=source_in.published_at)
    meta = extraction.meta
    url = source_in.url or meta.url
    existing = store.find_existing_source(session=session, text_hash=text_hash, url=url)
    if existing is not None:
        return IngestResult(
            source=existing, claims=store.claims_of(session=session, source_id=existing.id or 0), created=False
        )

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

    # Encoding happens before the transaction opens so a slow model never holds a database lock.
    # The context text (pronouns, "the ministry" and relative dates resolved) is what gets embedded: a bare
    # "He added that ..." or "on Monday" matches nothing useful in other sources.
    texts = [c.context_text for c in extraction.claims]
    vectors = encoder.encode_documents(texts)
    # Scored from the vectors just computed (no second encoding).
    checkworthiness = default_scorer().score(vectors=vectors, texts=texts, model=encoder.model_id)
    # Every additional encoder (multilingual) too, so every index can be rebuilt from the database.
    extra_vectors = {key: extra.encoder.encode_documents(texts) for key, extra in (extras or {}).items()}
    # Syndicated copy of a stored article, near-verbatim claims: found through the new claims' nearest
    # stored neighbours, so the cost does not grow with the number of sources.
    grouping = syndication.find_groups(
        session=session, index=index, texts=[c.text for c in extraction.claims], vectors=vectors
    )
    source = Source(
        url=url,
        title=source_in.title or meta.title,
        outlet=source_in.outlet or outlet_from_url(url),
        author=source_in.author or meta.author,
        published_at=source_in.published_at or meta.published_at,
        language=source_in.language or extraction.language,
        text=text,
        content_hash=text_hash,
    )
    claims = [
        Claim(
            source_id=0,
            text=c.text,
            start=c.start,
            end=c.end,
            position=c.position,
            speaker=c.speaker,
            context_text=c.context_text,
            checkworthiness=round(float(score), 4),
            copy_group_id=group,
            embedding=store.vector_to_bytes(vec),
        )
        for c, vec, score, group in zip(extraction.claims, vectors, checkworthiness, grouping.claim_groups, strict=True)
    ]
    try:
        session.add(source)
        session.flush()
        source.copy_group_id = grouping.source_group or source.id
        for claim in claims:
            claim.source_id = source.id or 0
        session.add_all(claims)
        session.flush()
        claim_ids = [claim.id or 0 for claim in claims]
        for key, extra_vecs in extra_vectors.items():
            session.add_all(vectors_to_rows(key=key, ids=claim_ids, vectors=extra_vecs))
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
    index.add(claim_ids, vectors)
    for key, extra_vecs in extra_vectors.items():
        (extras or {})[key].index.add(claim_ids, extra_vecs)
    return IngestResult(source=source, claims=claims, created=True)


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
