"""/claims: read a claim, match a claim against every ingested source."""

from __future__ import annotations

from fastapi import APIRouter

from service import matching, store
from service.api.deps import MatcherDep, SessionDep, SettingsDep
from service.errors import PayloadTooLargeError
from service.schemas import ClaimPublic, MatchQuery, MatchResponse
from service.security import read_only

router = APIRouter(prefix="/claims", tags=["claims"])


@router.post("/match")
@read_only  # a search: POST only to carry the query in a body, so a read key (or none) is enough
def match_claim(query: MatchQuery, session: SessionDep, matcher: MatcherDep, settings: SettingsDep) -> MatchResponse:
    """Find the claims of ingested sources that best match the given claim (hybrid, dense or lexical)."""
    # Plain `def`: encoding and search are CPU-bound, so FastAPI runs this in its thread pool.
    if len(query.text) > settings.max_query_chars:
        raise PayloadTooLargeError(
            f"claim text is {len(query.text):,} characters; the limit is {settings.max_query_chars:,} "
            "(set CROSSCHECK_MAX_QUERY_CHARS to change it)"
        )
    return matcher.match(session=session, query=query)


@router.get("/{claim_id}")
def read_claim(claim_id: int, session: SessionDep) -> ClaimPublic:
    """One claim with its source id and character offsets."""
    return matching.claim_public(store.get_claim(session=session, claim_id=claim_id))
