"""Rebuilding the index from the database, optionally re-encoding every claim with a new model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sqlmodel import col, select

from embeddings import TextEncoder, load_encoder
from embeddings.use import same_space_but_ukrainian
from service import store
from service.checkworthiness import encode_and_score
from service.config import Settings
from service.db import make_engine, open_session
from service.extraction import embedding_input
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
                texts = [embedding_input(text=c.text, context_text=c.context_text) for c in claims]
                # Another model changes which check-worthiness model (fine-tuned graph, LR head) applies.
                vectors, scores = encode_and_score(encoder, texts)
                for claim, vec, score in zip(claims, vectors, scores, strict=True):
                    claim.embedding = store.vector_to_bytes(vec)
                    claim.checkworthiness = round(float(score), 4)
                    session.add(claim)
                last = claims[-1].id or last
                done += len(claims)
            store.set_store_info(session=session, key=store.EMBEDDING_MODEL_KEY, value=str(encoder.model_id))
            # One transaction: a crash half-way leaves the old model's vectors and name intact.
            session.commit()
    finally:
        engine.dispose()
    return done


def rescore_other_languages(*, engine: Any, model_id: Any) -> int:
    """Scores the check-worthiness of every stored claim not in English from its stored multilingual vector (what
    ingest does when the encoder runs): for claims stored while it was off, or scored by an older model. Returns
    how many scores changed (one transaction)."""
    from service.checkworthiness import default_scorer
    from service.models import ClaimVector
    from service.multilingual import USE_KEY
    from service.text.language import ENGLISH

    head = default_scorer().multilingual
    if head is None or not same_space_but_ukrainian(str(model_id), head.model):
        return 0
    changed = 0
    with open_session(engine) as session:
        last = 0
        while True:
            rows = list(
                session.exec(
                    select(Claim, ClaimVector)
                    .join(ClaimVector, col(ClaimVector.claim_id) == col(Claim.id))
                    .where(col(ClaimVector.encoder) == USE_KEY, col(Claim.id) > last)
                    .where(col(Claim.language).is_not(None), col(Claim.language) != ENGLISH)
                    .order_by(col(Claim.id))
                    .limit(REENCODE_BATCH)
                )
            )
            if not rows:
                break
            scores = head.score(np.vstack([np.frombuffer(v.vector, dtype="<f4") for _, v in rows]))
            for (claim, _), score in zip(rows, scores.tolist(), strict=True):
                if round(float(score), 4) != claim.checkworthiness:
                    claim.checkworthiness = round(float(score), 4)
                    session.add(claim)
                    changed += 1
            last = rows[-1][0].id or last
        session.commit()
    return changed


def reindex(
    settings: Settings,
    *,
    reencode: bool = False,
    encoder: TextEncoder | None = None,
    extra_encoders: Mapping[str, TextEncoder] | None = None,
) -> dict[str, Any]:
    """Rebuilds the saved indexes from the stored vectors (re-encoding first if asked).

    Each enabled additional encoder (the multilingual one) first encodes the stored claim texts it has no
    vector for -- all of them with `reencode` -- so enabling it on an existing store is one reindex away.
    """
    from service import vectors
    from service.alerts import encode_watches
    from service.multilingual import USE_KEY, configured_encoders

    enc = encoder if encoder is not None else load_encoder(settings.model, backend=settings.encoder_backend)
    extras = configured_encoders(settings) if extra_encoders is None else extra_encoders
    reencoded = reencode_claims(settings=settings, encoder=enc) if reencode else 0
    engine = make_engine(settings)
    try:
        from service.indexing import check_store_model

        check_store_model(engine=engine, model_id=enc.model_id)
        index = rebuild_index(engine=engine, model_id=enc.model_id)
        index.save(settings.index_path)
        report: dict[str, Any] = {}
        for key, extra in extras.items():
            if not reencode:
                vectors.read_like_the_store(engine=engine, key=key, encoder=extra)
                vectors.check_encoder_model(engine=engine, key=key, model_id=extra.model_id)
            encoded = vectors.encode_missing(engine=engine, key=key, encoder=extra, reencode=reencode)
            extra_index = vectors.rebuild_index(engine=engine, key=key, model_id=extra.model_id)
            extra_index.save(settings.encoder_index_path(key))
            report[key] = {"model": str(extra.model_id), "index_size": len(extra_index), "encoded": encoded}
            if key == USE_KEY:
                report[key]["checkworthiness_rescored"] = rescore_other_languages(
                    engine=engine, model_id=extra.model_id
                )
        # Watches are matched in the claims' vector spaces: theirs follow (re-encoded, or the ones they lack).
        watch_encoders = {"dense": enc, **extras} if reencode else dict(extras)
        watches = encode_watches(engine=engine, encoders=watch_encoders, reencode=reencode)
    finally:
        engine.dispose()
    return {
        "model": str(enc.model_id),
        "index_size": len(index),
        "reencoded": reencoded,
        "encoders": report,
        "watch_vectors": watches,
    }
