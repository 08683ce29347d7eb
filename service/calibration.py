"""Scores people can read: each match's probability of coming from a source that states the query claim.

What a mode ranks by lives on its own scale: a reranker probability trained on tweets against fact-checks
(hybrid), a cosine (dense), BM25 (lexical), and, when the candidates mix languages, the language-aware pair
score of `service.multilingual` (which may exceed 1). None of them is a probability, and the same number meant
different things in different modes and languages. Each (mode, scale) gets a one-feature logistic map
(Platt scaling) from that ranking score to the probability that the match's source states the query claim:

- ``pure``: every candidate in the query's language; the mode's own score (the reranker's probability in
  hybrid -- on news it is far from calibrated: of the returned matches it puts near 0 about a fifth come from a
  source that states the claim, of those near 1 about four in five --, the cosine in dense, log(1 + BM25) in
  lexical);
- ``mixed``: the pool mixes languages and is ordered by the pair score.

The map is increasing, so within one answer the order is the ranking's own (CLEF2020 MAP is untouched) and the
score falls with rank; across answers, modes and languages the same score means the same thing. Fitted by
``bench/train_calibration.py`` on the development events of the real-news set (``bench/data/realnews``; its
test events are never fitted on); ``crosscheck bench realnews`` draws the reliability curve. Without the file
(or for a mode it has no map for) the ranking score is shown clipped to [0, 1].
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np

from service.rerank import load_model_file, missing_ranker

MODEL_PATH: Final = Path(__file__).resolve().parent / "data" / "calibration.json"
FORMAT_VERSION: Final = 3
Scale = Literal["pure", "mixed"]


def ranking_feature(mode: str, scale: Scale, scores: np.ndarray) -> np.ndarray:
    """The one feature a map reads: the ranking score on a roughly linear scale."""
    values = np.asarray(scores, dtype=np.float64)
    if mode == "lexical":
        return np.log1p(np.maximum(values, 0.0))
    return values


@dataclass(frozen=True, slots=True)
class PlattMap:
    """probability = 1 / (1 + exp(-(slope * feature + intercept))), with slope > 0 (order kept)."""

    slope: float
    intercept: float
    info: Mapping[str, Any]

    def __call__(self, feature: np.ndarray) -> np.ndarray:
        z = self.slope * np.asarray(feature, dtype=np.float64) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


@dataclass(frozen=True, slots=True)
class Calibration:
    """The maps by ``"<mode>:<scale>"``."""

    maps: Mapping[str, PlattMap]
    info: Mapping[str, Any]
    # The rankers (name -> model identity) whose scores the maps were fitted on: another model, other scores.
    requires: Mapping[str, str]

    def usable_with(self, available: Mapping[str, str]) -> str | None:
        """None if the matcher runs the rankers the maps were fitted on, else what differs."""
        return missing_ranker(self.requires, available)

    def probability(self, mode: str, scale: Scale, scores: np.ndarray) -> np.ndarray | None:
        """Calibrated scores for one pool, or None when there is no map for this mode and scale."""
        found = self.maps.get(f"{mode}:{scale}")
        return None if found is None else found(ranking_feature(mode, scale, scores))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "info": dict(self.info),
            "requires": dict(self.requires),
            "maps": {
                key: {"slope": m.slope, "intercept": m.intercept, "info": dict(m.info)} for key, m in self.maps.items()
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Calibration:
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"unsupported calibration file format {data.get('format')}")
        maps = {}
        for key, raw in data["maps"].items():
            slope, intercept = float(raw["slope"]), float(raw["intercept"])
            if not (slope > 0 and math.isfinite(slope) and math.isfinite(intercept)):
                raise ValueError(f"calibration map {key}: the slope must be positive and finite, got {slope}")
            maps[key] = PlattMap(slope=slope, intercept=intercept, info=dict(raw.get("info", {})))
        return cls(maps=maps, info=dict(data.get("info", {})), requires=dict(data["requires"]))


def load_calibration(path: Path = MODEL_PATH) -> Calibration | None:
    """The packaged maps, or None (logged) when missing or unreadable: ranking scores are then clipped to [0, 1]."""
    return load_model_file(
        path,
        Calibration.from_json,
        what="score calibration",
        instead="ranking scores shown clipped to [0, 1]",
        missing_level=logging.INFO,
    )
