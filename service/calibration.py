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
score falls with rank; across answers, modes and languages the same score means the same thing.

Hybrid mode (the default) goes further, because one ranking score cannot tell a source that states the claim
from one that only reports the same story (the top score of unstated claims ran as high as that of stated ones):
the **verifier**, a logistic model over what each candidate shares with the claim (`verifier_features`: both
encoders' cosines and their gaps to the pool's best, BM25, each ranker's reciprocal rank, the figures and dates
both state or only one states, shared words and names within one language, the pair's languages), estimates the
probability that the candidate's source states the claim. The answer keeps the ranking's order (tuned to bring
evidence in other languages into the top 5, which a pointwise model ranks lower), and its scores are the
isotonic fit of the verifier's probabilities along that order: the non-increasing sequence closest to them, so
the score still falls with rank and the first match's score is what the verifier makes of the best evidence.
The verifier's own probability is reported under ``scores.verifier``. Fitted by
``bench/train_calibration.py`` on the development events of the real-news set (``bench/data/realnews``; its
test events are never fitted on); ``crosscheck bench realnews`` draws the reliability curve. Without the file
(or for a mode it has no map for) the ranking score is shown clipped to [0, 1].
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
from scipy.optimize import isotonic_regression

from service import multilingual
from service.rerank import LogisticModel, load_model_file, missing_ranker

MODEL_PATH: Final = Path(__file__).resolve().parent / "data" / "calibration.json"
FORMAT_VERSION: Final = 4
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


def verifier_features(
    *,
    query_text: str,
    query_language: str,
    candidate_texts: Sequence[str],
    candidate_languages: Sequence[str],
    features: Mapping[str, np.ndarray],
    scores: np.ndarray,
) -> dict[str, np.ndarray]:
    """The verifier's columns for one hybrid pool.

    Args:
        query_text: The query as matched.
        query_language: Its language.
        candidate_texts: Each candidate's claim text.
        candidate_languages: Each candidate's stored language.
        features: The pool's reranker features (`service.rerank.ranker_features` and `text_features`).
        scores: The ranking score of each candidate (what the answer is ordered by).
    """
    n = len(candidate_texts)
    same = np.asarray([lang == query_language for lang in candidate_languages], dtype=np.float64)
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    rank = np.empty(n, dtype=np.float64)
    rank[order] = np.arange(1, n + 1)
    wanted = multilingual.anchors(query_text)
    # A month or a year is shared by every report of the month: a weak anchor, read apart from figures and days.
    weak = frozenset(a for a in wanted if multilingual.weak_anchor(a))
    strong = wanted - weak
    shared = np.zeros(n)
    shared_weak = np.zeros(n)
    none_shared = np.zeros(n)
    only_other = np.zeros(n)
    if wanted:
        for row, text in enumerate(candidate_texts):
            found = multilingual.anchors(text)
            shared[row] = len(strong & found) / len(strong) if strong else 0.0
            shared_weak[row] = len(weak & found) / len(weak) if weak else 0.0
            none_shared[row] = float(not wanted & found)
            only_other[row] = float(bool(found - wanted) and not wanted & found)
    dense = np.asarray(features["dense:cos"], dtype=np.float64)
    use = np.asarray(features[f"{multilingual.USE_KEY}:cos"], dtype=np.float64)
    return {
        "rank:score": np.asarray(scores, dtype=np.float64),
        "rank:rrank": 1.0 / rank,
        "dense:cos": dense,
        "dense:cos:gap": np.asarray(features["dense:cos:gap"], dtype=np.float64),
        "use:cos": use,
        "use:cos:gap": np.asarray(features[f"{multilingual.USE_KEY}:cos:gap"], dtype=np.float64),
        "lexical:log_bm25": np.log1p(np.maximum(np.asarray(features["lexical:bm25"], dtype=np.float64), 0.0)),
        "dense:rrank": np.asarray(features["dense:rrank"], dtype=np.float64),
        "lexical:rrank": np.asarray(features["lexical:rrank"], dtype=np.float64),
        "use:rrank": np.asarray(features[f"{multilingual.USE_KEY}:rrank"], dtype=np.float64),
        "pair:same_language": same,
        "pair:dense_cos_same_language": dense * same,
        "pair:use_cos_other_language": use * (1.0 - same),
        "anchors:shared": shared,
        "anchors:shared_weak": shared_weak,
        "anchors:claim_strong": np.full(n, float(bool(strong))),
        "anchors:claim_weak": np.full(n, float(bool(weak))),
        "anchors:none_shared": none_shared,
        "anchors:only_other": only_other,
        "overlap:words": np.asarray(features["overlap:words"], dtype=np.float64) * same,
        "overlap:names": np.asarray(features["overlap:names"], dtype=np.float64) * same,
        "overlap:numbers": np.asarray(features["overlap:numbers"], dtype=np.float64) * same,
        "claim:log_len": np.asarray(features["claim:log_len"], dtype=np.float64),
    }


def figures_agreeing(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The verifier's columns as they would be if every candidate gave the claim's figures and dates: what the
    verifier then says is how likely a candidate is to state the claim's fact apart from its figures."""
    out = dict(columns)
    has_figures = bool(np.any(columns["anchors:claim_strong"] > 0) or np.any(columns["anchors:claim_weak"] > 0))
    out["anchors:shared"] = columns["anchors:claim_strong"].copy()
    out["anchors:shared_weak"] = columns["anchors:claim_weak"].copy()
    out["anchors:none_shared"] = np.zeros_like(columns["anchors:none_shared"])
    out["anchors:only_other"] = np.zeros_like(columns["anchors:only_other"])
    if np.any(columns["overlap:numbers"] > 0) or has_figures:
        out["overlap:numbers"] = columns["pair:same_language"].copy()
    return out


def monotone(probability: np.ndarray, scores: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """The non-increasing fit (isotonic regression) of `probability` along the order of `scores` (descending,
    ties in pool order), or along `order` (rows, best first) when given: what each candidate shows, so that the
    score falls with rank."""
    if order is None:
        order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    out = np.empty(len(order), dtype=np.float64)
    if order.size:
        out[order] = isotonic_regression(np.asarray(probability, dtype=np.float64)[order], increasing=False).x
    return out


@dataclass(frozen=True, slots=True)
class Calibration:
    """The maps by ``"<mode>:<scale>"``, and the hybrid mode's verifier."""

    maps: Mapping[str, PlattMap]
    info: Mapping[str, Any]
    # The rankers (name -> model identity) whose scores the maps were fitted on: another model, other scores.
    requires: Mapping[str, str]
    # The hybrid mode's verifiers by scale: "mixed" for pools that mix languages, "pure" for one-language pools.
    verifiers: Mapping[str, LogisticModel] = field(default_factory=dict)

    def usable_with(self, available: Mapping[str, str]) -> str | None:
        """None if the matcher runs the rankers the maps were fitted on, else what differs."""
        return missing_ranker(self.requires, available)

    def probability(self, mode: str, scale: Scale, scores: np.ndarray) -> np.ndarray | None:
        """Calibrated scores for one pool, or None when there is no map for this mode and scale."""
        found = self.maps.get(f"{mode}:{scale}")
        return None if found is None else found(ranking_feature(mode, scale, scores))

    def verify(self, scale: Scale, columns: Mapping[str, np.ndarray]) -> np.ndarray | None:
        """The probability by the scale's verifier for each candidate, or None without one (or a column it needs)."""
        verifier = self.verifiers.get(scale)
        if verifier is None or any(name not in columns for name in verifier.features):
            return None
        return verifier.score(columns)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "info": dict(self.info),
            "requires": dict(self.requires),
            "maps": {
                key: {"slope": m.slope, "intercept": m.intercept, "info": dict(m.info)} for key, m in self.maps.items()
            },
            "verifiers": {scale: model.to_json() for scale, model in self.verifiers.items()},
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
        verifiers = {scale: LogisticModel.from_json(raw) for scale, raw in data.get("verifiers", {}).items()}
        unknown = set(verifiers) - {"mixed", "pure"}
        if unknown:
            raise ValueError(f"calibration file: verifier for unknown scale(s) {sorted(unknown)}")
        return cls(maps=maps, info=dict(data.get("info", {})), requires=dict(data["requires"]), verifiers=verifiers)


def load_calibration(path: Path = MODEL_PATH) -> Calibration | None:
    """The packaged maps, or None (logged) when missing or unreadable: ranking scores are then clipped to [0, 1]."""
    return load_model_file(
        path,
        Calibration.from_json,
        what="score calibration",
        instead="ranking scores shown clipped to [0, 1]",
        missing_level=logging.INFO,
    )
