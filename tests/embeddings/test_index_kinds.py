"""ClaimIndex kinds: HNSW over 8-bit vectors, tombstones, compaction, automatic switch, persistence."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from embeddings import ClaimIndex, IndexLoadError, IndexOptions, ModelId
from embeddings.encoder import normalize_rows

MODEL = ModelId(name="unit", dim=32)
HNSW = IndexOptions(kind="hnsw", min_approximate=200, background=False)


def clustered(n: int, seed: int = 0, centres: int = 40) -> np.ndarray:
    """Unit vectors around a few centres, like sentence embeddings about a handful of topics."""
    rng = np.random.default_rng(seed)
    centre = normalize_rows(rng.normal(size=(centres, MODEL.dim)))
    return normalize_rows(centre[rng.integers(0, centres, n)] + 0.35 * rng.normal(size=(n, MODEL.dim)))


def exact_top(base: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    return ids[np.argsort(-(base @ query))[:k]].tolist()


def hnsw_index(n: int = 2000, seed: int = 0, options: IndexOptions = HNSW) -> tuple[ClaimIndex, np.ndarray, np.ndarray]:
    base = clustered(n, seed)
    ids = np.arange(n, dtype=np.int64) * 3 + 7  # ids unlike slots, so a slot/id mix-up shows
    index = ClaimIndex(MODEL, options)
    index.add(ids, base)
    return index, base, ids


def test_options_choose_the_kind_by_size_with_hysteresis() -> None:
    auto = IndexOptions(kind="auto", threshold=1000)
    assert auto.target_kind(999, "flat") == "flat"
    assert auto.target_kind(1000, "flat") == "hnsw"
    assert auto.target_kind(600, "hnsw") == "hnsw"  # stays until half the threshold
    assert auto.target_kind(499, "hnsw") == "flat"
    assert IndexOptions(kind="flat").target_kind(10**7, "flat") == "flat"
    assert IndexOptions(kind="hnsw", min_approximate=10).target_kind(5, "flat") == "flat"
    with pytest.raises(ValueError, match="not one of"):
        IndexOptions(kind="ivf")  # type: ignore[arg-type]


def test_hnsw_finds_nearly_what_exact_search_finds() -> None:
    index, base, ids = hnsw_index()
    assert index.kind == "hnsw" and len(index) == 2000
    queries = clustered(100, seed=5)
    recall = []
    for q, hits in zip(queries, index.search(queries, 10), strict=True):
        recall.append(len({i for i, _ in hits} & set(exact_top(base, ids, q, 10))) / 10)
        scores = [s for _, s in hits]
        assert scores == sorted(scores, reverse=True)
    assert np.mean(recall) >= 0.95
    # A stored vector finds itself first, with a cosine close to 1 computed on its 8-bit copy.
    [hits] = index.search(base[17], 3)
    assert hits[0][0] == ids[17] and hits[0][1] == pytest.approx(1.0, abs=0.01)


def test_hnsw_vectors_are_close_to_the_originals() -> None:
    index, base, ids = hnsw_index()
    wanted = np.asarray([ids[5], 999_999, ids[40]])
    found, vecs = index.vectors(wanted)
    assert found.tolist() == [ids[5], ids[40]]
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    query = clustered(1, seed=9)[0]
    assert np.abs(vecs @ query - base[[5, 40]] @ query).max() < 0.02


def test_hnsw_remove_and_readd_leave_tombstones_that_searches_skip() -> None:
    index, base, ids = hnsw_index(
        options=IndexOptions(kind="hnsw", min_approximate=200, background=False, compact_fraction=0.5)
    )
    victim = int(ids[10])
    assert index.remove([victim, 123_456_789]) == 1
    assert index.remove([victim]) == 0
    assert len(index) == 1999 and index.tombstones == 1 and victim not in set(index.ids().tolist())
    [hits] = index.search(base[10], 20)
    assert victim not in {i for i, _ in hits}
    assert index.vectors([victim])[0].size == 0

    # Re-adding an id (and replacing another) keeps one live copy, holding the new vector.
    moved = int(ids[11])
    index.add([victim, moved], base[[500, 501]])
    assert len(index) == 2000 and index.tombstones == 2
    [hits] = index.search(base[500], 5)
    assert [i for i, _ in hits].count(victim) == 1 and hits[0][1] > 0.99
    assert {hits[0][0], hits[1][0]} == {victim, int(ids[500])}
    [hits] = index.search(base[11], 5)
    assert moved not in {i for i, _ in hits}  # its old vector is a tombstone now
    assert sorted(index.ids().tolist()) == sorted(ids.tolist())


def test_hnsw_filters_exact_and_graph_paths() -> None:
    options = IndexOptions(kind="hnsw", min_approximate=200, background=False, exact_below=100)
    index, base, ids = hnsw_index(options=options)
    query = base[3]
    few = ids[:50]  # under exact_below: exact over those vectors
    [hits] = index.search(query, 5, allowed_ids=few, excluded_ids=[ids[3]])
    keep = np.arange(50) != 3
    expected = exact_top(base[:50][keep], ids[:50][keep], query, 5)
    assert len(hits) == 5 and {i for i, _ in hits} <= set(few.tolist()) - {int(ids[3])}
    assert len({i for i, _ in hits} & set(expected)) >= 4  # 8-bit vectors may swap a near tie
    many = ids[::2]  # 1000 ids: the graph walk with a bitmap
    [hits] = index.search(query, 10, allowed_ids=many)
    assert len(hits) == 10 and {i for i, _ in hits} <= set(many.tolist())
    [hits] = index.search(query, 10, excluded_ids=ids[:5])
    assert not {i for i, _ in hits} & set(ids[:5].tolist())
    assert index.search(query, 5, allowed_ids=[]) == [[]]
    assert index.search(query, 5, allowed_ids=[424242]) == [[]]


def test_compaction_drops_tombstones_and_keeps_every_live_vector() -> None:
    options = IndexOptions(kind="hnsw", min_approximate=200, background=False, compact_fraction=0.2)
    index, base, ids = hnsw_index(options=options)
    index.remove(ids[:300])
    assert index.tombstones == 300  # 15% of 2000 slots: not yet
    index.remove(ids[300:450])
    assert index.tombstones == 0 and index.kind == "hnsw" and len(index) == 1550
    assert sorted(index.ids().tolist()) == ids[450:].tolist()
    for row in (450, 999, 1999):
        [hits] = index.search(base[row], 1)
        assert hits[0][0] == ids[row]


def test_auto_switches_in_the_background_and_replays_concurrent_writes() -> None:
    options = IndexOptions(kind="auto", threshold=1500)
    index = ClaimIndex(MODEL, options)
    base = clustered(4000, seed=3)
    index.add(np.arange(1000), base[:1000])
    assert index.kind == "flat"
    index.REBUILD_CHUNK = 100  # many small steps, so writes land between them
    index.add(np.arange(1000, 1600), base[1000:1600])
    expected = set(range(1600))
    for i in range(1600, 2400):  # writes while the switch runs
        index.add([i], base[i : i + 1])
        expected.add(i)
        if i % 4 == 0:
            index.remove([i - 1500])
            expected.discard(i - 1500)
    assert index.wait_for_rebuild(timeout=60)
    assert index.last_rebuild_error is None
    assert index.kind == "hnsw"
    assert set(index.ids().tolist()) == expected and len(index) == len(expected)
    for i in (1, 701, 1650, 2399):
        [hits] = index.search(base[i], 1)
        assert hits[0][0] == i
    [hits] = index.search(base[104], 3)
    assert 104 not in {h for h, _ in hits}  # 104 = 1604 - 1500 was removed during the switch


def test_concurrent_searches_during_hnsw_writes() -> None:
    index, base, ids = hnsw_index(options=IndexOptions(kind="hnsw", min_approximate=200, compact_fraction=0.05))
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                [hits] = index.search(base[5], 3)
                assert hits[0][0] == ids[5]  # never removed, so always its own best match
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    extra = clustered(400, seed=8)
    for i in range(400):
        index.add([100_000 + i], extra[i : i + 1])
        if i % 2 == 0:
            index.remove([100_000 + i])
    stop.set()
    for t in threads:
        t.join()
    assert index.wait_for_rebuild(timeout=60)
    assert not errors
    assert len(index) == 2000 + 200


@pytest.mark.parametrize("mmap", [False, True])
def test_hnsw_save_load_keeps_tombstones(tmp_path: Path, mmap: bool) -> None:
    index, base, ids = hnsw_index(
        options=IndexOptions(kind="hnsw", min_approximate=200, background=False, compact_fraction=0.9)
    )
    index.remove(ids[:10])
    index.add([ids[20]], base[[30]])
    path = tmp_path / "claims.faiss"
    index.save(path)
    manifest = json.loads(path.with_name("claims.faiss.manifest.json").read_text())
    assert manifest["kind"] == "hnsw" and manifest["count"] == 1990 and manifest["slots"] == 2001
    options = IndexOptions(kind="hnsw", min_approximate=200, background=False, compact_fraction=0.9, mmap=mmap)
    loaded = ClaimIndex.load(path, MODEL, options)
    assert loaded.kind == "hnsw" and len(loaded) == 1990 and loaded.tombstones == 11
    queries = base[[0, 20, 30, 500]]
    assert loaded.search(queries, 5) == index.search(queries, 5)
    # A mapped index is copied into memory by the first write (FAISS cannot grow a mapped file).
    loaded.add([5], base[[0]])
    [hits] = loaded.search(base[0], 1)
    assert hits[0][0] == 5 and len(loaded) == 1991


def test_load_rejects_a_kind_or_slot_mismatch(tmp_path: Path) -> None:
    index, _, _ = hnsw_index()
    path = tmp_path / "claims.faiss"
    index.save(path)
    manifest_path = path.with_name("claims.faiss.manifest.json")
    good = manifest_path.read_text()
    manifest_path.write_text(good.replace('"kind": "hnsw"', '"kind": "flat"'))
    with pytest.raises(IndexLoadError, match="unexpected index type"):
        ClaimIndex.load(path, MODEL, HNSW)
    manifest_path.write_text(good.replace('"kind": "hnsw"', '"kind": "ivf"'))
    with pytest.raises(IndexLoadError, match="unknown index kind"):
        ClaimIndex.load(path, MODEL, HNSW)
    manifest_path.write_text(good.replace('"slots": 2000', '"slots": 2001'))
    with pytest.raises(IndexLoadError, match="manifest says"):
        ClaimIndex.load(path, MODEL, HNSW)


def test_a_flat_index_saved_before_kinds_existed_loads_and_switches(tmp_path: Path) -> None:
    base = clustered(600, seed=4)
    flat = ClaimIndex(MODEL)
    flat.add(np.arange(600), base)
    path = tmp_path / "claims.faiss"
    flat.save(path)
    manifest_path = path.with_name("claims.faiss.manifest.json")
    old = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({k: old[k] for k in ("model", "dim", "count", "version")}))
    assert ClaimIndex.load(path, MODEL).kind == "flat"
    switched = ClaimIndex.load(path, MODEL, IndexOptions(kind="auto", threshold=500))
    assert switched.wait_for_rebuild(timeout=60) and switched.kind == "hnsw" and len(switched) == 600


def test_bulk_load_builds_the_final_kind_directly() -> None:
    base = clustered(1200, seed=6)
    index = ClaimIndex(MODEL, IndexOptions(kind="auto", threshold=1000))
    with index.bulk(1200):
        assert index.kind == "hnsw"
        for lo in range(0, 1200, 400):
            index.add(np.arange(lo, lo + 400), base[lo : lo + 400])
    assert not index.rebuilding and index.kind == "hnsw" and len(index) == 1200
    small = ClaimIndex(MODEL, IndexOptions(kind="auto", threshold=1000))
    with small.bulk(10):
        small.add(np.arange(10), base[:10])
    assert small.kind == "flat"


def test_repeated_ids_in_one_add_are_refused() -> None:
    index = ClaimIndex(MODEL, HNSW)
    with pytest.raises(ValueError, match="repeated"):
        index.add([1, 1], clustered(2))


def test_a_background_switch_can_be_cancelled_or_finished(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shutdown stops the switch at its next chunk (the flat index stays, no thread is left inside FAISS);
    a bulk build waits for it, so the approximate index is what gets saved."""
    monkeypatch.setattr(ClaimIndex, "REBUILD_CHUNK", 100)
    base = clustered(1600)
    ids = np.arange(1600, dtype=np.int64)
    gate = threading.Event()

    def slow_index(options: IndexOptions) -> ClaimIndex:
        index = ClaimIndex(MODEL, options)
        old_vectors = type(index._backend).vectors  # the copy reads chunks through the backend

        def gated(self: object, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            gate.wait(5)
            return old_vectors(self, wanted)

        monkeypatch.setattr(type(index._backend), "vectors", gated)
        return index

    options = IndexOptions(kind="auto", threshold=1500, min_approximate=200)
    stopped = slow_index(options)
    stopped.add(ids, base)  # past the threshold: the switch to HNSW starts in the background
    assert stopped.rebuilding
    assert not stopped.cancel_rebuild(timeout=0)  # asked to stop while it waits on its first read
    gate.set()
    assert stopped.wait_for_rebuild(timeout=30) and not stopped.rebuilding
    assert stopped.kind == "flat" and len(stopped) == 1600

    finished = ClaimIndex(MODEL, options)
    finished.add(ids, base)
    assert finished.wait_for_rebuild(timeout=60) and finished.kind == "hnsw" and len(finished) == 1600
