"""The shared language model: same detections as py3langid's own loading, cached inflated, damage tolerated."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from service.text import langid

TEXTS = [
    "The council approved the plan on Tuesday.",
    "Le gouvernement a annoncé une hausse des impôts.",
    "Die Regierung hat gestern neue Regeln beschlossen.",
    "Уряд оголосив про нові правила.",
    "정부는 새로운 규칙을 발표했다.",
]
LANGUAGES = ["en", "fr", "de", "ru", "uk", "ko"]


def test_cached_model_detects_like_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    reference = LanguageIdentifier.from_model_file(MODEL_FILE)
    reference.set_languages(LANGUAGES)
    expected = [reference.classify(t) for t in TEXTS]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(langid, "_model", None)
    assert [langid.identifier(LANGUAGES).classify(t) for t in TEXTS] == expected
    [cached] = (tmp_path / "crosscheck" / "langid").glob("model-*.npz")
    monkeypatch.setattr(langid, "_model", None)  # a new process: reads the cache
    assert [langid.identifier(LANGUAGES).classify(t) for t in TEXTS] == expected
    cached.write_bytes(b"damaged")
    monkeypatch.setattr(langid, "_model", None)
    with caplog.at_level(logging.WARNING, logger=langid.__name__):
        assert [langid.identifier(LANGUAGES).classify(t) for t in TEXTS] == expected
    assert "cache not used" in caplog.text
