"""A FAISS index of claim vectors keyed by the database's claim ids.

The index is derived data: the database holds every claim's vector and the index can always be
rebuilt from it. Vectors are unit length (see `embeddings.encoder`), so inner product is cosine.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from embeddings.encoder import ModelId

MANIFEST_VERSION = 1


class IndexLoadError(Exception):
    """The index file or its manifest is missing, unreadable or inconsistent."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """What is stored next to the index file so a stale or foreign index is recognised."""

    model: str
    dim: int
    count: int
    version: int = MANIFEST_VERSION


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


def _as_ids(ids: Collection[int] | np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(
        np.fromiter(ids, dtype=np.int64) if not isinstance(ids, np.ndarray) else ids, dtype=np.int64
    )


def _manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")


def _atomic_write(path: Path, data: bytes) -> None:
    """Writes to a temp file in the same directory, fsyncs, then renames over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
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


class ClaimIndex:
    """Exact inner-product search over claim vectors, ids = claim primary keys.

    Thread-safe: any number of concurrent `search` calls, writes (`add`, `remove`) exclusive.
    """

    def __init__(self, model_id: ModelId) -> None:
        """Creates an empty index.

        Args:
            model_id: The encoder whose vectors this index holds; its dim sizes the index.
        """
        self.model_id = model_id
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(model_id.dim))
        self._lock = _ReadWriteLock()

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return self.model_id.dim

    def ids(self) -> np.ndarray:
        """Returns the ids currently in the index (int64, unordered)."""
        with self._lock.read():
            return faiss.vector_to_array(self._index.id_map).astype(np.int64, copy=True)

    def add(self, ids: Collection[int] | np.ndarray, vectors: np.ndarray) -> None:
        """Adds vectors under the given ids; an id already present is replaced.

        Args:
            ids: Claim ids, one per row.
            vectors: Array of shape ``(len(ids), dim)``, unit rows.

        Raises:
            ValueError: On a shape mismatch.
        """
        id_arr = _as_ids(ids)
        vecs = np.ascontiguousarray(vectors, dtype=np.float32)
        if vecs.ndim != 2 or vecs.shape[1] != self.dim or vecs.shape[0] != id_arr.shape[0]:
            raise ValueError(f"expected {id_arr.shape[0]} vectors of dim {self.dim}, got {vecs.shape}")
        if id_arr.size == 0:
            return
        with self._lock.write():
            # IndexIDMap2 would silently keep duplicates; replacing keeps ids unique.
            self._index.remove_ids(faiss.IDSelectorBatch(id_arr))
            self._index.add_with_ids(vecs, id_arr)

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
            return int(self._index.remove_ids(faiss.IDSelectorBatch(id_arr)))

    def search(
        self,
        queries: np.ndarray,
        k: int,
        *,
        allowed_ids: Collection[int] | np.ndarray | None = None,
        excluded_ids: Collection[int] | np.ndarray | None = None,
    ) -> list[list[tuple[int, float]]]:
        """Finds the `k` nearest claims for each query.

        Args:
            queries: Array ``(n, dim)`` or a single vector ``(dim,)``.
            k: Neighbours per query.
            allowed_ids: If given, only these ids can be returned.
            excluded_ids: If given, these ids are never returned.

        Returns:
            One list per query of ``(claim_id, cosine)`` pairs, best first.
        """
        q = np.ascontiguousarray(queries, dtype=np.float32)
        if q.ndim == 1:
            q = q[None, :]
        if q.shape[1] != self.dim:
            raise ValueError(f"query dim {q.shape[1]} != index dim {self.dim}")
        if k <= 0 or q.shape[0] == 0:
            return [[] for _ in range(q.shape[0])]
        selector: Any = None
        keep_alive: list[object] = []
        if allowed_ids is not None:
            allowed = _as_ids(allowed_ids)
            if allowed.size == 0:
                return [[] for _ in range(q.shape[0])]
            selector = faiss.IDSelectorBatch(allowed)
            keep_alive.append(selector)
        if excluded_ids is not None:
            excluded = _as_ids(excluded_ids)
            if excluded.size:
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
        with self._lock.read():
            kk = min(k, int(self._index.ntotal))
            if kk == 0:
                return [[] for _ in range(q.shape[0])]
            scores, ids = self._index.search(q, kk, params=params)
        del keep_alive  # selectors must outlive the search call
        return [
            [(int(i), float(s)) for i, s in zip(id_row, score_row, strict=True) if i != -1]
            for id_row, score_row in zip(ids, scores, strict=True)
        ]

    def vectors(self, ids: Collection[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Looks up stored vectors by id (used to score candidates another ranker found).

        Args:
            ids: Claim ids; ids not in the index are skipped.

        Returns:
            ``(found_ids, vectors)``: the ids present, in the given order, and their rows.
        """
        id_arr = _as_ids(ids)
        with self._lock.read():
            try:
                return id_arr, np.asarray(self._index.reconstruct_batch(id_arr), dtype=np.float32).reshape(-1, self.dim)
            except RuntimeError:
                pass  # some id is unknown (deleted meanwhile): fall back to one lookup each
            found: list[int] = []
            rows: list[np.ndarray] = []
            for i in id_arr.tolist():
                try:
                    rows.append(np.asarray(self._index.reconstruct(i), dtype=np.float32))
                except RuntimeError:
                    continue
                found.append(i)
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(found, dtype=np.int64), np.vstack(rows).astype(np.float32)

    def manifest(self) -> Manifest:
        """Returns the manifest describing the current contents."""
        return Manifest(model=self.model_id.name, dim=self.dim, count=len(self))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes the index and its manifest atomically (temp file, fsync, rename).

        The manifest is written last, so a crash between the two leaves a manifest whose count
        disagrees with the index and the next `load` rejects the pair.

        Args:
            path: The index file; the manifest goes to ``<path>.manifest.json``.
        """
        target = Path(path)
        with self._lock.read():
            data = faiss.serialize_index(self._index).tobytes()
            manifest = self.manifest()
        _atomic_write(target, data)
        _atomic_write(_manifest_path(target), json.dumps(asdict(manifest)).encode())

    @classmethod
    def load(cls, path: str | os.PathLike[str], model_id: ModelId) -> ClaimIndex:
        """Reads an index written by `save` and checks it against its manifest and the model.

        Args:
            path: The index file.
            model_id: The encoder the caller will query with.

        Returns:
            The loaded index.

        Raises:
            IndexLoadError: If the file is missing, corrupt, for another model, or disagrees with its manifest.
        """
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
        try:
            data = np.frombuffer(target.read_bytes(), dtype=np.uint8)
            raw: Any = faiss.deserialize_index(data)
        except (OSError, RuntimeError) as exc:
            raise IndexLoadError(f"index file unreadable: {exc}") from exc
        if not isinstance(raw, faiss.IndexIDMap2) and raw.__class__.__name__ != "IndexIDMap2":
            raise IndexLoadError(f"unexpected index type {type(raw).__name__}")
        if raw.d != model_id.dim or raw.ntotal != manifest.count:
            raise IndexLoadError(
                f"index holds {raw.ntotal} vectors of dim {raw.d}, manifest says {manifest.count} of {manifest.dim}"
            )
        index = cls(model_id)
        index._index = raw
        return index
