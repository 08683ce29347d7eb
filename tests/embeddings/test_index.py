"""ClaimIndex: ids, filters, persistence, corruption, concurrency."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from embeddings import ClaimIndex, IndexLoadError, ModelId
from embeddings.encoder import normalize_rows

MODEL = ModelId(name="unit", dim=8)


def vectors(n: int, seed: int = 0) -> np.ndarray:
    return normalize_rows(np.random.default_rng(seed).normal(size=(n, MODEL.dim)))


def test_search_returns_ids_and_cosines_best_first() -> None:
    index = ClaimIndex(MODEL)
    vecs = vectors(20)
    ids = np.arange(100, 120)
    index.add(ids, vecs)
    [hits] = index.search(vecs[3], 5)
    assert hits[0][0] == 103 and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)
    expected = np.argsort(-(vecs @ vecs[3]))[:5] + 100
    assert [i for i, _ in hits] == expected.tolist()


def test_filters_and_remove() -> None:
    index = ClaimIndex(MODEL)
    vecs = vectors(10)
    index.add(range(10), vecs)
    [hits] = index.search(vecs[0], 10, excluded_ids=[0, 1, 2])
    assert {i for i, _ in hits} == set(range(3, 10))
    [hits] = index.search(vecs[0], 10, allowed_ids=[4, 5, 6], excluded_ids=[5])
    assert {i for i, _ in hits} == {4, 6}
    assert index.search(vecs[0], 3, allowed_ids=[]) == [[]]
    assert index.remove([0, 1, 99]) == 2
    assert len(index) == 8 and 0 not in set(index.ids().tolist())
    [hits] = index.search(vecs[0], 10)
    assert 0 not in {i for i, _ in hits}


def test_add_replaces_an_existing_id() -> None:
    index = ClaimIndex(MODEL)
    vecs = vectors(3)
    index.add([1, 2], vecs[:2])
    index.add([1], vecs[2:3])
    assert len(index) == 2
    [hits] = index.search(vecs[2], 1)
    assert hits[0][0] == 1 and hits[0][1] == pytest.approx(1.0, abs=1e-5)


def test_shape_errors() -> None:
    index = ClaimIndex(MODEL)
    with pytest.raises(ValueError, match="dim"):
        index.add([1], np.zeros((1, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="dim"):
        index.search(np.zeros(4, dtype=np.float32), 1)


def test_save_load_round_trip_and_rejections(tmp_path: Path) -> None:
    path = tmp_path / "idx" / "claims.faiss"
    index = ClaimIndex(MODEL)
    vecs = vectors(50)
    index.add(np.arange(50) * 7, vecs)
    index.save(path)
    loaded = ClaimIndex.load(path, MODEL)
    assert len(loaded) == 50
    assert loaded.search(vecs[:3], 4) == index.search(vecs[:3], 4)
    assert not list(path.parent.glob(".*"))  # no temp files left behind

    with pytest.raises(IndexLoadError, match="encoder is"):
        ClaimIndex.load(path, ModelId(name="other", dim=8))
    manifest = path.with_name(path.name + ".manifest.json")
    manifest.write_text(manifest.read_text().replace('"count": 50', '"count": 49'))
    with pytest.raises(IndexLoadError, match="manifest says 49"):
        ClaimIndex.load(path, MODEL)
    index.save(path)
    path.write_bytes(b"\0garbage" * 64)
    with pytest.raises(IndexLoadError, match="unreadable"):
        ClaimIndex.load(path, MODEL)
    manifest.unlink()
    with pytest.raises(IndexLoadError, match="manifest unreadable"):
        ClaimIndex.load(path, MODEL)


def test_concurrent_searches_with_a_writer() -> None:
    index = ClaimIndex(MODEL)
    base = vectors(200, seed=1)
    index.add(range(200), base)
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                [hits] = index.search(base[5], 3)
                # Id 5 is never removed, so it is always its own best match.
                assert hits[0][0] == 5
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    extra = vectors(300, seed=2)
    for i in range(300):
        index.add([1000 + i], extra[i : i + 1])
        if i % 3 == 0:
            index.remove([1000 + i])
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    assert len(index) == 200 + 200


def test_save_removes_temp_files_of_interrupted_saves_only_when_stale(tmp_path: Path) -> None:
    import os
    import time

    from embeddings import index as index_module

    path = tmp_path / "claims.faiss"
    stale, fresh, other = (tmp_path / ".claims.faiss.dead1", tmp_path / ".claims.faiss.live2", tmp_path / ".x.keep")
    for leftover in (stale, fresh, other):
        leftover.write_bytes(b"partial")
    old = time.time() - index_module.STALE_TEMP_SECONDS - 60
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    index = ClaimIndex(ModelId("m", 4))
    index.add([1], np.eye(4, dtype=np.float32)[:1])
    index.save(path)
    assert not stale.exists()  # left by a save killed mid-write
    assert fresh.exists()  # may be another process's save in progress
    assert other.exists()  # not a temp file of this index
    assert len(ClaimIndex.load(path, ModelId("m", 4))) == 1


def test_save_skips_rewriting_an_unchanged_index(tmp_path: Path) -> None:
    path = tmp_path / "claims.faiss"
    index = ClaimIndex(MODEL)
    index.add(np.arange(1, 6), vectors(5))
    index.save(path)
    first = path.stat().st_ino
    index.save(path)  # nothing changed: the same file stays
    assert path.stat().st_ino == first
    index.remove([99])  # unknown id: still counts as a write, so the next save writes
    index.save(path)
    assert path.stat().st_ino != first
    loaded = ClaimIndex.load(path, MODEL)
    second = path.stat().st_ino
    loaded.save(path)
    assert path.stat().st_ino == second
    loaded.add([7], vectors(1, seed=3))
    loaded.save(path)
    assert len(ClaimIndex.load(path, MODEL)) == 6
    other = tmp_path / "copy.faiss"
    loaded.save(other)  # another file is always written
    assert len(ClaimIndex.load(other, MODEL)) == 6
    path.unlink()  # the file went away: saving writes it again
    loaded.save(path)
    assert len(ClaimIndex.load(path, MODEL)) == 6
