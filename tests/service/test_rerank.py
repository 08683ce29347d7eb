"""The packaged reranker: small, loadable, fed exactly the features the matcher computes, and used by hybrid."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from embeddings import DEFAULT_MODEL_NAME, ClaimIndex, ModelId
from service.lexical import LexicalIndex
from service.matching import DenseRanker, LexicalRanker, Matcher, Pool
from service.multilingual import USE_KEY
from service.rerank import MODEL_PATH, CandidateText, LogisticModel, Reranker, load_reranker, text_features
from tests.helpers import HashingEncoder, seed_files


@pytest.fixture(scope="module")
def reranker() -> Reranker:
    model = load_reranker()
    assert model is not None, f"{MODEL_PATH} missing: run python bench/train_reranker.py"
    return model


def test_model_file_is_small_and_round_trips(reranker: Reranker) -> None:
    assert MODEL_PATH.stat().st_size <= 1_000_000
    again = Reranker.from_json(json.loads(json.dumps(reranker.to_json())))
    assert [m.features for m in again.models] == [m.features for m in reranker.models]
    assert all(np.array_equal(a.coef, b.coef) for a, b in zip(again.models, reranker.models, strict=True))
    lexical = LexicalRanker(LexicalIndex(available=True, status="ok")).identity
    for model in reranker.models:
        assert model.requires["dense"].startswith(DEFAULT_MODEL_NAME) and model.requires["lexical"] == lexical
    # The multilingual model first (it reads the USE cosine), then the English one as its fallback.
    assert [sorted(m.requires) for m in reranker.models] == [["dense", "lexical", USE_KEY], ["dense", "lexical"]]
    assert f"{USE_KEY}:cos" in reranker.primary.features
    assert not any(name.startswith(f"{USE_KEY}:") for name in reranker.models[1].features)


def _pool(with_use: bool) -> Pool:
    ranks = {"dense": np.asarray([1.0, 0.0]), "lexical": np.asarray([2.0, 1.0])}
    signals = {
        "dense:cos": np.asarray([0.8, 0.4]),
        "lexical:bm25": np.asarray([3.0, 9.0]),
        "lexical:text": np.asarray([3.0, 5.0]),
        "lexical:title": np.asarray([0.0, 4.0]),
    }
    if with_use:
        ranks[USE_KEY] = np.asarray([1.0, 2.0])
        signals[f"{USE_KEY}:cos"] = np.asarray([0.7, 0.3])
    return Pool(
        ids=np.asarray([1, 2], dtype=np.int64),
        ranks=ranks,
        signals=signals,
        texts=[CandidateText("Kim sent 12,000 troops in 2024.", "Troops"), CandidateText("Rain in Halden.", None)],
        source_ids=np.asarray([1, 2], dtype=np.int64),
        languages=["en", "en"],
    )


@pytest.mark.parametrize("with_use", [True, False])
def test_matcher_produces_every_feature_the_model_reads(reranker: Reranker, with_use: bool) -> None:
    features = _pool(with_use).features("North Korea's Kim sent 12,000 troops in 2024")
    model = reranker.model_for(features)
    assert model is (reranker.models[0] if with_use else reranker.models[1])
    assert set(model.features) <= set(features)
    scores = reranker.score(features)
    assert scores.shape == (2,) and np.all((scores > 0) & (scores < 1)) and scores[0] > scores[1]


def test_models_are_kept_by_the_rankers_that_can_feed_them(reranker: Reranker) -> None:
    english = {"dense": reranker.primary.requires["dense"], "lexical": reranker.primary.requires["lexical"]}
    assert reranker.usable_with(english) is None
    only_english = reranker.for_rankers(english)
    assert only_english is not None and only_english.models == (reranker.models[1],)
    # Another multilingual model under the same key: its cosine is not the feature the model learned.
    other_use = reranker.for_rankers({**english, USE_KEY: "other@512"})
    assert other_use is not None and other_use.models == only_english.models
    both = reranker.for_rankers({**english, USE_KEY: reranker.primary.requires[USE_KEY]})
    assert both is not None and both.models == reranker.models
    assert reranker.for_rankers({"dense": "other@384"}) is None
    assert "needs dense=" in (reranker.usable_with({"dense": "other@384"}) or "")
    with pytest.raises(KeyError):
        reranker.score({"dense:cos": np.zeros(2)})


def test_unreadable_model_files_fall_back_to_fusion(tmp_path) -> None:
    path = tmp_path / "reranker.json"
    path.write_text(json.dumps({"format": 1, "kind": "logistic"}), encoding="utf-8")
    assert load_reranker(path) is None
    path.write_text(json.dumps({"format": 2, "models": []}), encoding="utf-8")
    assert load_reranker(path) is None
    model = LogisticModel(
        features=("a",), mean=np.zeros(1), scale=np.ones(1), coef=np.ones(1), intercept=0.0, requires={}, info={}
    )
    path.write_text(json.dumps(Reranker(models=(model,)).to_json()), encoding="utf-8")
    loaded = load_reranker(path)
    assert loaded is not None and loaded.score({"a": np.asarray([0.0])})[0] == pytest.approx(0.5)


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
    used = Matcher(rankers=rankers, reranker=reranker).reranker
    assert used is not None and used.models == (reranker.models[1],)  # no USE ranker: the English model


def test_hybrid_uses_the_reranker_with_the_real_model(real_encoder, make_client) -> None:
    with make_client(real_encoder, multilingual=False) as client:
        for path in seed_files():
            assert client.post("/sources", json={"text": path.read_text(encoding="utf-8")}).status_code == 201
        body = {"text": "North Korea sent more than 10,000 soldiers to Kursk", "k": 5, "per_source": True}
        matches = client.post("/claims/match", json=body).json()["matches"]
        assert len(matches) == 5 and all("rerank" in m["scores"] for m in matches)
        assert [m["score"] for m in matches] == sorted((m["score"] for m in matches), reverse=True)
        assert sum(bool(re.search(r"\d", m["claim"]["text"])) for m in matches) >= 3
