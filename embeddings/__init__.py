"""The numeric core: sentence encoders and the FAISS claim index. Knows nothing of HTTP or the database."""

import os

# Before torch and faiss load their OpenMP runtimes, which read it once. With the default (threads spin while
# waiting for work) torch, faiss and numpy fight over two cores: a single query's MiniLM encoding measured
# p50 695 ms on a busy 2-core machine by default and 106 ms with PASSIVE (see BASELINES.md for idle cores).
# An explicit setting in the environment still wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from embeddings.encoder import (
    DEFAULT_MODEL_NAME,
    ENCODER_BACKENDS,
    Encoder,
    ModelId,
    TextEncoder,
    default_model_path,
    load_encoder,
)
from embeddings.index import ClaimIndex, IndexLoadError, IndexOptions, Manifest

__all__ = [
    "DEFAULT_MODEL_NAME",
    "ENCODER_BACKENDS",
    "ClaimIndex",
    "Encoder",
    "IndexLoadError",
    "IndexOptions",
    "Manifest",
    "ModelId",
    "TextEncoder",
    "default_model_path",
    "load_encoder",
]
