"""Test helpers shared by several test modules."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embeddings import ModelId
from embeddings.encoder import BaseEncoder, normalize_rows

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"


class HashingEncoder(BaseEncoder):
    """Deterministic bag-of-words vectors: fast, and texts sharing words are close."""

    def __init__(self, dim: int = 64) -> None:
        super().__init__(ModelId(name="test-hashing", dim=dim))

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._model_id.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self._model_id.dim] += 1.0
        return normalize_rows(out)


def seed_files() -> list[Path]:
    return sorted(p for p in SEEDS.glob("*.md") if p.name.lower() != "readme.md")
