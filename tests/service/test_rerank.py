"""The packaged reranker: small, loadable, fed exactly the features the matcher computes, and used by hybrid."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from embeddings import DEFAULT_MODEL_NAME, ClaimIndex, ModelId
from service.lexical import LexicalIndex
from service.matching import DenseRanker, LexicalRanker, Matcher, Pool
from service.rerank import MODEL_PATH, CandidateText, Reranker, load_reranker, text_features
from tests.helpers import HashingEncoder, seed_files


@pytest.fixture(scope="module")
def reranker() -> Reranker:
    model = load_reranker()
    assert model is not None, f"{MODEL_PATH} missing: run python bench/train_reranker.py"
    return model


def test_model_file_is_small_and_round_trips(reranker: Reranker) -> None:
    assert MODEL_PATH.stat().st_size <= 1_000_000
    again = Reranker.from_json(json.loads(json.dumps(reranker.to_json())))
    assert again.features == reranker.features and np.array_equal(again.coef, reranker.coef)
    assert reranker.requires["dense"].startswith(DEFAULT_MODEL_NAME)
    assert reranker.requires["lexical"] == LexicalRanker(LexicalIndex(available=True, status="ok")).identity


def test_matcher_produces_every_feature_the_model_reads(reranker: Reranker) -> None:
    pool = Pool(
        ids=np.asarray([1, 2], dtype=np.int64),
        ranks={"dense": np.asarray([1.0, 0.0]), "lexical": np.asarray([2.0, 1.0])},
        signals={
            "dense:cos": np.asarray([0.8, 0.4]),
            "lexical:bm25": np.asarray([3.0, 9.0]),
            "lexical:text": np.asarray([3.0, 5.0]),
            "lexical:title": np.asarray([0.0, 4.0]),
        },
        texts=[CandidateText("Kim sent 12,000 troops in 2024.", "Troops"), CandidateText("Rain in Halden.", None)],
        source_ids=np.asarray([1, 2], dtype=np.int64),
    )
    features = pool.features("North Korea's Kim sent 12,000 troops in 2024")
    assert set(reranker.features) <= set(features)
    scores = reranker.score(features)
    assert scores.shape == (2,) and np.all((scores > 0) & (scores < 1))


def test_overlap_features() -> None:
    f = text_features(
        "Kim Jong Un sent 12,000 soldiers to Kursk in 2024",
        [CandidateText("North Korea's Kim sent 12,000 soldier to Kursk in 2024.", None), CandidateText("x", "Kursk")],
    )
    assert f["overlap:numbers"][0] == 1.0 and f["overlap:years"][0] == 1.0 and f["overlap:numbers"][1] == 0.0
    assert f["overlap:names"][0] > f["overlap:names"][1] > 0
    # kim, sent, soldier(s), kursk of kim, jong, un, sent, soldiers, kursk: "soldier" meets "soldiers"
    assert f["overlap:words"][0] == pytest.approx(4 / 6)


def test_a_model_for_another_encoder_is_not_used(reranker: Reranker) -> None:
    encoder = HashingEncoder()
    rankers = [
        DenseRanker("dense", encoder, ClaimIndex(encoder.model_id)),
        LexicalRanker(LexicalIndex(available=True, status="ok")),
    ]
    assert Matcher(rankers=rankers, reranker=reranker).reranker is None
    other = ClaimIndex(ModelId(name=DEFAULT_MODEL_NAME, dim=384))
    fake = HashingEncoder(dim=384)
    fake._model_id = other.model_id  # same identity as the trained model
    rankers[0] = DenseRanker("dense", fake, other)
    assert Matcher(rankers=rankers, reranker=reranker).reranker is reranker


def test_hybrid_uses_the_reranker_with_the_real_model(real_encoder, make_client) -> None:
    with make_client(real_encoder, multilingual=False) as client:
        for path in seed_files():
            assert client.post("/sources", json={"text": path.read_text(encoding="utf-8")}).status_code == 201
        body = {"text": "North Korea sent more than 10,000 soldiers to Kursk", "k": 5, "per_source": True}
        matches = client.post("/claims/match", json=body).json()["matches"]
        assert len(matches) == 5 and all("rerank" in m["signals"] for m in matches)
        assert [m["score"] for m in matches] == sorted((m["score"] for m in matches), reverse=True)
        assert sum(bool(re.search(r"\d", m["claim"]["text"])) for m in matches) >= 3
