"""/health: is the service usable, and do the database and the index agree?"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.exc import SQLAlchemyError

from service import store
from service.api.deps import EncoderDep, ExtrasDep, IndexDep, MatcherDep, SessionDep
from service.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health")
def health(session: SessionDep, encoder: EncoderDep, index: IndexDep, matcher: MatcherDep, extras: ExtrasDep) -> Health:
    """Model id, claim and index counts, database status."""
    try:
        claims, database = store.count_claims(session=session), "ok"
    except SQLAlchemyError as exc:
        claims, database = 0, f"error: {type(exc).__name__}"
    return Health.build(
        model_id=encoder.model_id,
        claims=claims,
        index_size=len(index),
        database=database,
        lexical=matcher.lexical_status,
        extras={key: (extra.encoder.model_id, len(extra.index)) for key, extra in extras.items()},
    )
