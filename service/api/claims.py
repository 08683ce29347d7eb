"""/claims: read a claim, match a claim against every ingested source."""

from __future__ import annotations

import time

from fastapi import APIRouter

from service import matching, store
from service.api.deps import MatcherDep, MetricsDep, SessionDep, SettingsDep
from service.api.examples import example
from service.errors import PayloadTooLargeError
from service.schemas import ClaimDetail, MatchQuery, MatchResponse
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
