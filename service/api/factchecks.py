"""/fact-checks: import ClaimReview (single, list, @graph, DataFeed, Fact Check Tools answers), list, read, delete,
and render a stored review back as ClaimReview JSON-LD."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status
from sqlalchemy import func
from sqlmodel import col, select

from service import factchecks
from service.api.deps import EncoderDep, ExtrasDep, IndexDep, MetricsDep, SessionDep, SettingsDep
from service.errors import UnprocessableError
from service.models import FactCheck
from service.schemas import ErrorResponse, FactCheckImport, FactCheckPublic, FactChecksPublic, RejectedItem

router = APIRouter(prefix="/fact-checks", tags=["fact-checks"])

_EXAMPLE = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": "https://factdesk.example/checks/ferry-fares",
    "claimReviewed": "Ferry fares to the islands tripled in 2024.",
    "author": {"@type": "Organization", "name": "Fact Desk", "url": "https://factdesk.example"},
    "datePublished": "2025-02-03",
    "inLanguage": "en",
    "itemReviewed": {
        "@type": "Claim",
        "author": {"@type": "Person", "name": "A harbour councillor"},
        "datePublished": "2025-01-28",
        "appearance": [{"@type": "CreativeWork", "url": "https://video.example/watch/123"}],
    },
    "reviewRating": {
        "@type": "Rating",
        "ratingValue": 2,
        "bestRating": 5,
        "worstRating": 1,
        "alternateName": "Misleading",
    },
}


def public(fc: FactCheck) -> FactCheckPublic:
    return FactCheckPublic(
        id=fc.id or 0,
        source_id=fc.source_id,
        claim_id=fc.claim_id,
        url=fc.url,
        claim_reviewed=fc.claim_reviewed,
        headline=fc.headline,
        rating={"textual": fc.rating_text, "value": fc.rating_value, "best": fc.rating_best, "worst": fc.rating_worst},
        reviewer={"name": fc.reviewer_name, "url": fc.reviewer_url},
        date_published=fc.date_published,
        language=fc.language,
        claimant=fc.claimant,
        claim_date=fc.claim_date,
        appearances=json.loads(fc.appearances or "[]"),
        first_appearance=fc.first_appearance,
        created_at=fc.created_at,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": FactCheckImport, "description": "Every valid review was already stored (same URL)."},
        422: {"model": ErrorResponse, "description": "Nothing in the body is a valid ClaimReview (reasons given)."},
    },
)
def import_fact_checks(
    body: Annotated[Any, Body(openapi_examples={"claimreview": {"summary": "One ClaimReview", "value": _EXAMPLE}})],
    response: Response,
    session: SessionDep,
    encoder: EncoderDep,
    index: IndexDep,
    settings: SettingsDep,
    extras: ExtrasDep,
    metrics: MetricsDep,
) -> FactCheckImport:
    """Store fact-checks: one ClaimReview, a list, a JSON-LD @graph, a schema.org DataFeed, or a Fact Check Tools
    claim-search answer. Each claim reviewed is matched like any claim; a review URL already stored comes back
    under `existing`; each bad item is listed under `rejected` with what is wrong (the good ones are stored)."""
    parsed = factchecks.parse_feed(body)
    result = factchecks.store_reviews(
        session=session, encoder=encoder, index=index, settings=settings, parsed=parsed, extras=extras
    )
    if not result.stored and not result.existing:
        raise factchecks.nothing_valid(result)
    if result.stored:
        metrics.claims_ingested.inc(len(result.stored))
    else:
        response.status_code = status.HTTP_200_OK
    return FactCheckImport(
        stored=[public(fc) for fc in result.stored],
        existing=[public(fc) for fc in result.existing],
        rejected=[RejectedItem(index=r.index, detail=r.detail) for r in result.rejected],
    )


@router.get("")
def list_fact_checks(
    session: SessionDep,
    reviewer: str | None = Query(
        default=None, min_length=1, max_length=512, description="The reviewing organisation's name."
    ),
    language: str | None = Query(default=None, min_length=1, max_length=16),
    published_after: dt.date | None = Query(default=None, description="Reviews published on or after."),
    published_before: dt.date | None = Query(default=None, description="Reviews published on or before."),
    rating: str | None = Query(
        default=None, min_length=1, max_length=512, description="The rating text (case-insensitive)."
    ),
    offset: int = Query(default=0, ge=0, le=10_000_000),
    limit: int = Query(default=50, ge=1, le=500),
) -> FactChecksPublic:
    """Stored fact-checks, newest review first."""
    conditions = []
    if reviewer:
        conditions.append(func.lower(col(FactCheck.reviewer_name)) == reviewer.strip().lower())
    if language:
        conditions.append(func.lower(col(FactCheck.language)) == language.strip().lower())
    if published_after:
        conditions.append(col(FactCheck.date_published) >= published_after)
    if published_before:
        conditions.append(col(FactCheck.date_published) <= published_before)
    if rating:
        conditions.append(func.lower(col(FactCheck.rating_text)) == rating.strip().lower())
    if published_after and published_before and published_after > published_before:
        raise UnprocessableError("published_after is later than published_before: nothing can match")
    total = session.exec(select(func.count()).select_from(FactCheck).where(*conditions)).one()
    rows = session.exec(
        select(FactCheck)
        .where(*conditions)
        .order_by(col(FactCheck.date_published).desc(), col(FactCheck.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return FactChecksPublic(data=[public(fc) for fc in rows], count=int(total))


@router.get("/{fact_check_id}")
def read_fact_check(fact_check_id: int, session: SessionDep) -> FactCheckPublic:
    """One stored fact-check."""
    return public(factchecks.get(session=session, fact_check_id=fact_check_id))


@router.get(
    "/{fact_check_id}/claimreview",
    response_class=Response,
    responses={200: {"content": {"application/ld+json": {"example": _EXAMPLE}}}},
)
def read_claimreview(fact_check_id: int, session: SessionDep) -> Response:
    """The stored review as schema.org ClaimReview JSON-LD."""
    fc = factchecks.get(session=session, fact_check_id=fact_check_id)
    return Response(json.dumps(factchecks.claimreview(fc), ensure_ascii=False), media_type="application/ld+json")


@router.delete("/{fact_check_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_fact_check(fact_check_id: int, session: SessionDep, index: IndexDep, extras: ExtrasDep) -> None:
    """Delete a fact-check, its claim and their vectors."""
    fc = factchecks.get(session=session, fact_check_id=fact_check_id)
    factchecks.delete(session=session, index=index, fact_check=fc, extras=extras)
