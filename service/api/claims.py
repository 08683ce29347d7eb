"""/claims: read a claim, match a claim against every ingested source."""

from __future__ import annotations

import json
import time

from fastapi import APIRouter, Response, status
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from service import factchecks, matching, store
from service.api.deps import MatcherDep, MetricsDep, SessionDep, SettingsDep
from service.api.examples import example
from service.errors import NotFoundError, PayloadTooLargeError, UnprocessableError
from service.models import NewsroomReview
from service.schemas import ClaimDetail, MatchQuery, MatchResponse, ReviewCreate, ReviewPublic
from service.security import read_only

router = APIRouter(prefix="/claims", tags=["claims"])


@router.post("/match", responses={200: example("match")})
@read_only  # a search: POST only to carry the query in a body, so a read key (or none) is enough
def match_claim(
    query: MatchQuery, session: SessionDep, matcher: MatcherDep, settings: SettingsDep, metrics: MetricsDep
) -> MatchResponse:
    """Find the claims of ingested sources that best match the given claim (hybrid, dense or lexical)."""
    # Plain `def`: encoding and search are CPU-bound, so FastAPI runs this in its thread pool.
    if len(query.text) > settings.max_query_chars:
        raise PayloadTooLargeError(
            f"claim text is {len(query.text):,} characters; the limit is {settings.max_query_chars:,} "
            "(set CROSSCHECK_MAX_QUERY_CHARS to change it)"
        )
    started = time.perf_counter()
    response = matcher.match(session=session, query=query)
    metrics.match_latency.labels(query.mode).observe(time.perf_counter() - started)
    return response


@router.get("/{claim_id}")
def read_claim(claim_id: int, session: SessionDep) -> ClaimDetail:
    """One claim with its character offsets and its source (title, outlet, URL, date)."""
    claim = store.get_claim(session=session, claim_id=claim_id)
    source = store.get_source(session=session, source_id=claim.source_id)
    return ClaimDetail(**matching.claim_public(claim).model_dump(), source=matching.source_brief(source))


def _newest_reviews(claim_id: int) -> SelectOfScalar[NewsroomReview]:
    """A claim's newsroom reviews, newest first."""
    return (
        select(NewsroomReview)
        .where(NewsroomReview.claim_id == claim_id)
        .order_by(col(NewsroomReview.created_at).desc(), col(NewsroomReview.id).desc())
    )


def _review_public(review: NewsroomReview) -> ReviewPublic:
    return ReviewPublic(
        id=review.id or 0,
        claim_id=review.claim_id,
        rating=review.rating,
        explanation=review.explanation,
        url=review.url,
        created_at=review.created_at,
    )


@router.post("/{claim_id}/reviews", status_code=status.HTTP_201_CREATED)
def review_claim(claim_id: int, body: ReviewCreate, session: SessionDep) -> ReviewPublic:
    """Record your newsroom's verdict on an ingested claim (publish it with GET /claims/{id}/claimreview)."""
    claim = store.get_claim(session=session, claim_id=claim_id)
    review = NewsroomReview(claim_id=claim.id or 0, rating=body.rating, explanation=body.explanation, url=body.url)
    session.add(review)
    session.commit()
    return _review_public(review)


@router.get("/{claim_id}/reviews")
def claim_reviews(claim_id: int, session: SessionDep) -> list[ReviewPublic]:
    """Your newsroom's verdicts on a claim, newest first."""
    store.get_claim(session=session, claim_id=claim_id)
    return [_review_public(r) for r in session.exec(_newest_reviews(claim_id)).all()]


@router.get(
    "/{claim_id}/claimreview",
    response_class=Response,
    responses={200: {"content": {"application/ld+json": {}}, "description": "schema.org ClaimReview JSON-LD."}},
)
def claim_claimreview(claim_id: int, session: SessionDep, settings: SettingsDep) -> Response:
    """Your newsroom's latest verdict on a claim as ClaimReview JSON-LD, ready to embed in your fact-check page:
    the claim's context text as `claimReviewed`, its article as `itemReviewed.appearance`, your organisation
    (CROSSCHECK_ORGANIZATION_NAME, _URL) as `author`."""
    claim = store.get_claim(session=session, claim_id=claim_id)
    source = store.get_source(session=session, source_id=claim.source_id)
    review = session.exec(_newest_reviews(claim_id)).first()
    if review is None:
        raise NotFoundError(f"claim {claim_id} has no review yet: POST /claims/{claim_id}/reviews first")
    if not settings.organization_name:
        raise UnprocessableError(
            "ClaimReview needs its author: set CROSSCHECK_ORGANIZATION_NAME (and CROSSCHECK_ORGANIZATION_URL)"
        )
    if not review.url:
        raise UnprocessableError(
            f"review {review.id} has no url: ClaimReview needs the address of the page that publishes your "
            f"fact-check; POST /claims/{claim_id}/reviews again with url"
        )
    document = factchecks.newsroom_claimreview(
        claim=claim,
        source=source,
        review=review,
        organization=(settings.organization_name, settings.organization_url),
    )
    return Response(json.dumps(document, ensure_ascii=False), media_type="application/ld+json")
