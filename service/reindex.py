"""Rebuilding the index from the database, optionally re-encoding every claim with a new model."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from embeddings import Encoder, TextEncoder
from service import store
from service.config import Settings
from service.db import make_engine, open_session
from service.extraction import normalize_claim_text
from service.indexing import rebuild_index
from service.models import Claim

REENCODE_BATCH = 512


def reencode_claims(*, settings: Settings, encoder: TextEncoder) -> int:
    """Replaces every stored embedding with the given encoder's and records the model; returns the count."""
    engine = make_engine(settings)
    done = 0
    try:
        with open_session(engine) as session:
            last = 0
            while True:
                claims = list(
                    session.exec(
                        select(Claim).where(col(Claim.id) > last).order_by(col(Claim.id)).limit(REENCODE_BATCH)
                    )
                )
                if not claims:
                    break
                vectors = encoder.encode_documents([normalize_claim_text(c.text) for c in claims])
                for claim, vec in zip(claims, vectors, strict=True):
                    claim.embedding = store.vector_to_bytes(vec)
                    session.add(claim)
                last = claims[-1].id or last
                done += len(claims)
            store.set_store_info(session=session, key=store.EMBEDDING_MODEL_KEY, value=str(encoder.model_id))
            # One transaction: a crash half-way leaves the old model's vectors and name intact.
            session.commit()
    finally:
        engine.dispose()
    return done


def reindex(settings: Settings, *, reencode: bool = False, encoder: TextEncoder | None = None) -> dict[str, Any]:
    """Rebuilds the saved index from the stored vectors (re-encoding first if asked)."""
    enc = encoder if encoder is not None else Encoder(settings.model)
    reencoded = reencode_claims(settings=settings, encoder=enc) if reencode else 0
    engine = make_engine(settings)
    try:
        from service.indexing import check_store_model

        check_store_model(engine=engine, model_id=enc.model_id)
        index = rebuild_index(engine=engine, model_id=enc.model_id)
        index.save(settings.index_path)
    finally:
        engine.dispose()
    return {"model": str(enc.model_id), "index_size": len(index), "reencoded": reencoded}
