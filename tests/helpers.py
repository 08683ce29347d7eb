"""Test helpers shared by several test modules."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 (a free port) in a thread, lifespan included; yields its base URL."""
    import threading
    import time

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the test server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def claim_review(claim: str, url: str, rating: str, **changes: Any) -> dict[str, Any]:
    """A minimal ClaimReview (JSON-LD) of a made-up fact desk: what POST /fact-checks needs and no more."""
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": claim,
        "author": {"@type": "Organization", "name": "Fact Desk"},
        "itemReviewed": {"@type": "Claim"},
        "reviewRating": {"@type": "Rating", "alternateName": rating},
        **changes,
    }
