"""The match path: a claim (or stored claim vectors) -> nearest claims of other sources."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlmodel import Session, col, select

from embeddings import ClaimIndex, TextEncoder
from service import store
from service.extraction import normalize_claim_text
from service.models import Claim, Source
from service.schemas import (
    ClaimCrossReference,
    ClaimPublic,
    CrossReferenceReport,
    Match,
    MatchQuery,
    MatchResponse,
    SourceBrief,
)

# per_source needs more raw neighbours than k because several may come from one source; the search
# widens by this factor until k sources are found or the index is exhausted.
PER_SOURCE_OVERFETCH = 4


def claim_public(claim: Claim) -> ClaimPublic:
    return ClaimPublic(
        id=claim.id or 0,
        source_id=claim.source_id,
        text=claim.text,
        start=claim.start,
        end=claim.end,
        position=claim.position,
        speaker=claim.speaker,
    )


def source_brief(source: Source) -> SourceBrief:
    return SourceBrief(
        id=source.id or 0, title=source.title, outlet=source.outlet, url=source.url, published_at=source.published_at
    )


def _hydrate(*, session: Session, ids: Sequence[int]) -> dict[int, tuple[Claim, Source]]:
    """Claims with their sources; ids deleted since the search simply do not come back."""
    if not ids:
        return {}
    rows = session.exec(
        select(Claim, Source).join(Source, col(Source.id) == Claim.source_id).where(col(Claim.id).in_(list(ids)))
    ).all()
    return {claim.id or 0: (claim, source) for claim, source in rows}


def _select(
    hits: list[tuple[int, float]],
    found: dict[int, tuple[Claim, Source]],
    *,
    k: int,
    min_score: float | None,
    per_source: bool,
) -> list[Match]:
    matches: list[Match] = []
    seen_sources: set[int] = set()
    for claim_id, score in hits:
        if min_score is not None and score < min_score:
            break  # hits are sorted by score
        pair = found.get(claim_id)
        if pair is None:
            continue
        claim, source = pair
        if per_source:
            if claim.source_id in seen_sources:
                continue
            seen_sources.add(claim.source_id)
        matches.append(
            Match(rank=len(matches) + 1, score=round(score, 6), claim=claim_public(claim), source=source_brief(source))
        )
        if len(matches) == k:
            break
    return matches


def search_vectors(
    *,
    session: Session,
    index: ClaimIndex,
    vectors: np.ndarray,
    k: int,
    exclude_claim_ids: Sequence[int] = (),
    min_score: float | None = None,
    per_source: bool = False,
) -> list[list[Match]]:
    """Nearest stored claims for each vector, as API matches."""
    if vectors.shape[0] == 0:
        return []
    fetch = k * PER_SOURCE_OVERFETCH if per_source else k
    excluded = np.asarray(exclude_claim_ids, dtype=np.int64)
    while True:
        hits = index.search(vectors, fetch, excluded_ids=excluded if excluded.size else None)
        found = _hydrate(session=session, ids=sorted({cid for row in hits for cid, _ in row}))
        results = [_select(row, found, k=k, min_score=min_score, per_source=per_source) for row in hits]
        exhausted = fetch >= len(index)
        # Rows can come back short when sources repeat (per_source) or a claim was deleted mid-search.
        short = any(len(res) < k and len(row) == fetch for res, row in zip(results, hits, strict=True))
        if exhausted or not short:
            return results
        fetch *= PER_SOURCE_OVERFETCH


def match_claims(*, session: Session, encoder: TextEncoder, index: ClaimIndex, query: MatchQuery) -> MatchResponse:
    """Answers POST /claims/match: the claims of other sources closest to the query."""
    vector = encoder.encode_queries([normalize_claim_text(query.text)])
    exclude = store.claim_ids_of_sources(session=session, source_ids=query.exclude_source_ids)
    [matches] = search_vectors(
        session=session,
        index=index,
        vectors=vector,
        k=query.k,
        exclude_claim_ids=exclude,
        min_score=query.min_score,
        per_source=query.per_source,
    )
    return MatchResponse(query=query.text, matches=matches)


def cross_references(*, session: Session, index: ClaimIndex, source: Source, k: int) -> CrossReferenceReport:
    """For every claim of a source, its best matches among the OTHER sources (stored vectors, no encoding)."""
    claims = store.claims_of(session=session, source_id=source.id or 0)
    vectors = store.bytes_to_vectors([c.embedding for c in claims], index.dim)
    per_claim = search_vectors(
        session=session, index=index, vectors=vectors, k=k, exclude_claim_ids=[c.id or 0 for c in claims]
    )
    return CrossReferenceReport(
        source=source_brief(source),
        claims=[ClaimCrossReference(claim=claim_public(c), matches=m) for c, m in zip(claims, per_claim, strict=True)],
    )
