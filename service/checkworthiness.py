"""Check-worthiness: how much a claim is worth checking, 0..1, from a small logistic regression.

The model (trained by ``bench/train_checkworthiness.py`` on ClaimBuster plus the extraction gold set)
is a logistic regression over three blocks of features:

- the claim's sentence embedding, the very vector ingest already computed for the index (so scoring
  costs no second encoding) — only when it comes from the model the weights were trained with;
- a few language-neutral cues (digits, percentages, money, years, a question, first/second person,
  modal verbs, length);
- TF-IDF of word unigrams and bigrams with every number written as "0".

Scoring needs numpy only: the vocabulary, IDF and coefficients are read from a small JSON file shipped
in the package (``service/data/checkworthiness.json``), so nothing is unpickled and nothing is fetched.
A deployment whose encoder is not the one the weights were trained with falls back to the second head
of the same file, trained without the embedding block.
"""

# Typographic quotes and non-Latin letters in the patterns are deliberate.
# ruff: noqa: RUF001

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

import numpy as np

from embeddings import ModelId

__all__ = ["WEIGHTS_PATH", "CheckworthinessScorer", "cue_features", "default_scorer", "tfidf_tokens"]

WEIGHTS_PATH: Final = Path(__file__).resolve().parent / "data" / "checkworthiness.json"

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_TOKEN = re.compile(r"(?u)\b\w+\b")
_DIGIT = re.compile(r"\d")
_PERCENT = re.compile(r"%|\bper ?cent\b|\bпроцент|\bpour ?cent", re.IGNORECASE)
_MONEY = re.compile(
    r"[$€£¥₽]|\b(?:dollars?|euros?|kroner|krona|pounds?|billion|million|trillion|milliards?|млн|млрд)\b", re.I
)
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
_PERSONAL = re.compile(r"\b(?:I|I'm|I've|we|we'll|we're|you|je|nous|vous|я|мы|вы)\b", re.IGNORECASE)
_MODAL = re.compile(r"\b(?:will|should|must|going to|need to|devons|doit|должны|будем)\b", re.IGNORECASE)
CUE_NAMES: Final = ("digit", "percent", "money", "year", "question", "length", "personal", "modal")


def cue_features(text: str) -> list[float]:
    """Language-neutral cues of a claim, in the order of `CUE_NAMES`."""
    words = len(text.split())
    return [
        float(bool(_DIGIT.search(text))),
        float(bool(_PERCENT.search(text))),
        float(bool(_MONEY.search(text))),
        float(bool(_YEAR.search(text))),
        float(text.rstrip().endswith("?")),
        min(words, 60) / 30,
        float(bool(_PERSONAL.search(text))),
        float(bool(_MODAL.search(text))),
    ]


def tfidf_tokens(text: str) -> list[str]:
    """Unigrams and bigrams of the lower-cased text with numbers as "0" (what the vectoriser saw)."""
    words = _TOKEN.findall(_NUMBER.sub("0", text.lower()))
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


@dataclass(frozen=True, slots=True)
class _Head:
    embedding: np.ndarray | None  # (dim,) or None for the lexical head
    cues: np.ndarray  # (len(CUE_NAMES),)
    terms: np.ndarray  # (vocabulary,)
    bias: float
    threshold: float
    # `terms` as Python floats: scoring reads one per token, and a NumPy scalar read costs ten times more.
    term_list: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckworthinessScorer:
    """Scores claims 0..1; ``threshold`` is where F1 peaked in cross-validation."""

    model: str  # the embedding model the full head was trained with, as ``name@dim``
    vocabulary: dict[str, int]
    idf: np.ndarray
    full: _Head
    lexical: _Head
    metrics: dict[str, Any]
    idf_list: tuple[float, ...] = ()  # `idf` as Python floats (see `_Head.term_list`)

    @property
    def threshold(self) -> float:
        return self.full.threshold

    @classmethod
    def load(cls, path: Path = WEIGHTS_PATH) -> CheckworthinessScorer:
        """Reads the weights file written by ``bench/train_checkworthiness.py``."""
        data = json.loads(path.read_text(encoding="utf-8"))
        vocabulary = {term: index for index, term in enumerate(data["vocabulary"])}

        def head(raw: dict[str, Any]) -> _Head:
            embedding = raw.get("embedding")
            terms = np.asarray(raw["terms"], dtype=np.float64)
            return _Head(
                embedding=None if embedding is None else np.asarray(embedding, dtype=np.float64),
                cues=np.asarray(raw["cues"], dtype=np.float64),
                terms=terms,
                bias=float(raw["bias"]),
                threshold=float(raw["threshold"]),
                term_list=tuple(terms.tolist()),
            )

        idf = np.asarray(data["idf"], dtype=np.float64)
        return cls(
            model=data["model"],
            vocabulary=vocabulary,
            idf=idf,
            idf_list=tuple(idf.tolist()),
            full=head(data["full"]),
            lexical=head(data["lexical"]),
            metrics=data.get("metrics", {}),
        )

    def term_vector(self, text: str) -> dict[int, float]:
        """Sparse, L2-normalised TF-IDF of a text (sublinear term frequency, like the trainer's)."""
        counts = Counter(i for token in tfidf_tokens(text) if (i := self.vocabulary.get(token)) is not None)
        idf = self.idf_list or self.idf.tolist()
        weights = {i: (1.0 + math.log(n)) * idf[i] for i, n in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return {i: w / norm for i, w in weights.items()} if norm else {}

    def score(self, *, vectors: np.ndarray | None, texts: Sequence[str], model: ModelId | None) -> np.ndarray:
        """Probability that each claim is worth checking.

        Args:
            vectors: The claims' unit-length embeddings, one row per text (ignored when ``model`` is
                not the model the weights were trained with).
            texts: The claims' context texts.
            model: Which model ``vectors`` come from.

        Returns:
            float64 scores in 0..1, one per text.
        """
        use_embedding = vectors is not None and model is not None and str(model) == self.model
        head = self.full if use_embedding else self.lexical
        scores = np.empty(len(texts), dtype=np.float64)
        terms = head.term_list or head.terms.tolist()
        for row, text in enumerate(texts):
            logit = head.bias + float(np.dot(head.cues, cue_features(text)))
            logit += sum(terms[i] * w for i, w in self.term_vector(text).items())
            if use_embedding and head.embedding is not None and vectors is not None:
                logit += float(np.dot(head.embedding, vectors[row]))
            scores[row] = 1.0 / (1.0 + math.exp(-max(min(logit, 40.0), -40.0)))
        return scores


@cache
def default_scorer() -> CheckworthinessScorer:
    """The scorer shipped with the package, loaded once."""
    return CheckworthinessScorer.load()
