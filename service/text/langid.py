"""py3langid's model, loaded once per process and quickly: both language detectors share it.

The package ships its model LZMA-compressed and inflates it at every load (about 1 s here, the largest part
of a server's first match). The extraction's detector (`service.extraction.language`) and the matcher's
(`service.multilingual`) each restrict it to their own languages; they now share one copy of the arrays, and
the inflated model is kept in a per-user cache (``~/.cache/crosscheck/langid/``, keyed by a hash of the
package's model file), so later processes read it without decompressing. The arrays are the package's own,
so detections are identical.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.encoder import user_cache_dir, write_atomic

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_model: tuple[Any, ...] | None = None


def _cache_file(model_file: Path) -> Path:
    digest = hashlib.sha256(model_file.read_bytes()).hexdigest()[:16]
    return user_cache_dir("langid") / f"model-{digest}.npz"


def _unsigned_array(values: np.ndarray) -> array:
    """An unsigned-integer numpy array as the stdlib array of the same item size (what the identifier walks)."""
    out = array({2: "H", 4: "I", 8: "Q"}[values.dtype.itemsize])
    out.frombytes(np.ascontiguousarray(values).tobytes())
    return out


def _from_npz(path: Path | Any) -> tuple[Any, ...]:
    # The same fields and conversions as py3langid's own `modelio.load_model`, from an uncompressed npz.
    with np.load(path, allow_pickle=False) as data:
        return (
            data["ptc"],
            data["pc"],
            data["classes"].tolist(),
            _unsigned_array(data["nextmove"]),
            _unsigned_array(data["nextmove_row"]),
            data["out_feat"].tolist(),
        )


def _load_model() -> tuple[Any, ...]:
    from py3langid.langid import MODEL_DIR, MODEL_FILE
    from py3langid.modelio import load_model

    model_file = Path(MODEL_FILE)
    if not model_file.is_absolute():  # the package names it relative to its own folder
        model_file = Path(MODEL_DIR) / model_file
    try:
        cached = _cache_file(model_file)
        if not cached.is_file():
            import lzma

            cached.parent.mkdir(parents=True, exist_ok=True)
            with lzma.open(model_file) as src:
                write_atomic(cached, lambda dst: shutil.copyfileobj(src, dst, 1 << 20))
        return _from_npz(cached)
    except Exception as exc:  # a cache must never stop detection from working
        logger.warning("language model: cache not used (%s); inflating the package's file", exc)
        return tuple(load_model(model_file))


def identifier(languages: Sequence[str]) -> Any:
    """A py3langid `LanguageIdentifier` restricted to `languages`, over the process's one copy of the model."""
    global _model
    from py3langid.langid import LanguageIdentifier

    with _lock:
        if _model is None:
            _model = _load_model()
        ptc, pc, classes, nextmove, row, output = _model
    found = LanguageIdentifier(np.asarray(ptc), np.asarray(pc), list(classes), nextmove, output, tk_row=row)
    found.set_languages(list(languages))
    return found
