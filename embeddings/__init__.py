"""The numeric core: sentence encoders and the FAISS claim index. Knows nothing of HTTP or the database."""

from embeddings.encoder import DEFAULT_MODEL_NAME, Encoder, ModelId, TextEncoder, default_model_path
from embeddings.index import ClaimIndex, IndexLoadError, Manifest

__all__ = [
    "DEFAULT_MODEL_NAME",
    "ClaimIndex",
    "Encoder",
    "IndexLoadError",
    "Manifest",
    "ModelId",
    "TextEncoder",
    "default_model_path",
]
