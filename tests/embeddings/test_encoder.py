"""The packaged MiniLM model: offline, normalised, and meaningful."""

from __future__ import annotations

import os

import numpy as np

from embeddings import DEFAULT_MODEL_NAME, Encoder, ModelId, default_model_path


def test_default_model_is_the_packaged_one(real_encoder: Encoder) -> None:
    assert (default_model_path() / "config.json").exists()
    assert real_encoder.model_id == ModelId(name=DEFAULT_MODEL_NAME, dim=384)
    assert os.environ.get("HF_HUB_OFFLINE") == "1"


def test_vectors_are_unit_float32_and_meaningful(real_encoder: Encoder) -> None:
    texts = [
        "North Korea sent more than 10,000 soldiers to Kursk",
        "Pyongyang deployed over ten thousand troops to the Kursk region",
        "The central bank kept its interest rate unchanged",
    ]
    docs = real_encoder.encode_documents(texts)
    assert docs.dtype == np.float32 and docs.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    # Inner product is cosine on unit vectors: the paraphrase is closer than the unrelated sentence.
    assert docs[0] @ docs[1] > 0.6 > docs[0] @ docs[2]
    query = real_encoder.encode_queries(texts[:1])
    np.testing.assert_allclose(query[0], docs[0], atol=1e-5)
    assert real_encoder.encode_documents([]).shape == (0, 384)


def test_model_id_round_trip() -> None:
    assert ModelId.parse("all-MiniLM-L6-v2@384") == ModelId("all-MiniLM-L6-v2", 384)
