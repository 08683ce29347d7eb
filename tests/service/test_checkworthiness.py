"""The check-worthiness scorer: shipped weights, the fine-tuned graph and its fallback to the LR's two heads."""

# ruff: noqa: RUF001

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from embeddings import Encoder, ModelId
from embeddings.onnx import OnnxEncoder
from embeddings.use import same_space_but_ukrainian
from service import checkworthiness as checkworthiness_module
from service.checkworthiness import (
    DECISION,
    FINETUNED_META_PATH,
    FINETUNED_PATH,
    MULTILINGUAL_PATH,
    WEIGHTS_PATH,
    CheckworthinessScorer,
    MultilingualHead,
    cue_features,
    default_scorer,
    encode_and_score,
    in_their_language,
    tfidf_tokens,
)
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


@pytest.fixture(scope="module")
def onnx_encoder() -> OnnxEncoder:
    """The MiniLM int8 encoder (its graph, and the fine-tuned one, are made in the user cache on first use)."""
    return OnnxEncoder()


def test_weights_file_is_small_and_complete(scorer: CheckworthinessScorer) -> None:
    assert WEIGHTS_PATH.stat().st_size < 1_000_000
    assert scorer.threshold == DECISION == 0.5
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


def test_the_fine_tuned_model_is_shipped_small_with_its_calibration(scorer: CheckworthinessScorer) -> None:
    assert FINETUNED_PATH.stat().st_size < 8_000_000
    assert scorer.finetuned is not None and scorer.finetuned.head == FINETUNED_PATH
    assert scorer.finetuned.slope > 0
    meta = json.loads(FINETUNED_META_PATH.read_text(encoding="utf-8"))
    heldout = meta["metrics"]["claimbuster_heldout"]
    # Shipped only because it beats the LR on the same held-out fifth.
    assert heldout["f1"] > meta["metrics"]["logistic_regression_same_heldout"]["f1"]
    # The score's 0.5 is the calibrated decision: just above the logit threshold is check-worthy, just below not.
    t = scorer.finetuned.logit_threshold
    low, at, high = scorer.finetuned.calibrate(np.array([t - 1e-6, t, t + 1.0]))
    assert low < DECISION <= at < high


def test_the_fine_tuned_graph_scores_with_the_onnx_encoder(
    scorer: CheckworthinessScorer, onnx_encoder: OnnxEncoder
) -> None:
    texts = FACTUAL + NOT_CHECKWORTHY
    vectors = onnx_encoder.encode_documents(texts)
    scores = scorer.score(vectors=vectors, texts=texts, model=onnx_encoder.model_id, encoder=onnx_encoder)
    assert scorer.graph_for(onnx_encoder) is not None
    assert scores.shape == (6,) and np.all((scores >= 0) & (scores <= 1))
    assert np.all(scores[:3] >= scorer.threshold), scores
    assert np.all(scores[3:] < scorer.threshold), scores
    assert scores[:3].min() > scores[3:].max()
    # Not the LR in disguise: the same texts get other scores from it (compared as logits: both are sure here).
    lr = scorer.score_lr(vectors=vectors, texts=texts, model=onnx_encoder.model_id)
    assert np.abs(_logits(scores) - _logits(lr)).max() > 1.0, (scores, lr)
    # One text per pass: a text's score does not depend on the others scored with it.
    [alone] = scorer.score(vectors=vectors[:1], texts=texts[:1], model=onnx_encoder.model_id, encoder=onnx_encoder)
    assert alone == pytest.approx(scores[0], abs=1e-6)
    assert scorer.score(vectors=vectors[:0], texts=[], model=onnx_encoder.model_id, encoder=onnx_encoder).shape == (0,)


def test_one_pass_gives_the_encoders_vectors_and_the_fine_tuned_scores(onnx_encoder: OnnxEncoder) -> None:
    texts = FACTUAL + NOT_CHECKWORTHY
    before = onnx_encoder.documents_encoded
    vectors, scores = encode_and_score(onnx_encoder, texts)
    assert onnx_encoder.documents_encoded == before + len(texts)
    np.testing.assert_allclose(vectors, onnx_encoder.encode_documents(texts), atol=1e-5)
    scorer = default_scorer()
    np.testing.assert_allclose(scores, scorer.score(vectors=vectors, texts=texts, model=None, encoder=onnx_encoder))
    # Another encoder: its own vectors, the LR's scores.
    hashing = HashingEncoder()
    vectors, scores = encode_and_score(hashing, texts)
    np.testing.assert_array_equal(vectors, hashing.encode_documents(texts))
    np.testing.assert_array_equal(scores, scorer.score_lr(vectors=vectors, texts=texts, model=hashing.model_id))


def _logits(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1.0 - p))


def test_another_encoder_gets_the_logistic_regression(scorer: CheckworthinessScorer) -> None:
    encoder = HashingEncoder()
    texts = FACTUAL + NOT_CHECKWORTHY
    vectors = encoder.encode_documents(texts)
    scores = scorer.score(vectors=vectors, texts=texts, model=encoder.model_id, encoder=encoder)
    np.testing.assert_array_equal(scores, scorer.score_lr(vectors=vectors, texts=texts, model=encoder.model_id))
    assert scorer.graph_for(encoder) is None and scorer.graph_for(None) is None


def test_a_graph_that_cannot_be_built_falls_back_to_the_lr_logged_once(
    onnx_encoder: OnnxEncoder, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_graph(**_: object) -> Path:
        raise RuntimeError("ONNX export failed: no torch here")

    monkeypatch.setattr(checkworthiness_module, "ensure_graph", no_graph)
    scorer = CheckworthinessScorer.load()  # a fresh scorer: nothing loaded yet
    texts = FACTUAL[:1] + NOT_CHECKWORTHY[:1]
    vectors = onnx_encoder.encode_documents(texts)
    with caplog.at_level(logging.WARNING, logger="service.checkworthiness"):
        first = scorer.score(vectors=vectors, texts=texts, model=onnx_encoder.model_id, encoder=onnx_encoder)
        second = scorer.score(vectors=vectors, texts=texts, model=onnx_encoder.model_id, encoder=onnx_encoder)
    lr = scorer.score_lr(vectors=vectors, texts=texts, model=onnx_encoder.model_id)
    np.testing.assert_array_equal(first, lr)
    np.testing.assert_array_equal(second, lr)
    warnings = [r for r in caplog.records if "logistic regression scores" in r.getMessage()]
    assert len(warnings) == 1 and "no torch here" in warnings[0].getMessage()


def test_layers_of_another_base_model_or_none_shipped_mean_the_lr(onnx_encoder: OnnxEncoder, tmp_path: Path) -> None:
    texts = FACTUAL[:1]
    vectors = onnx_encoder.encode_documents(texts)
    lr = default_scorer().score_lr(vectors=vectors, texts=texts, model=onnx_encoder.model_id)
    # Not shipped (a deployment that dropped the files): the LR, as before the fine-tuned model.
    none = CheckworthinessScorer.load(finetuned=tmp_path / "missing.json")
    assert none.finetuned is None
    assert none.score(vectors=vectors, texts=texts, model=onnx_encoder.model_id, encoder=onnx_encoder) == lr
    # Trained on another base model (fingerprint): the layers do not fit this encoder's bottom layers.
    meta = json.loads(FINETUNED_META_PATH.read_text(encoding="utf-8"))
    meta["base_model_fingerprint"] = "0" * 16
    (tmp_path / FINETUNED_META_PATH.name).write_text(json.dumps(meta), encoding="utf-8")
    shutil.copy(FINETUNED_PATH, tmp_path / FINETUNED_PATH.name)
    other = CheckworthinessScorer.load(finetuned=tmp_path / FINETUNED_META_PATH.name)
    assert other.finetuned is not None
    assert other.score(vectors=vectors, texts=texts, model=onnx_encoder.model_id, encoder=onnx_encoder) == lr
    assert other.graph_for(onnx_encoder) is None


def test_the_api_decision_is_the_fine_tuned_models(make_client, onnx_encoder: OnnxEncoder) -> None:
    article = (
        "The regional hospital treated 1,240 patients for heatstroke in July, three times as many as a year before. "
        "Ticket prices on the northern rail line rose by 12% on January 1, the operator said. "
        "We hope you enjoy the rest of the festival and come back next summer."
    )
    scorer = default_scorer()
    with make_client(onnx_encoder) as client:
        claims = client.post("/sources", json={"text": article}).json()["claims"]
    assert len(claims) >= 2
    texts = [c["context_text"] or c["text"] for c in claims]
    expected = scorer.score(vectors=None, texts=texts, model=onnx_encoder.model_id, encoder=onnx_encoder)
    for claim, score in zip(claims, expected, strict=True):
        assert claim["checkworthiness"] == pytest.approx(score, abs=1e-4), claim
        assert claim["checkworthy"] == (claim["checkworthiness"] >= DECISION), claim


# Our own sentences, in the languages the multilingual encoder reads: factual and checkable, or not.
OTHER_LANGUAGES_FACTUAL = [
    ("ru", "Инфляция в мае составила 3,1%, это самый высокий уровень с 2019 года."),
    ("fr", "Le chômage a baissé à 7,1 % au premier trimestre, selon l'Insee."),
    ("de", "Die Regierung gab im vergangenen Jahr 2,3 Milliarden Euro für das Programm aus."),
    ("ko", "정부는 지난해 이 사업에 23억 달러를 썼다."),
    ("es", "El desempleo bajó al 11,2% en marzo, el nivel más bajo desde 2008."),
]
OTHER_LANGUAGES_NOT = [
    ("ru", "Спасибо всем, что пришли сегодня вечером."),
    ("fr", "Qu'allons-nous faire maintenant ?"),
    ("de", "Ich glaube, wir sollten alle etwas freundlicher zueinander sein."),
    ("ko", "오늘 이 자리에 와 주셔서 정말 감사합니다."),
    ("es", "Espero que disfruten del resto de la noche."),
]


def test_the_multilingual_head_is_shipped_for_the_packaged_encoder(use_encoder) -> None:
    head = MultilingualHead.load(MULTILINGUAL_PATH)
    # Trained on no Ukrainian: it serves the encoder whichever way Ukrainian is read.
    assert head is not None and same_space_but_ukrainian(head.model, str(use_encoder.model_id))
    assert head.weights.shape == (use_encoder.model_id.dim,) and 0 < head.threshold < 1
    assert MULTILINGUAL_PATH.stat().st_size < 50_000
    # The translated held-out figures it was chosen on are in the file, beside the English models' on the same.
    for figures in head.metrics["translated_heldout"]["per_language"].values():
        assert figures["multilingual_head"]["f1"] > figures["english_model"]["f1"]


def test_claims_in_other_languages_are_scored_by_the_multilingual_head(use_encoder) -> None:
    texts = [t for _, t in OTHER_LANGUAGES_FACTUAL + OTHER_LANGUAGES_NOT]
    languages = [lang for lang, _ in OTHER_LANGUAGES_FACTUAL + OTHER_LANGUAGES_NOT]
    english = np.full(len(texts), 0.3)  # what the English models said
    scores = in_their_language(
        english, languages=languages, vectors=use_encoder.encode_documents(texts), model=use_encoder.model_id
    )
    factual, other = scores[: len(OTHER_LANGUAGES_FACTUAL)], scores[len(OTHER_LANGUAGES_FACTUAL) :]
    assert (factual >= DECISION).all(), factual
    assert (other < DECISION).all(), other


def test_english_unknown_languages_and_another_encoder_keep_the_english_score(use_encoder) -> None:
    texts = ["Инфляция в мае составила 3,1%.", "Inflation was 3.1% in May.", "Инфляция в мае составила 3,1%."]
    vectors = use_encoder.encode_documents(texts)
    english = np.asarray([0.1, 0.2, 0.3])
    scores = in_their_language(english, languages=["ru", "en", None], vectors=vectors, model=use_encoder.model_id)
    assert scores[0] != 0.1 and scores[1:].tolist() == [0.2, 0.3]
    other = ModelId(name="another-multilingual-model", dim=vectors.shape[1])
    assert in_their_language(english, languages=["ru"] * 3, vectors=vectors, model=other).tolist() == [0.1, 0.2, 0.3]
    assert in_their_language(english, languages=["ru"] * 3, vectors=None, model=use_encoder.model_id) is english


def test_ingest_and_reindex_score_other_languages_with_the_multilingual_head(
    use_encoder, make_client, tmp_path: Path
) -> None:
    """A Russian article's claims get the head's score at ingest; stored while the encoder was off, at reindex."""
    from sqlmodel import Session, select

    from service.config import Settings
    from service.db import make_engine
    from service.models import Claim
    from service.multilingual import USE_KEY
    from service.reindex import reindex

    head = MultilingualHead.load(MULTILINGUAL_PATH)
    assert head is not None
    russian = "Инфляция в мае составила 3,1%, сообщил Центральный банк. Спасибо всем, что пришли сегодня."
    english = "Inflation was 3.1% in May, the central bank said. The bank will meet again in July."
    fake = HashingEncoder()
    data_dir = tmp_path / "data"
    with make_client(fake, data_dir=data_dir) as client:  # multilingual off: the English models score everything
        assert client.post("/sources", json={"text": russian, "language": "ru"}).status_code == 201
    with make_client(fake, data_dir=data_dir, extra_encoders={USE_KEY: use_encoder}) as client:
        ru = client.post("/sources", json={"text": russian + " Банк соберётся снова в июле.", "language": "ru"})
        en = client.post("/sources", json={"text": english, "language": "en"})
    assert ru.status_code == en.status_code == 201
    texts = [c["context_text"] or c["text"] for c in ru.json()["claims"]]
    for claim, score in zip(ru.json()["claims"], head.score(use_encoder.encode_documents(texts)).tolist(), strict=True):
        assert claim["checkworthiness"] == pytest.approx(score, abs=1e-4), claim
    english_texts = [c["context_text"] or c["text"] for c in en.json()["claims"]]
    english_scores = default_scorer().score(vectors=None, texts=english_texts, model=None)  # the fake: the LR
    for claim, score in zip(en.json()["claims"], english_scores.tolist(), strict=True):
        assert claim["checkworthiness"] == pytest.approx(score, abs=1e-4), claim

    settings = Settings(data_dir=data_dir, multilingual=True)
    report = reindex(settings, encoder=fake, extra_encoders={USE_KEY: use_encoder})
    assert report["encoders"][USE_KEY]["checkworthiness_rescored"] >= 1  # the claims of the first article
    engine = make_engine(settings)
    with Session(engine) as session:
        stored = [c for c in session.exec(select(Claim)).all() if c.language == "ru"]
        assert len(stored) >= 2
        vectors = use_encoder.encode_documents([c.context_text or c.text for c in stored])
        for claim, score in zip(stored, head.score(vectors).tolist(), strict=True):
            assert claim.checkworthiness == pytest.approx(score, abs=1e-3), claim.text
    engine.dispose()
    again = reindex(settings, encoder=fake, extra_encoders={USE_KEY: use_encoder})
    assert again["encoders"][USE_KEY]["checkworthiness_rescored"] == 0
