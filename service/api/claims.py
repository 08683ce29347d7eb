"""/claims: read a claim, match a claim against every ingested source."""

from __future__ import annotations

from fastapi import APIRouter

from service import matching, store
from service.api.deps import EncoderDep, IndexDep, SessionDep, SettingsDep
from service.errors import PayloadTooLargeError
from service.schemas import ClaimPublic, MatchQuery, MatchResponse

router = APIRouter(prefix="/claims", tags=["claims"])


@router.post("/match")
def match_claim(
    query: MatchQuery, session: SessionDep, encoder: EncoderDep, index: IndexDep, settings: SettingsDep
) -> MatchResponse:
    """Find the claims of ingested sources closest in meaning to the given claim."""
    # Plain `def`: encoding and search are CPU-bound, so FastAPI runs this in its thread pool.
    if len(query.text) > settings.max_query_chars:
        raise PayloadTooLargeError(
            f"claim text is {len(query.text):,} characters; the limit is {settings.max_query_chars:,} "
            "(set CROSSCHECK_MAX_QUERY_CHARS to change it)"
        )
    return matching.match_claims(session=session, encoder=encoder, index=index, query=query)


@router.get("/{claim_id}")
def read_claim(claim_id: int, session: SessionDep) -> ClaimPublic:
    """One claim with its source id and character offsets."""
    return matching.claim_public(store.get_claim(session=session, claim_id=claim_id))
