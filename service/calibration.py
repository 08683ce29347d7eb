"""Scores people can read: each match's probability of coming from a source that states the query claim.

The rankers' own numbers live on different scales (a reranker probability trained on tweets against
fact-checks, cosines of two encoders that run higher within one language than across two, BM25), so a raw
score meant different things in different modes and languages, and a cross-lingual candidate could not be
compared with a same-language one. A small logistic model per mode and per kind of language pair turns the
signals of a candidate into one probability:

- the kinds of pair: ``english`` (query and candidate in English, where MiniLM is trustworthy),
  ``same_language`` (both in one other language), ``cross_language`` (two languages: only the multilingual
  encoder and the language-independent anchors can tell);
- the features (`FEATURES`): both encoders' cosines, the hybrid reranker's log-odds, BM25, and what the
  query's figures and dates have in common with the candidate's (`service.multilingual.anchors`): the share of
  the query's anchors the candidate states, and whether both state figures and none agree.

Fitted by ``bench/train_calibration.py`` on the development events of the real-news set only
(``bench/data/realnews``, split by event; its test events are scored once, never fitted on), so that a score
of 0.8 is right about 80% of the time there; ``crosscheck bench realnews`` draws the reliability curve. The
candidates of every kind of pair are then ordered by that one probability: the fusion of the two encoders'
candidates is calibrated per kind of language pair, not weighted by hand. Without the model file the raw
scores stand (clipped to [0, 1]).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from service.rerank import LogisticModel

logger = logging.getLogger(__name__)

MODEL_PATH: Final = Path(__file__).resolve().parent / "data" / "calibration.json"
FORMAT_VERSION: Final = 1
GROUPS: Final = ("english", "same_language", "cross_language")
FEATURES: Final = (
    "minilm",
    "use",
    "rerank_logodds",
    "bm25",
    "anchor_recall",
    "anchor_clash",
    "query_anchors",
)
# Reranker probabilities are clipped before their log-odds so that 0 and 1 stay finite.
_EPS: Final = 1e-4


def pair_group(query_language: str, candidate_language: str) -> str:
    """Which kind of language pair a (query, candidate) pair is."""
    if query_language != candidate_language:
        return "cross_language"
    return "english" if query_language == "en" else "same_language"


def anchor_features(query: frozenset[str], candidate: frozenset[str]) -> tuple[float, float]:
    """(share of the query's anchors the candidate states, 1 if both state anchors and none agree)."""
    if not query:
        return 0.0, 0.0
    shared = len(query & candidate)
    return shared / len(query), float(bool(candidate) and shared == 0)


def feature_columns(
    *,
    signals: Mapping[str, np.ndarray],
    rerank: np.ndarray | None,
    query_anchors: frozenset[str],
    candidate_anchors: Sequence[frozenset[str]],
    dense_signal: str,
    use_signal: str,
    bm25_signal: str,
) -> dict[str, np.ndarray]:
    """The named feature columns of a pool's candidates (absent signals are 0, in training and serving alike)."""
    n = len(candidate_anchors)
    zeros = np.zeros(n, dtype=np.float64)
    anchor_rows = [anchor_features(query_anchors, c) for c in candidate_anchors]
    logodds = zeros
    if rerank is not None:
        p = np.clip(np.asarray(rerank, dtype=np.float64), _EPS, 1 - _EPS)
        logodds = np.log(p / (1 - p))
    return {
        "minilm": np.asarray(signals.get(dense_signal, zeros), dtype=np.float64),
        "use": np.asarray(signals.get(use_signal, zeros), dtype=np.float64),
        "rerank_logodds": logodds,
        "bm25": np.log1p(np.maximum(np.asarray(signals.get(bm25_signal, zeros), dtype=np.float64), 0.0)),
        "anchor_recall": np.asarray([a for a, _ in anchor_rows], dtype=np.float64),
        "anchor_clash": np.asarray([b for _, b in anchor_rows], dtype=np.float64),
        "query_anchors": np.full(n, math.log1p(len(query_anchors)), dtype=np.float64),
    }


@dataclass(frozen=True, slots=True)
class Calibration:
    """One logistic model per (mode, kind of language pair); `score` gives every candidate its probability."""

    models: Mapping[str, LogisticModel]
    info: Mapping[str, Any]

    def covers(self, mode: str) -> bool:
        return all(f"{mode}:{group}" in self.models for group in GROUPS)

    def score(self, mode: str, groups: Sequence[str], columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """The probability of each candidate under its pair kind's model for this mode.

        Raises:
            KeyError: If the mode has no model for a pair kind present.
        """
        out = np.zeros(len(groups), dtype=np.float64)
        labels = np.asarray(groups)
        for group in set(groups):
            rows = np.flatnonzero(labels == group)
            model = self.models[f"{mode}:{group}"]
            out[rows] = model.score({name: np.asarray(columns[name])[rows] for name in model.features})
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "info": dict(self.info),
            "models": {key: model.to_json() for key, model in self.models.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Calibration:
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"unsupported calibration file format {data.get('format')}")
        models = {key: LogisticModel.from_json(model) for key, model in data["models"].items()}
        return cls(models=models, info=dict(data.get("info", {})))


def load_calibration(path: Path = MODEL_PATH) -> Calibration | None:
    """The packaged models, or None (logged) when missing or unreadable: raw scores are then clipped to [0, 1]."""
    try:
        return Calibration.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        logger.info("no score calibration at %s: raw ranking scores, clipped to [0, 1]", path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("score calibration %s unusable (%s): raw ranking scores, clipped to [0, 1]", path, exc)
    return None
