"""The learned reranker: features of (query, candidate) pairs and the small model that scores them.

Hybrid search gathers candidates from every ranker (dense encoders, BM25), then scores each candidate
with a logistic model over:

- every ranker's signals (``dense:cos``, ``lexical:bm25``, ...), each also as its gap to the query's best
  candidate and as the reciprocal of the candidate's rank in that ranker's list (0 if that ranker did not
  retrieve it) -- so fusion weights are learned, and a new ranker is a new set of feature columns;
- text overlap that embeddings blur: shared content words, names (capitalised words), numbers and years,
  with the claim and with the source's title;
- the claim's length.

The models are one JSON file (``service/data/reranker.json``) written by ``bench/train_reranker.py`` from
the CLEF2020 *train* split only: one for a matcher with the multilingual USE ranker (its cosine is a feature:
free, the query is encoded for cross-lingual search anyway) and one for the English rankers alone. Each names
the features it was trained on and the rankers it needs; the matcher keeps the models its rankers can feed,
and if none (another embedding model, no FTS5), hybrid search falls back to reciprocal-rank fusion rather
than feeding a model features it never saw.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, TypeVar

import numpy as np

from embeddings.use import same_space_but_ukrainian
from service.lexical import STOPWORDS

logger = logging.getLogger(__name__)
Loaded = TypeVar("Loaded")

MODEL_PATH: Final = Path(__file__).resolve().parent / "data" / "reranker.json"
FORMAT_VERSION: Final = 2
RRF_K: Final = 60

_WORD: Final = re.compile(r"\w+", re.UNICODE)
_NAME: Final = re.compile(r"\b[A-Z][\w'\u2019-]*[a-z][\w'\u2019-]*\b|\b[A-Z]{2,}\b")
_NUMBER: Final = re.compile(r"\d[\d,.]*\d|\d")
_YEAR: Final = re.compile(r"\b(?:1[89]|20)\d{2}\b")


@dataclass(frozen=True, slots=True)
class CandidateText:
    """What the overlap features read of a candidate."""

    text: str
    title: str | None


@dataclass(frozen=True, slots=True)
class _Terms:
    words: frozenset[str]
    names: frozenset[str]
    numbers: frozenset[str]
    years: frozenset[str]
    length: int


def _stem(word: str) -> str:
    # A crude plural/verb-ending fold so "soldiers" meets "soldier"; the ranking signals do the real work.
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


# About 2.5 KB per entry (frozensets): 16k entries hold the candidates of the last ~150 hybrid queries in ~40 MB.
# A bigger cache bought little at 1M claims (few candidates repeat) and cost ~0.1 KB of memory per claim.
@lru_cache(maxsize=16_384)
def _terms(text: str) -> _Terms:
    words = [w.lower() for w in _WORD.findall(text)]
    content = frozenset(_stem(w) for w in words if w not in STOPWORDS and not w.isdigit() and len(w) > 1)
    names = frozenset(n.lower() for n in _NAME.findall(text))
    numbers = frozenset(n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text))
    return _Terms(words=content, names=names, numbers=numbers, years=frozenset(_YEAR.findall(text)), length=len(words))


def _share(part: frozenset[str], whole: frozenset[str]) -> float:
    return len(part & whole) / len(part) if part else 0.0


def text_features(query: str, candidates: Sequence[CandidateText]) -> dict[str, np.ndarray]:
    """Overlap and length features of each candidate against the query."""
    q = _terms(query)
    n = len(candidates)
    out = {
        name: np.zeros(n)
        for name in (
            "overlap:words",
            "overlap:title",
            "overlap:names",
            "overlap:numbers",
            "overlap:years",
            "claim:log_len",
        )
    }
    for row, cand in enumerate(candidates):
        c = _terms(cand.text)
        t = _terms(cand.title or "")
        doc_words = c.words | t.words
        out["overlap:words"][row] = _share(q.words, doc_words)
        out["overlap:title"][row] = _share(t.words, q.words)
        out["overlap:names"][row] = _share(q.names, c.names | t.names | doc_words)
        out["overlap:numbers"][row] = _share(q.numbers, c.numbers | t.numbers)
        out["overlap:years"][row] = _share(q.years, c.years | t.years)
        out["claim:log_len"][row] = math.log1p(c.length)
    return out


def ranker_features(signals: Mapping[str, np.ndarray], ranks: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each signal, its gap to the query's best candidate, and each ranker's reciprocal rank (0 = not retrieved).

    Args:
        signals: ``"ranker:signal"`` -> one value per candidate (higher is better).
        ranks: ranker name -> 1-based rank of each candidate in that ranker's list, 0 if absent.
    """
    out: dict[str, np.ndarray] = {}
    for name, values in signals.items():
        v = np.asarray(values, dtype=np.float64)
        out[name] = v
        out[f"{name}:gap"] = v - (v.max() if v.size else 0.0)
    for ranker, rank in ranks.items():
        r = np.asarray(rank, dtype=np.float64)
        out[f"{ranker}:rrank"] = np.where(r > 0, 1.0 / np.maximum(r, 1.0), 0.0)
    return out


def rrf(ranks: Mapping[str, np.ndarray], weights: Mapping[str, float] | None = None) -> np.ndarray:
    """Weighted reciprocal-rank fusion; a candidate a ranker did not retrieve gets nothing from it."""
    total: np.ndarray | None = None
    for ranker, rank in ranks.items():
        r = np.asarray(rank, dtype=np.float64)
        part = np.where(r > 0, 1.0 / (RRF_K + r), 0.0) * (weights or {}).get(ranker, 1.0)
        total = part if total is None else total + part
    return total if total is not None else np.zeros(0)


def missing_ranker(requires: Mapping[str, str], available: Mapping[str, str]) -> str | None:
    """None if every required ranker runs with the identity a model was fitted with, else what is missing."""
    for ranker, identity in requires.items():
        have = available.get(ranker)
        # A model fitted with USE reading Ukrainian one way serves the other: it saw no Ukrainian.
        if have is None or not same_space_but_ukrainian(have, identity):
            return f"needs {ranker}={identity}, matcher has {have or 'nothing'}"
    return None


# eq=False: models compare by identity (their numpy arrays have no single truth value).
@dataclass(frozen=True, slots=True, eq=False)
class LogisticModel:
    """A standardised logistic model over named features; ``score`` is the probability of a match."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    requires: Mapping[str, str]
    info: Mapping[str, Any]

    def score(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """Probability of a match for each candidate.

        Raises:
            KeyError: If a feature the model needs is missing.
        """
        x = np.column_stack([np.asarray(columns[name], dtype=np.float64) for name in self.features])
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def usable_with(self, available: Mapping[str, str]) -> str | None:
        """None if every ranker the model needs runs with the same identity, else why not."""
        return missing_ranker(self.requires, available)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "logistic",
            "features": list(self.features),
            "mean": [float(v) for v in self.mean],
            "scale": [float(v) for v in self.scale],
            "coef": [float(v) for v in self.coef],
            "intercept": float(self.intercept),
            "requires": dict(self.requires),
            "info": dict(self.info),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LogisticModel:
        if data.get("kind") != "logistic":
            raise ValueError(f"unsupported reranker model kind {data.get('kind')!r}")
        features = tuple(data["features"])
        arrays = [np.asarray(data[key], dtype=np.float64) for key in ("mean", "scale", "coef")]
        if any(a.shape != (len(features),) for a in arrays):
            raise ValueError("reranker file: mean/scale/coef do not match the feature list")
        return cls(
            features=features,
            mean=arrays[0],
            scale=arrays[1],
            coef=arrays[2],
            intercept=float(data["intercept"]),
            requires=dict(data.get("requires", {})),
            info=dict(data.get("info", {})),
        )


@dataclass(frozen=True, slots=True)
class Reranker:
    """The packaged models, richest first: each needs a set of rankers (the multilingual one reads USE too).

    A deployment with the multilingual encoder uses the model trained with its cosine as a feature; one
    without it (``CROSSCHECK_MULTILINGUAL=false``) uses the English model instead of falling back to fusion.
    """

    models: tuple[LogisticModel, ...]

    @property
    def primary(self) -> LogisticModel:
        """The first (richest) model this reranker holds."""
        return self.models[0]

    def usable_with(self, available: Mapping[str, str]) -> str | None:
        """None if at least one model can run with these rankers (name -> identity), else why none can."""
        reasons = [model.usable_with(available) for model in self.models]
        return None if any(r is None for r in reasons) else "; ".join(dict.fromkeys(r for r in reasons if r))

    def for_rankers(self, available: Mapping[str, str]) -> Reranker | None:
        """This reranker with only the models these rankers can feed (None if there is none)."""
        usable = tuple(m for m in self.models if m.usable_with(available) is None)
        return Reranker(models=usable) if usable else None

    def model_for(self, columns: Mapping[str, np.ndarray]) -> LogisticModel:
        """The richest model whose every feature is among `columns` (a query may run fewer rankers).

        Raises:
            KeyError: If no model finds all its features.
        """
        for model in self.models:
            if all(name in columns for name in model.features):
                return model
        raise KeyError(f"no reranker model finds its features among {sorted(columns)}")

    def score(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """Probability of a match for each candidate, by the richest model the columns can feed."""
        return self.model_for(columns).score(columns)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT_VERSION, "models": [m.to_json() for m in self.models]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reranker:
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"unsupported reranker file format {data.get('format')}")
        models = tuple(LogisticModel.from_json(m) for m in data["models"])
        if not models:
            raise ValueError("reranker file holds no model")
        return cls(models=models)


def load_model_file(
    path: Path, parse: Callable[[Any], Loaded], *, what: str, instead: str, missing_level: int = logging.WARNING
) -> Loaded | None:
    """A packaged JSON model read with `parse`, or None (logged, saying what the service does `instead`) when
    the file is missing or unreadable: a model file must never stop the service from starting."""
    try:
        return parse(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        logger.log(missing_level, "no %s at %s: %s", what, path, instead)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("%s %s unusable (%s): %s", what, path, exc, instead)
    return None


def load_reranker(path: Path = MODEL_PATH) -> Reranker | None:
    """The packaged model, or None (logged) if it is missing or unreadable: hybrid then uses RRF."""
    return load_model_file(
        path, Reranker.from_json, what="reranker model", instead="hybrid search uses reciprocal-rank fusion"
    )
