"""The check-worthiness scorer: shipped weights, both heads, and agreement with how it was trained."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings import Encoder, ModelId
from service.checkworthiness import WEIGHTS_PATH, CheckworthinessScorer, cue_features, default_scorer, tfidf_tokens
from tests.helpers import HashingEncoder

FACTUAL = [
    "Unemployment fell to 4.1% in March, the lowest rate since 2019.",
    "The government spent $2.3 billion on the program last year, twice as much as in 2020.",
    "North Korea sent more than 10,000 soldiers to the Kursk region, according to intelligence agencies.",
]
NOT_CHECKWORTHY = [
    "I think we should all be a little kinder to each other.",
    "Thank you very much, it is great to be here tonight.",
    "What are we going to do about it?",
]


@pytest.fixture(scope="module")
def scorer() -> CheckworthinessScorer:
    return default_scorer()


def test_weights_file_is_small_and_complete(scorer: CheckworthinessScorer) -> None:
    assert WEIGHTS_PATH.stat().st_size < 1_000_000
    assert scorer.model == "all-MiniLM-L6-v2@384"
    assert scorer.full.embedding is not None and scorer.full.embedding.shape == (384,)
    assert scorer.lexical.embedding is None
    assert len(scorer.idf) == len(scorer.vocabulary) == len(scorer.full.terms) == len(scorer.lexical.terms)
    assert 0.0 < scorer.threshold < 1.0
    heldout = scorer.metrics["full"]["claimbuster_heldout"]
    assert {"precision", "recall", "f1"} <= set(heldout)


def test_tokens_write_numbers_as_zero() -> None:
    assert tfidf_tokens("Exports rose 18.5% to 1,200 tonnes") == [
        "exports", "rose", "0", "to", "0", "tonnes", "exports rose", "rose 0", "0 to", "to 0", "0 tonnes",
    ]  # fmt: skip
    assert cue_features("It rose 5% in 2024?")[:5] == [1.0, 1.0, 0.0, 1.0, 1.0]


def test_term_vector_is_unit_length(scorer: CheckworthinessScorer) -> None:
    vector = scorer.term_vector(FACTUAL[0])
    assert vector
    assert abs(sum(w * w for w in vector.values()) - 1.0) < 1e-9
    assert scorer.term_vector("") == {}


def test_lexical_head_for_another_encoder(scorer: CheckworthinessScorer) -> None:
    # A deployment with another model (here: no vectors at all) still gets scores, from the lexical head.
    scores = scorer.score(vectors=None, texts=FACTUAL + NOT_CHECKWORTHY, model=ModelId(name="other", dim=64))
    assert scores.shape == (6,)
    assert np.all((scores >= 0) & (scores <= 1))
    assert scores[:3].min() > scores[3:].max()


def test_full_head_with_the_real_encoder(scorer: CheckworthinessScorer, real_encoder: Encoder) -> None:
    texts = FACTUAL + NOT_CHECKWORTHY
    vectors = real_encoder.encode_documents(texts)
    scores = scorer.score(vectors=vectors, texts=texts, model=real_encoder.model_id)
    assert np.all(scores[:3] >= scorer.threshold)
    assert np.all(scores[3:] < scorer.threshold)
    # The embedding block matters: the full head does not equal the lexical one.
    lexical = scorer.score(vectors=None, texts=texts, model=None)
    assert not np.allclose(scores, lexical)


def test_wrong_dimension_vectors_are_not_used(scorer: CheckworthinessScorer) -> None:
    vectors = np.ones((1, 64), dtype=np.float32) / 8
    [score] = scorer.score(vectors=vectors, texts=[FACTUAL[0]], model=ModelId(name="test-hashing", dim=64))
    [lexical] = scorer.score(vectors=None, texts=[FACTUAL[0]], model=None)
    assert score == lexical


def test_claims_carry_the_models_decision_beside_the_score(make_client, scorer: CheckworthinessScorer) -> None:
    article = (
        "The city council approved a budget of 4.2 million euros for school repairs on Tuesday, the mayor said. "
        "Officials said 38 schools would get new roofs before the winter. "
        "It was a lovely evening and everyone enjoyed the music at the park. "
        "I think we should all be a little kinder to each other this year."
    )
    with make_client(HashingEncoder()) as client:
        claims = client.post("/sources", json={"text": article}).json()["claims"]
    assert len(claims) >= 3
    for claim in claims:
        assert claim["checkworthy"] == (claim["checkworthiness"] >= scorer.threshold), claim
    decisions = {claim["checkworthy"] for claim in claims}
    assert decisions == {True, False}, [(c["text"][:40], c["checkworthiness"]) for c in claims]
