"""Ukrainian read through Apertium's ukr-rus pair (embeddings/ukrainian.py) and what the encoder does without it."""
# ruff: noqa: RUF001

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from embeddings import ModelId
from embeddings.ukrainian import UkrainianReader
from embeddings.use import USE_DIM, USE_MODEL_NAME, USE_MODEL_NAME_UKRUS, MultilingualEncoder, same_space_but_ukrainian
from service.rerank import missing_ranker

READER = UkrainianReader.find()
needs_apertium = pytest.mark.skipif(
    READER is None, reason="Apertium's ukr-rus pair is not installed (apt-get install apertium apertium-rus-ukr)"
)
UKRAINIAN = "Унаслідок обстрілу загинули щонайменше 40 людей, повідомила обласна адміністрація."
ENGLISH = "At least 40 people were killed in the shelling, the regional administration said."


@needs_apertium
def test_a_batch_comes_back_in_russian_line_for_line() -> None:
    assert READER is not None
    texts = [UKRAINIAN, "", "Він заявив, що війська\n\nвідійшли з міста.", "Ціна ^ зросла на 5 $ [за] тонну / \\ день."]
    out = READER.to_russian(texts)
    assert len(out) == len(texts)
    assert "погибли" in out[0] and "40" in out[0] and "загинули" not in out[0]
    assert out[1] == ""
    assert "заявил" in out[2] and "\n" not in out[2]
    # Apertium's stream symbols are left out, and no word goes with them.
    assert "5" in out[3] and "тонну" in out[3] and "вырос" in out[3] and "^" not in out[3], out[3]
    assert READER.to_russian([]) == []


@needs_apertium
def test_ukrainian_lands_closer_to_its_english_and_other_languages_stay(use_encoder: MultilingualEncoder) -> None:
    fold = MultilingualEncoder(ukrainian_mt=False)
    assert use_encoder.model_id == ModelId(USE_MODEL_NAME_UKRUS, USE_DIM)
    assert fold.model_id == ModelId(USE_MODEL_NAME, USE_DIM)
    read, folded = use_encoder.encode_documents([UKRAINIAN, ENGLISH]), fold.encode_documents([UKRAINIAN, ENGLISH])
    assert read[0] @ read[1] > folded[0] @ folded[1] + 0.1
    others = ["В результате обстрела погибли 40 человек.", ENGLISH, "Au moins 40 personnes ont été tuées."]
    np.testing.assert_allclose(use_encoder.encode_documents(others), fold.encode_documents(others), atol=1e-6)


def test_without_apertium_ukrainian_keeps_the_fold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert UkrainianReader.find(pair=tmp_path) is None  # no pair files there
    monkeypatch.setattr(UkrainianReader, "find", classmethod(lambda cls, pair=None: None))
    assert MultilingualEncoder().model_id == ModelId(USE_MODEL_NAME, USE_DIM)


@needs_apertium
def test_a_failing_pipeline_leaves_the_fold_and_says_so(
    use_encoder: MultilingualEncoder, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fold = MultilingualEncoder(ukrainian_mt=False)

    def broken(self: UkrainianReader, texts: object) -> list[str]:
        raise RuntimeError("Apertium ukr-rus failed (1): boom")

    monkeypatch.setattr(UkrainianReader, "to_russian", broken)
    with caplog.at_level(logging.WARNING):
        vectors = use_encoder.encode_documents([UKRAINIAN])
    np.testing.assert_allclose(vectors, fold.encode_documents([UKRAINIAN]), atol=1e-6)
    assert "letter fold alone" in caplog.text and "boom" in caplog.text


def test_models_fitted_with_either_ukrainian_reading_serve_both() -> None:
    fold, read = f"{USE_MODEL_NAME}@{USE_DIM}", f"{USE_MODEL_NAME_UKRUS}@{USE_DIM}"
    assert same_space_but_ukrainian(fold, read) and same_space_but_ukrainian(read, read)
    assert not same_space_but_ukrainian(fold, "use-multilingual-v4@512")
    assert missing_ranker({"use": fold}, {"use": read}) is None
    assert missing_ranker({"use": fold}, {"use": "other@512"}) is not None
    assert missing_ranker({"use": fold}, {}) is not None


@needs_apertium
def test_a_store_made_with_the_fold_is_read_the_same_way(
    make_client, use_encoder: MultilingualEncoder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from service.config import Settings
    from service.reindex import reindex
    from tests.helpers import HashingEncoder

    data = tmp_path / "store"
    fold = MultilingualEncoder(ukrainian_mt=False)
    with make_client(HashingEncoder(), data_dir=data, extra_encoders={"use": fold}) as client:
        assert client.post("/sources", json={"text": UKRAINIAN}).status_code == 201
    # The same store under an encoder that reads Ukrainian through Apertium: it starts, and reads like the store.
    reader = MultilingualEncoder()
    assert reader.model_id == ModelId(USE_MODEL_NAME_UKRUS, USE_DIM)
    with (
        caplog.at_level(logging.WARNING),
        make_client(HashingEncoder(), data_dir=data, extra_encoders={"use": reader}) as client,
    ):
        body = client.post("/claims/match", json={"text": ENGLISH, "k": 1}).json()
        assert body["matches"] and body["matches"][0]["claim"]["text"] == UKRAINIAN
    assert reader.model_id == ModelId(USE_MODEL_NAME, USE_DIM)
    assert "reindex --reencode" in caplog.text
    assert reader.read_like("other@512") is False
    # `crosscheck reindex` keeps the store's reading; with --reencode the store moves to Apertium's.
    settings = Settings(data_dir=data, multilingual=True)
    kept = reindex(settings, encoder=HashingEncoder(), extra_encoders={"use": MultilingualEncoder()})
    assert kept["encoders"]["use"]["model"] == f"{USE_MODEL_NAME}@{USE_DIM}"
    moved = reindex(settings, encoder=HashingEncoder(), extra_encoders={"use": MultilingualEncoder()}, reencode=True)
    assert moved["encoders"]["use"]["model"] == f"{USE_MODEL_NAME_UKRUS}@{USE_DIM}"
