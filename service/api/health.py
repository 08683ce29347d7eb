"""/health: is the service usable, and do the database and the index agree?"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError

from service import store
from service.api.deps import EncoderDep, ExtrasDep, IndexDep, MatcherDep, MetricsDep, SessionDep
from service.observability import CONTENT_TYPE
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
        index_kinds={
            name: idx.kind + (" (switching)" if idx.rebuilding else "")
            for name, idx in [(matcher.dense.name, index), *((key, extra.index) for key, extra in extras.items())]
        },
    )


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text exposition format."}},
)
def metrics(metrics: MetricsDep) -> Response:
    """Prometheus metrics of this API process: requests and latency by route, matches by mode, index sizes."""
    return Response(content=metrics.render(), media_type=CONTENT_TYPE)
