"""A FAISS index of claim vectors keyed by the database's claim ids.

The index is derived data: the database holds every claim's vector and the index can always be
rebuilt from it. Vectors are unit length (see `embeddings.encoder`), so inner product is cosine.

Two kinds of storage sit behind one `ClaimIndex`:

- ``flat``: exact search over float32 vectors (`IndexIDMap2(IndexFlatIP)`), 4 bytes per dimension. Best
  while a query over every vector is cheap (about 5 ms per 100k MiniLM vectors on one core).
- ``hnsw``: an HNSW graph over 8-bit scalar-quantized vectors (`IndexHNSWSQ`, 1 byte per dimension plus
  the graph), 1 to 2 ms per query at 100k vectors on a busy 2-core machine, growing with log(size). HNSW
  cannot remove a vector, so a removed or replaced claim leaves a *tombstone*: its slot's id becomes -1
  and searches skip it through a bitmap selector. When tombstones pass `IndexOptions.compact_fraction`
  of the slots, the graph is rebuilt in the background.

`IndexOptions.kind` ``"auto"`` keeps the flat kind below `IndexOptions.threshold` vectors and switches to
HNSW above it; the switch (like a compaction) builds the new index in a background thread from the current
one while searches and writes go on, then replays the writes made meanwhile and swaps it in.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import faiss
import numpy as np

from embeddings.encoder import ModelId, normalize_rows

logger = logging.getLogger(__name__)

MANIFEST_VERSION = 1
# FAISS's type stubs lack the HNSW search parameters and take the SQ type as an object.
_untyped: Any = faiss

IndexKind = Literal["flat", "hnsw"]
KindSetting = Literal["auto", "flat", "hnsw"]
INDEX_KINDS: tuple[str, ...] = ("auto", "flat", "hnsw")


class IndexLoadError(Exception):
    """The index file or its manifest is missing, unreadable or inconsistent."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """What is stored next to the index file so a stale or foreign index is recognised.

    `count` is the number of live vectors; `slots` also counts an HNSW index's tombstones. Manifests written
    before the index had kinds have neither `kind` nor `slots` and describe a flat index.
    """

    model: str
    dim: int
    count: int
    version: int = MANIFEST_VERSION
    kind: str = "flat"
    slots: int | None = None


@dataclass(frozen=True, slots=True)
class IndexOptions:
    """How a `ClaimIndex` stores and searches its vectors.

    The defaults come from `bench/index.py` on MiniLM embeddings: at 100k vectors HNSW32 with ef_search 128
    keeps recall@10 ≈ 0.99 of exact search (8-bit vectors alone cost ≈ 0.006 of it); at 1M (real vectors
    plus noisy copies) it falls to 0.951, and ef_search 512 gives 0.976 in 1.8 ms, 0.992 once the service
    re-scores 4 x k candidates with their float32 vectors (`service/matching.py`).

    Attributes:
        kind: ``"flat"`` (exact, float32), ``"hnsw"`` (approximate, SQ8) or ``"auto"`` (flat below
            `threshold` vectors, HNSW from there on).
        threshold: Size at which ``"auto"`` switches to HNSW; it switches back below half of it.
        min_approximate: An explicit ``"hnsw"`` stays flat below this many vectors: the 8-bit quantizer
            learns each dimension's range from the vectors present when the graph is built.
        hnsw_m: Graph neighbours per node (memory: about 8 bytes per neighbour per vector).
        ef_construction: Candidate list while building (build time vs graph quality).
        ef_search: Candidate list while searching (latency vs recall); at least `k` is used.
        exact_below: A search limited by `allowed_ids` to fewer vectors than this is exact over those vectors
            (HNSW with a very selective filter would miss neighbours).
        compact_fraction: Rebuild an HNSW index once this fraction of its slots are tombstones.
        mmap: Map the saved file instead of reading it (fast start); the first write copies it into memory.
        background: Switches and compactions run in a background thread (False: in the writing call).
    """

    kind: KindSetting = "flat"
    threshold: int = 30_000
    min_approximate: int = 5_000
    hnsw_m: int = 32
    ef_construction: int = 80
    ef_search: int = 512
    exact_below: int = 20_000
    compact_fraction: float = 0.1
    mmap: bool = False
    background: bool = True

    def __post_init__(self) -> None:
        if self.kind not in INDEX_KINDS:
            raise ValueError(f"index kind {self.kind!r} is not one of {', '.join(INDEX_KINDS)}")

    def target_kind(self, size: int, current: IndexKind) -> IndexKind:
        """The kind an index of `size` live vectors should have, given the kind it has now."""
        if self.kind == "flat":
            return "flat"
        start = self.threshold if self.kind == "auto" else self.min_approximate
        if current == "hnsw":
            # Hysteresis: a store hovering around the threshold does not flip back and forth.
            return "flat" if size < start // 2 else "hnsw"
        return "hnsw" if size >= start else "flat"


class _ReadWriteLock:
    """Many concurrent readers or one writer; FAISS allows concurrent searches but not search during add.

    A waiting writer blocks new readers, so a steady stream of searches cannot starve ingest.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


@contextmanager
def _single_thread(active: bool) -> Iterator[None]:
    """One OpenMP thread for this call (the setting is per calling thread, so other threads keep theirs).

    A single query is faster on one thread here: with two, FAISS splits tiny loops and the threads
    contend with the encoder (flat search over 1M vectors measured 54 ms on 1 thread, 135 ms on 2).
    """
    if not active:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _as_ids(ids: Collection[int] | np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(
        np.fromiter(ids, dtype=np.int64) if not isinstance(ids, np.ndarray) else ids, dtype=np.int64
    )


def _manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")


# A temp file of a save older than this was left by a process killed while saving (a 1M save takes seconds).
STALE_TEMP_SECONDS = 3600


def _remove_stale_temps(path: Path) -> None:
    """Deletes temp files of `path` that a save killed mid-write left behind (a 1M index's are gigabytes)."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for tmp in path.parent.glob(f".{path.name}.*"):
        try:
            if tmp.is_file() and tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                logger.info("index: removed %s, left by an interrupted save", tmp.name)
        except OSError:  # another process removed it first, or it is not ours to remove
            continue


def _atomic_write(path: Path, data: bytes | memoryview) -> None:
    """Writes to a temp file in the same directory, fsyncs, then renames over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _top_k(scores: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The `k` best (score, id) pairs, best first, padded with -1 ids like a FAISS result row."""
    if scores.size > k:
        part = np.argpartition(-scores, k - 1)[:k]
        scores, ids = scores[part], ids[part]
    order = np.argsort(-scores, kind="stable")
    out_s = np.full(k, -np.inf, dtype=np.float32)
    out_i = np.full(k, -1, dtype=np.int64)
    out_s[: order.size] = scores[order]
    out_i[: order.size] = ids[order]
    return out_s, out_i


class _FlatBackend:
    """Exact search: `IndexIDMap2(IndexFlatIP)`, float32, removal by id."""

    kind: IndexKind = "flat"

    def __init__(self, dim: int, raw: Any = None) -> None:
        self.dim = dim
        self.index: Any = raw if raw is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def slots(self) -> int:
        return len(self)

    @property
    def tombstones(self) -> int:
        return 0

    def ids(self) -> np.ndarray:
        return faiss.vector_to_array(self.index.id_map).astype(np.int64, copy=True)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        # IndexIDMap2 would silently keep duplicates; replacing keeps ids unique.
        self.index.remove_ids(faiss.IDSelectorBatch(ids))
        self.index.add_with_ids(vectors, ids)

    def remove(self, ids: np.ndarray) -> int:
        return int(self.index.remove_ids(faiss.IDSelectorBatch(ids)))

    def search(
        self, q: np.ndarray, k: int, allowed: np.ndarray | None, excluded: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        selector: Any = None
        keep_alive: list[object] = []
        if allowed is not None:
            selector = faiss.IDSelectorBatch(allowed)
            keep_alive.append(selector)
        if excluded is not None:
            batch = faiss.IDSelectorBatch(excluded)
            not_excluded = faiss.IDSelectorNot(batch)
            keep_alive += [batch, not_excluded]
            if selector is None:
                selector = not_excluded
            else:
                both = faiss.IDSelectorAnd(selector, not_excluded)
                keep_alive.append(both)
                selector = both
        params = faiss.SearchParameters(sel=selector) if selector is not None else None  # type: ignore[call-arg]
        scores, ids = self.index.search(q, k, params=params)
        del keep_alive  # selectors must outlive the search call
        return scores, ids

    def vectors(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        try:
            return ids, np.asarray(self.index.reconstruct_batch(ids), dtype=np.float32).reshape(-1, self.dim)
        except RuntimeError:
            pass  # some id is unknown (deleted meanwhile): fall back to one lookup each
        found: list[int] = []
        rows: list[np.ndarray] = []
        for i in ids.tolist():
            try:
                rows.append(np.asarray(self.index.reconstruct(i), dtype=np.float32))
            except RuntimeError:
                continue
            found.append(i)
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(found, dtype=np.int64), np.vstack(rows).astype(np.float32)


class _HnswBackend:
    """`IndexIDMap(IndexHNSWSQ)`: HNSW over 8-bit vectors; removal leaves tombstones (slot id -1).

    FAISS's own id map translates ids for its search, but a selector written in ids cannot tell a
    replaced claim's old slot from its new one; so searches go to the inner HNSW with a bitmap over slots,
    and this class keeps the slot -> id view (`_labels`, the id map's own memory) and a sorted id -> slot
    map (`_keys`, `_slots`) for lookups by id.
    """

    kind: IndexKind = "hnsw"

    def __init__(self, dim: int, options: IndexOptions, raw: Any = None) -> None:
        self.dim = dim
        self.options = options
        if raw is None:
            inner = _untyped.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit, options.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = options.ef_construction
            raw = faiss.IndexIDMap(inner)
        self.index: Any = raw
        self._inner: Any = faiss.downcast_index(raw.index)
        self._labels = np.zeros(0, dtype=np.int64)
        self._keys = np.zeros(0, dtype=np.int64)
        self._slots = np.zeros(0, dtype=np.int64)
        self._alive = np.zeros(0, dtype=np.uint8)  # bitmap over slots, bit set = live (little-endian bits)
        self._dead = 0
        self._reload_maps()

    @property
    def trained(self) -> bool:
        return bool(self._inner.is_trained)

    def train(self, sample: np.ndarray, quantizer: np.ndarray | None = None) -> None:
        """Learns the 8-bit ranges from `sample`, or takes them from another HNSW index (`quantizer`)."""
        storage: Any = faiss.downcast_index(self._inner.storage)
        if quantizer is not None:
            faiss.copy_array_to_vector(np.ascontiguousarray(quantizer, dtype=np.float32), storage.sq.trained)
            storage.is_trained = True
            self._inner.is_trained = True
            self.index.is_trained = True
        else:
            self.index.train(sample)

    def quantizer_state(self) -> np.ndarray:
        storage: Any = faiss.downcast_index(self._inner.storage)
        return faiss.vector_to_array(storage.sq.trained).copy()

    def _label_view(self) -> np.ndarray:
        n = int(self.index.ntotal)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        # A writable view of the id map's memory, taken again after every add (the vector may move).
        return faiss.rev_swig_ptr(self.index.id_map.data(), n)

    def _reload_maps(self) -> None:
        self._labels = self._label_view()
        live = np.flatnonzero(self._labels >= 0)
        order = np.argsort(self._labels[live], kind="stable")
        self._keys = self._labels[live][order].astype(np.int64)
        self._slots = live[order].astype(np.int64)
        self._alive = np.packbits(self._labels >= 0, bitorder="little")
        self._dead = int(self._labels.size - live.size)

    def __len__(self) -> int:
        return int(self._keys.size)

    @property
    def slots(self) -> int:
        return int(self._labels.size)

    @property
    def tombstones(self) -> int:
        return self._dead

    def ids(self) -> np.ndarray:
        return self._keys.copy()

    def lookup(self, ids: np.ndarray) -> np.ndarray:
        """Slot of each id, -1 where the id is not live."""
        if self._keys.size == 0 or ids.size == 0:
            return np.full(ids.shape, -1, dtype=np.int64)
        where = np.searchsorted(self._keys, ids)
        where_c = np.minimum(where, self._keys.size - 1)
        hit = self._keys[where_c] == ids
        return np.where(hit, self._slots[where_c], -1)

    def _bury(self, slots: np.ndarray) -> None:
        """Turns slots into tombstones and drops their ids from the lookup map."""
        if slots.size == 0:
            return
        ids = self._labels[slots]
        self._labels[slots] = -1
        np.bitwise_and.at(self._alive, slots >> 3, ~(np.left_shift(1, slots & 7).astype(np.uint8)))
        keep = ~np.isin(self._keys, ids)
        self._keys, self._slots = self._keys[keep], self._slots[keep]
        self._dead += int(slots.size)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if not self.trained:
            self.train(vectors)
        old = self.lookup(ids)
        self._bury(old[old >= 0])
        first = int(self.index.ntotal)
        self.index.add_with_ids(vectors, ids)
        self._labels = self._label_view()
        new_slots = np.arange(first, first + ids.size, dtype=np.int64)
        if self._keys.size == 0 or ids.min() > self._keys[-1]:
            # Claim ids grow, so the usual add appends to the sorted map.
            order = np.argsort(ids, kind="stable")
            self._keys = np.concatenate([self._keys, ids[order]])
            self._slots = np.concatenate([self._slots, new_slots[order]])
        else:
            keys = np.concatenate([self._keys, ids])
            slots = np.concatenate([self._slots, new_slots])
            order = np.argsort(keys, kind="stable")
            self._keys, self._slots = keys[order], slots[order]
        grown = (self._labels.size + 7) // 8
        if grown > self._alive.size:
            self._alive = np.concatenate([self._alive, np.zeros(grown - self._alive.size, dtype=np.uint8)])
        np.bitwise_or.at(self._alive, new_slots >> 3, np.left_shift(1, new_slots & 7).astype(np.uint8))

    def remove(self, ids: np.ndarray) -> int:
        slots = self.lookup(ids)
        slots = np.unique(slots[slots >= 0])
        self._bury(slots)
        return int(slots.size)

    def _exact(self, q: np.ndarray, k: int, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact inner products against the (8-bit) vectors of the given slots."""
        rows = (
            np.asarray(self._inner.reconstruct_batch(slots), dtype=np.float32).reshape(-1, self.dim)
            if slots.size
            else np.zeros((0, self.dim), dtype=np.float32)
        )
        scores = np.clip(q @ normalize_rows(rows).T, -1.0, 1.0)
        out_s = np.empty((q.shape[0], k), dtype=np.float32)
        out_i = np.empty((q.shape[0], k), dtype=np.int64)
        for row in range(q.shape[0]):
            out_s[row], out_i[row] = _top_k(scores[row], slots, k)
        return out_s, out_i

    def search(
        self, q: np.ndarray, k: int, allowed: np.ndarray | None, excluded: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        ef = max(self.options.ef_search, k)
        bitmap: np.ndarray | None = None
        if allowed is not None:
            slots = self.lookup(allowed)
            slots = slots[slots >= 0]
            if excluded is not None:
                slots = slots[~np.isin(slots, self.lookup(excluded))]
            if slots.size < self.options.exact_below:
                slots = np.unique(slots)  # a repeated id would be returned twice
                scores, found = self._exact(q, k, slots)
                return scores, np.where(found >= 0, self._labels[np.maximum(found, 0)], -1)
            member = np.zeros(self._alive.size * 8, dtype=bool)
            member[slots] = True
            bitmap = np.packbits(member, bitorder="little")
            # The graph walk visits filtered-out nodes without keeping them: widen it as the filter narrows.
            ef = min(1024, int(ef * max(1.0, len(self) / max(1, slots.size))))
        elif excluded is not None:
            gone = self.lookup(excluded)
            gone = gone[gone >= 0]
            bitmap = self._alive.copy()
            np.bitwise_and.at(bitmap, gone >> 3, ~(np.left_shift(1, gone & 7).astype(np.uint8)))
        elif self._dead:
            bitmap = self._alive
        selector = faiss.IDSelectorBitmap(self._labels.size, faiss.swig_ptr(bitmap)) if bitmap is not None else None
        params = _untyped.SearchParametersHNSW(efSearch=ef, sel=selector)
        scores, found = self._inner.search(q, k, params=params)
        del selector, bitmap  # the selector reads the bitmap until here
        # 8-bit vectors are not exactly unit length: keep cosines within [-1, 1] for callers' thresholds.
        return np.clip(scores, -1.0, 1.0), np.where(found >= 0, self._labels[np.maximum(found, 0)], -1)

    def vectors(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        slots = self.lookup(ids)
        present = slots >= 0
        if not present.any():
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dim), dtype=np.float32)
        rows = np.asarray(self._inner.reconstruct_batch(slots[present]), dtype=np.float32).reshape(-1, self.dim)
        # Decoding leaves a norm slightly off 1; re-normalising halves the cosine error.
        return ids[present], normalize_rows(rows)


def _new_backend(kind: IndexKind, dim: int, options: IndexOptions, raw: Any = None) -> _FlatBackend | _HnswBackend:
    if kind == "hnsw":
        return _HnswBackend(dim, options, raw)
    return _FlatBackend(dim, raw)


class ClaimIndex:
    """Inner-product search over claim vectors, ids = claim primary keys; exact or HNSW (see the module doc).

    Thread-safe: any number of concurrent `search` calls, writes (`add`, `remove`) exclusive.
    """

    # How many vectors a background rebuild copies per step while holding the read lock.
    REBUILD_CHUNK = 50_000
    TRAIN_SAMPLE = 100_000

    def __init__(self, model_id: ModelId, options: IndexOptions | None = None) -> None:
        """Creates an empty index.

        Args:
            model_id: The encoder whose vectors this index holds; its dim sizes the index.
            options: Kind and tuning; default: exact search only (``kind="flat"``).
        """
        self.model_id = model_id
        self.options = options or IndexOptions()
        self._backend: _FlatBackend | _HnswBackend = _FlatBackend(model_id.dim)
        self._lock = _ReadWriteLock()
        self._mapped = False  # the backend views a memory-mapped file: copy it before writing
        # Changes so far, and (file, changes) when that file was last loaded or saved: saving the same contents
        # there again would rewrite gigabytes at 1M claims for nothing (at every server shutdown).
        self._changes = 0
        self._clean: tuple[Path, int] | None = None
        self._journal: list[tuple[str, np.ndarray, np.ndarray | None]] | None = None
        self._rebuild_thread: threading.Thread | None = None
        self._rebuild_guard = threading.Lock()
        self._cancel = threading.Event()  # set: a background rebuild stops at its next chunk
        self.last_rebuild_error: BaseException | None = None
        self._bulk = False

    def __len__(self) -> int:
        return len(self._backend)

    @property
    def dim(self) -> int:
        return self.model_id.dim

    @property
    def kind(self) -> IndexKind:
        """The storage in use now (``"flat"`` or ``"hnsw"``), whatever the options ask for."""
        return self._backend.kind

    @property
    def tombstones(self) -> int:
        """Slots of removed or replaced vectors an HNSW index still holds (0 for flat)."""
        return self._backend.tombstones

    @property
    def rebuilding(self) -> bool:
        return self._rebuild_thread is not None

    def ids(self) -> np.ndarray:
        """Returns the ids currently in the index (int64, unordered)."""
        with self._lock.read():
            return self._backend.ids()

    def _materialize(self) -> None:
        """Copies a memory-mapped index into memory (FAISS cannot grow a mapped one). Holds the write lock."""
        if self._mapped:
            raw = faiss.deserialize_index(faiss.serialize_index(self._backend.index))
            self._backend = _new_backend(self._backend.kind, self.dim, self.options, raw)
            self._mapped = False

    def add(self, ids: Collection[int] | np.ndarray, vectors: np.ndarray) -> None:
        """Adds vectors under the given ids; an id already present is replaced.

        Args:
            ids: Claim ids, one per row, no repeats.
            vectors: Array of shape ``(len(ids), dim)``, unit rows.

        Raises:
            ValueError: On a shape mismatch or a repeated id.
        """
        id_arr = _as_ids(ids)
        vecs = np.ascontiguousarray(vectors, dtype=np.float32)
        if vecs.ndim != 2 or vecs.shape[1] != self.dim or vecs.shape[0] != id_arr.shape[0]:
            raise ValueError(f"expected {id_arr.shape[0]} vectors of dim {self.dim}, got {vecs.shape}")
        if id_arr.size == 0:
            return
        if np.unique(id_arr).size != id_arr.size:
            raise ValueError("an id is repeated in one add")
        with self._lock.write():
            self._materialize()
            self._changes += 1
            self._backend.add(id_arr, vecs)
            if self._journal is not None:
                self._journal.append(("add", id_arr, vecs))
        self._maybe_rebuild()

    def remove(self, ids: Collection[int] | np.ndarray) -> int:
        """Removes the given ids; unknown ids are ignored.

        Args:
            ids: Claim ids.

        Returns:
            How many vectors were removed.
        """
        id_arr = _as_ids(ids)
        if id_arr.size == 0:
            return 0
        with self._lock.write():
            self._materialize()
            removed = self._backend.remove(id_arr)
            self._changes += 1
            if self._journal is not None:
                self._journal.append(("remove", id_arr, None))
        self._maybe_rebuild()
        return removed

    def search(
        self,
        queries: np.ndarray,
        k: int,
        *,
        allowed_ids: Collection[int] | np.ndarray | None = None,
        excluded_ids: Collection[int] | np.ndarray | None = None,
    ) -> list[list[tuple[int, float]]]:
        """Finds the `k` nearest claims for each query (approximately with the HNSW kind).

        Args:
            queries: Array ``(n, dim)`` or a single vector ``(dim,)``.
            k: Neighbours per query.
            allowed_ids: If given, only these ids can be returned.
            excluded_ids: If given, these ids are never returned.

        Returns:
            One list per query of ``(claim_id, cosine)`` pairs, best first. With the HNSW kind the
            cosines are computed on 8-bit vectors (off by about 0.01 at most).
        """
        q = np.ascontiguousarray(queries, dtype=np.float32)
        if q.ndim == 1:
            q = q[None, :]
        if q.shape[1] != self.dim:
            raise ValueError(f"query dim {q.shape[1]} != index dim {self.dim}")
        if k <= 0 or q.shape[0] == 0:
            return [[] for _ in range(q.shape[0])]
        allowed = _as_ids(allowed_ids) if allowed_ids is not None else None
        if allowed is not None and allowed.size == 0:
            return [[] for _ in range(q.shape[0])]
        excluded = _as_ids(excluded_ids) if excluded_ids is not None else None
        if excluded is not None and excluded.size == 0:
            excluded = None
        with self._lock.read(), _single_thread(q.shape[0] == 1):
            kk = min(k, len(self._backend))
            if kk == 0:
                return [[] for _ in range(q.shape[0])]
            scores, ids = self._backend.search(q, kk, allowed, excluded)
        return [
            [(int(i), float(s)) for i, s in zip(id_row, score_row, strict=True) if i != -1]
            for id_row, score_row in zip(ids, scores, strict=True)
        ]

    def vectors(self, ids: Collection[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Looks up stored vectors by id (used to score candidates another ranker found).

        With the HNSW kind these are the 8-bit vectors decoded: cosines computed from them differ from
        the float32 ones by about 0.01 at most (measured by `bench/index.py`).

        Args:
            ids: Claim ids; ids not in the index are skipped.

        Returns:
            ``(found_ids, vectors)``: the ids present, in the given order, and their rows.
        """
        id_arr = _as_ids(ids)
        with self._lock.read():
            return self._backend.vectors(id_arr)

    # ------------------------------------------------------------------------------- switches, compaction

    def _wanted(self) -> IndexKind | None:
        """The kind to rebuild into now, or None if the current storage is fine."""
        backend = self._backend
        target = self.options.target_kind(len(backend), backend.kind)
        if target != backend.kind:
            return target
        if backend.tombstones and backend.tombstones >= self.options.compact_fraction * max(1, backend.slots):
            return target
        return None

    def _maybe_rebuild(self) -> None:
        if self._bulk:
            return
        target = self._wanted()
        if target is None:
            return
        with self._rebuild_guard:
            if self._rebuild_thread is not None:
                return
            if not self.options.background:
                self._rebuild(target)
                return
            thread = threading.Thread(target=self._rebuild, args=(target,), name="claim-index-rebuild", daemon=True)
            self._cancel.clear()
            self._rebuild_thread = thread
        thread.start()

    @contextmanager
    def bulk(self, expected: int) -> Iterator[ClaimIndex]:
        """Loads many vectors at once: picks the kind for `expected` vectors up front, switches after.

        Without it a rebuild of 1M vectors would grow a float32 flat index and convert it while it grows.
        The HNSW kind learns its 8-bit ranges from the first batch added, so add batches of thousands.

        Args:
            expected: How many vectors are about to be added.
        """
        with self._lock.write():
            self._bulk = True
            if len(self._backend) == 0 and self.options.target_kind(expected, "flat") != self._backend.kind:
                self._backend = _new_backend(self.options.target_kind(expected, "flat"), self.dim, self.options)
                self._changes += 1
                self._mapped = False
        try:
            yield self
        finally:
            self._bulk = False
            self._maybe_rebuild()

    def cancel_rebuild(self, timeout: float | None = None) -> bool:
        """Stops a background switch or compaction at its next chunk (the current index stays); returns False if
        it is still running after `timeout`. A process must not end with a rebuild thread inside FAISS."""
        self._cancel.set()
        return self.wait_for_rebuild(timeout)

    def wait_for_rebuild(self, timeout: float | None = None) -> bool:
        """Waits for a background switch or compaction; returns False if it is still running."""
        thread = self._rebuild_thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _rebuild(self, target: IndexKind) -> None:
        """Builds a `target` index from the current one, then swaps it in.

        Searches and writes go on meanwhile: writes are journalled and replayed onto the new index under
        the write lock just before the swap. The copy is read in chunks, each under the read lock.
        """
        try:
            with self._lock.read():
                old = self._backend
                ids = old.ids()
                quantizer = old.quantizer_state() if isinstance(old, _HnswBackend) and old.trained else None
                self._journal = []
            logger.info(
                "index: building %s from %s (%d vectors, %d tombstones)", target, old.kind, ids.size, old.tombstones
            )
            new = _new_backend(target, self.dim, self.options)
            if isinstance(new, _HnswBackend):
                if quantizer is not None:
                    new.train(np.zeros((0, self.dim), dtype=np.float32), quantizer)
                elif ids.size:
                    pick = np.random.default_rng(0).choice(ids, size=min(ids.size, self.TRAIN_SAMPLE), replace=False)
                    with self._lock.read():
                        _, sample = old.vectors(np.sort(pick))
                    new.train(sample)
            for lo in range(0, ids.size, self.REBUILD_CHUNK):
                if self._cancel.is_set():
                    logger.info("index: building %s cancelled; %s stays", target, old.kind)
                    with self._lock.write():  # a writer appends to the journal under this lock
                        self._journal = None
                    return
                with self._lock.read():
                    found, vecs = old.vectors(ids[lo : lo + self.REBUILD_CHUNK])
                if found.size:
                    new.add(found, vecs)
            with self._lock.write():
                for op, op_ids, op_vecs in self._journal or []:
                    if op == "add" and op_vecs is not None:
                        new.add(op_ids, op_vecs)
                    else:
                        new.remove(op_ids)
                self._backend = new
                self._changes += 1
                self._journal = None
                self._mapped = False
            logger.info("index: now %s with %d vectors", target, len(new))
        except Exception as exc:  # the old index keeps serving; the next write tries again
            logger.exception("index: rebuild into %s failed", target)
            self.last_rebuild_error = exc
            with self._lock.write():  # a writer appends to the journal under this lock
                self._journal = None
        finally:
            self._rebuild_thread = None

    # ----------------------------------------------------------------------------------------- persistence

    def manifest(self) -> Manifest:
        """Returns the manifest describing the current contents."""
        backend = self._backend
        return Manifest(
            model=self.model_id.name, dim=self.dim, count=len(backend), kind=backend.kind, slots=backend.slots
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes the index and its manifest atomically (temp file, fsync, rename).

        The manifest is written last, so a crash between the two leaves a manifest whose count
        disagrees with the index and the next `load` rejects the pair.

        Args:
            path: The index file; the manifest goes to ``<path>.manifest.json``.
        """
        target = Path(path).resolve()
        with self._lock.read():
            if self._clean == (target, self._changes) and target.is_file() and _manifest_path(target).is_file():
                return  # the file already holds exactly this index
            data: Any = faiss.serialize_index(self._backend.index)  # uint8 array, written without a copy
            manifest = self.manifest()
            changes = self._changes
        _atomic_write(target, data)
        _atomic_write(_manifest_path(target), json.dumps(asdict(manifest)).encode())
        self._clean = (target, changes)  # a change made meanwhile has moved `_changes` on: not clean then

    @classmethod
    def load(cls, path: str | os.PathLike[str], model_id: ModelId, options: IndexOptions | None = None) -> ClaimIndex:
        """Reads an index written by `save` and checks it against its manifest and the model.

        The saved kind is kept; if the options want another one (or the tombstones call for a compaction),
        a rebuild starts in the background.

        Args:
            path: The index file.
            model_id: The encoder the caller will query with.
            options: Kind and tuning (`options.mmap` maps the file instead of reading it).

        Returns:
            The loaded index.

        Raises:
            IndexLoadError: If the file is missing, corrupt, for another model, or disagrees with its manifest.
        """
        options = options or IndexOptions()
        target = Path(path)
        try:
            raw_manifest = json.loads(_manifest_path(target).read_text())
            manifest = Manifest(**raw_manifest)
        except (OSError, ValueError, TypeError) as exc:
            raise IndexLoadError(f"index manifest unreadable: {exc}") from exc
        if manifest.version != MANIFEST_VERSION:
            raise IndexLoadError(f"index manifest version {manifest.version} != {MANIFEST_VERSION}")
        if (manifest.model, manifest.dim) != (model_id.name, model_id.dim):
            raise IndexLoadError(f"index built for {manifest.model}@{manifest.dim}, encoder is {model_id}")
        if manifest.kind not in ("flat", "hnsw"):
            raise IndexLoadError(f"unknown index kind {manifest.kind!r}")
        expected = {"flat": "IndexIDMap2", "hnsw": "IndexIDMap"}[manifest.kind]
        try:
            if not target.is_file():
                raise OSError(f"no file {target}")
            raw: Any = faiss.read_index(str(target), faiss.IO_FLAG_MMAP_IFC if options.mmap else 0)
        except (OSError, RuntimeError) as exc:
            raise IndexLoadError(f"index file unreadable: {exc}") from exc
        if raw.__class__.__name__ != expected or (
            manifest.kind == "hnsw" and faiss.downcast_index(raw.index).__class__.__name__ != "IndexHNSWSQ"
        ):
            raise IndexLoadError(f"unexpected index type {type(raw).__name__} for kind {manifest.kind}")
        kind: IndexKind = "hnsw" if manifest.kind == "hnsw" else "flat"
        backend = _new_backend(kind, model_id.dim, options, raw)
        slots = manifest.slots if manifest.slots is not None else manifest.count
        if raw.d != model_id.dim or len(backend) != manifest.count or backend.slots != slots:
            raise IndexLoadError(
                f"index holds {len(backend)} vectors of dim {raw.d}, manifest says {manifest.count} of {manifest.dim}"
            )
        index = cls(model_id, options)
        index._backend = backend
        index._mapped = options.mmap
        index._clean = (target.resolve(), 0)
        index._maybe_rebuild()
        return index
