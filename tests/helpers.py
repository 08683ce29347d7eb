"""Test helpers shared by several test modules."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embeddings import ModelId
from embeddings.encoder import normalize_rows

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"


class HashingEncoder:
    """Deterministic bag-of-words vectors: fast, and texts sharing words are close."""

    def __init__(self, dim: int = 64) -> None:
        self._model_id = ModelId(name="test-hashing", dim=dim)
        self.documents_encoded = 0
        self.queries_encoded = 0

    @property
    def model_id(self) -> ModelId:
        return self._model_id

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._model_id.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self._model_id.dim] += 1.0
        return normalize_rows(out)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.queries_encoded += len(texts)
        return self._encode(texts)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.documents_encoded += len(texts)
        return self._encode(texts)


def seed_files() -> list[Path]:
    return sorted(p for p in SEEDS.glob("*.md") if p.name.lower() != "readme.md")
