"""Fit the score calibration (service/data/calibration.json) on the real-news set's development events.

    python bench/train_calibration.py [--out service/data/calibration.json] [--modes hybrid,dense,lexical]

Every excerpt of the **dev** events (bench/data/realnews/splits.json; the test events are never read) is
ingested into a fresh store with the service's default encoders; every claim of those events is looked up in
each mode (over all sources, and over those in its own language only), and each of the k best candidates of
the pool the matcher builds (`Matcher.training_pool`, the same pool and ranking scores `POST /claims/match`
orders by; as an answer does by default, only each independent source's first candidate) becomes a row: its
ranking score on the pool's scale (pure or mixed languages, `service.calibration`) and whether its source
states the claim (the label). One increasing logistic map per (mode, scale); the report gives its log-loss and
expected calibration error both in sample and with one event held out at a time (figures on events the fold did
not see).

The hybrid mode's verifiers (`service.calibration.verifier_features`), one for pools that mix languages and one
for pools in one language, are fitted on every candidate of the same hybrid pools (each independent source's
first; label: its source states the claim): standardised logistic regressions (C = `VERIFIER_C`). Its report,
with one event held out at a time: the AUC of the first match's shown score between claims some source states
and claims none states, and the ECE of the shown scores of the k returned. A rerun on the same data writes the same
file.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import datetime
import json
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench import realnews
from service.calibration import MODEL_PATH, Calibration, PlattMap, Scale, monotone, ranking_feature
from service.config import Settings
from service.db import open_session
from service.matching import SAME_MIN_VERIFIED
from service.rerank import LogisticModel
from service.runtime import Runtime
from service.schemas import MatchQuery, SourceCreate

SEED = 20261206
# The verifiers' regularisation, picked with one dev event held out at a time (C 0.001 / 0.003 / 0.01 / 0.1 / 1:
# AUC of the first score 0.874 / 0.885 / 0.888 / 0.885 / 0.884; of the top-5 candidates the verifier puts at
# 0.75 or more, 0.91 / 0.90 / 0.89 / 0.87 / 0.86 come from a stating source).
VERIFIER_C = 0.01


@dataclass(slots=True)
class Rows:
    x: list[np.ndarray]
    y: list[np.ndarray]
    events: list[str]


@dataclass(slots=True)
class VerifierPool:
    """One hybrid pool: the verifier's columns, the ranking scores, the labels and the claim's event."""

    columns: dict[str, np.ndarray]
    scores: np.ndarray
    labels: np.ndarray
    event: str
    stated: bool
    every_language: bool  # a pool over all sources (the bench's AUC is read on these), not one language's
    scale: Scale  # whether the pool mixes languages (one verifier each)


def collect(
    args: argparse.Namespace,
) -> tuple[dict[tuple[str, Scale], Rows], list[VerifierPool], dict[str, Any]]:
    """Feature rows per (mode, pair kind) and the hybrid pools of the verifier, from the dev events."""
    data = realnews.load_set(args.set)
    if data.problems:
        raise ValueError("the set is inconsistent: " + "; ".join(data.problems[:20]))
    events = data.events("dev")
    excerpts = [e for e in data.excerpts.values() if e.event in events]
    cases = [c for c in data.claims if c.event in events]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    rows: dict[tuple[str, Scale], Rows] = defaultdict(lambda: Rows([], [], []))
    pools: list[VerifierPool] = []
    with tempfile.TemporaryDirectory(prefix="crosscheck-calibration-") as tmp:
        runtime = Runtime.open(Settings(data_dir=Path(tmp), sync_interval_seconds=0))
        try:
            requires = {r.name: r.identity for r in runtime.matcher.rankers if r.available}
            source_excerpts: dict[int, set[str]] = defaultdict(set)
            stored = 0
            for excerpt in excerpts:
                text = realnews.cached_text(excerpt.id, args.cache)
                if text is None:
                    continue
                result = runtime.ingest(
                    SourceCreate(
                        text=text,
                        url=excerpt.url,
                        outlet=excerpt.outlet,
                        published_at=datetime.date.fromisoformat(excerpt.date) if excerpt.date else None,
                    )
                )
                source_excerpts[int(result.source.id or 0)].add(excerpt.id)
                stored += 1
            with open_session(runtime.engine) as session:
                for case, mode, languages in (
                    (c, m, languages)
                    for c in cases
                    for m in modes
                    # All sources, then only those in the claim's language: the pools of a multilingual
                    # store mix languages, and a store in one language is scored on the pure scale.
                    for languages in (None, [c.language])
                ):
                    query = MatchQuery(text=case.text, mode=mode, k=args.k, languages=languages)
                    pool, scores, extra = runtime.matcher.training_pool(session=session, query=query)
                    if not pool.ids.size or (mode == "hybrid" and "rrf" in extra):
                        continue
                    scale: Scale = "mixed" if "crosslingual" in extra else "pure"
                    # An answer holds one claim per independent source by default (`per_source`): the maps and
                    # the verifier are fitted on those candidates, each source's first in the ranking's order.
                    shown = first_of_group(scores, pool.groups().tolist())
                    if mode == "hybrid":
                        columns = runtime.matcher.verifier_columns(pool, text=case.text, scores=scores)
                        if columns is not None:
                            everyone = np.asarray(
                                [bool(source_excerpts[int(s)] & case.supports) for s in pool.source_ids.tolist()]
                            )
                            pools.append(
                                VerifierPool(
                                    {name: values[shown] for name, values in columns.items()},
                                    scores[shown],
                                    everyone[shown],
                                    case.event,
                                    bool(case.supports),
                                    languages is None,
                                    scale,
                                )
                            )
                    # The k candidates the answer would hold: the score is read on what is returned, and the
                    # pool's long tail (mostly other sentences of the same articles) would flatten the map.
                    top = [row for row in np.argsort(-scores, kind="stable").tolist() if shown[row]][: args.k]
                    labels = np.asarray(
                        [bool(source_excerpts[int(s)] & case.supports) for s in pool.source_ids[top].tolist()]
                    )
                    bucket = rows[(mode, scale)]
                    bucket.x.append(ranking_feature(mode, scale, scores[top]))
                    bucket.y.append(labels)
                    bucket.events += [case.event] * len(labels)
        finally:
            runtime.close()
    info = {"events": events, "excerpts_ingested": stored, "claims": len(cases), "modes": modes, "requires": requires}
    return rows, pools, info


def first_of_group(scores: np.ndarray, groups: Sequence[int]) -> np.ndarray:
    """Which candidates come first of their group (an independent source) in the order of ``scores``."""
    shown = np.zeros(len(groups), dtype=bool)
    seen: set[int] = set()
    for row in np.argsort(-np.asarray(scores), kind="stable").tolist():
        if groups[row] not in seen:
            seen.add(groups[row])
            shown[row] = True
    return shown


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(slope, intercept) of the logistic map; unregularised (one feature, thousands of rows)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1e6, max_iter=5000, random_state=SEED).fit(x.reshape(-1, 1), y)
    return float(model.coef_[0][0]), float(model.intercept_[0])


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _stats(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    curve = realnews.reliability(zip(p.tolist(), (y == 1).tolist(), strict=True))
    return {"log_loss": round(_log_loss(y, p), 4), "ece": curve["ece"]}


def train(rows: dict[tuple[str, Scale], Rows]) -> tuple[dict[str, PlattMap], dict[str, Any]]:
    maps: dict[str, PlattMap] = {}
    report: dict[str, Any] = {}
    for (mode, scale), bucket in sorted(rows.items()):
        x, y = np.concatenate(bucket.x), np.concatenate(bucket.y).astype(float)
        events = np.asarray(bucket.events)
        if len(set(y.tolist())) < 2:
            continue
        slope, intercept = _fit(x, y)
        if slope <= 0:
            report[f"{mode}:{scale}"] = {"rows": len(y), "skipped": f"slope {slope:.3f} is not positive"}
            continue
        held_out = np.full(len(y), float(y.mean()))
        for event in sorted(set(bucket.events)):
            test = events == event
            if len(set(y[~test].tolist())) == 2:
                held_out[test] = PlattMap(*_fit(x[~test], y[~test]), info={})(x[test])
        key = f"{mode}:{scale}"
        stats = {
            "rows": len(y),
            "positives": int(y.sum()),
            "slope": round(slope, 4),
            "intercept": round(intercept, 4),
            "in_sample": _stats(y, PlattMap(slope, intercept, info={})(x)),
            "event_held_out": _stats(y, held_out),
        }
        maps[key] = PlattMap(slope=slope, intercept=intercept, info=stats)
        report[key] = stats
    return maps, report


def _fit_verifier(pools: list[VerifierPool], names: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(mean, scale, coef, intercept) of the standardised logistic verifier."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([np.column_stack([p.columns[n] for n in names]) for p in pools])
    y = np.concatenate([p.labels for p in pools]).astype(int)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=VERIFIER_C, max_iter=5000, random_state=SEED).fit((x - mean) / scale, y)
    return mean, scale, model.coef_[0], float(model.intercept_[0])


def _verifier_stats(pools: list[VerifierPool], models: list[LogisticModel], k: int) -> dict[str, Any]:
    """AUC of the first match's shown score (stated vs unstated claims) and ECE of the k shown scores, on the pools
    over every language (as `crosscheck bench realnews` asks)."""
    tops: dict[bool, list[float]] = {True: [], False: []}
    pairs: list[tuple[float, bool]] = []
    gated = gated_right = stating = 0  # the top 5's `same` gate: verifier probability >= SAME_MIN_VERIFIED
    for pool, model in zip(pools, models, strict=True):
        if not pool.every_language:
            continue
        probability = model.score(pool.columns)
        shown = monotone(probability, pool.scores)
        top = np.argsort(-pool.scores, kind="stable")[:k]
        tops[pool.stated].append(float(shown[top[0]]))
        pairs += list(zip(shown[top].tolist(), pool.labels[top].tolist(), strict=True))
        five = top[:5]
        passed = probability[five] >= SAME_MIN_VERIFIED
        gated += int(passed.sum())
        gated_right += int((passed & (pool.labels[five] > 0)).sum())
        stating += int((pool.labels[five] > 0).sum())
    curve = realnews.reliability(pairs)
    return {
        "auc_first_score_stated_vs_unstated": realnews.auc(tops[True], tops[False]),
        "ece": curve["ece"],
        "top5_gate_precision": round(gated_right / gated, 4) if gated else None,
        "top5_gate_recall": round(gated_right / stating, 4) if stating else None,
    }


def train_verifiers(
    pools: list[VerifierPool], requires: dict[str, str], k: int
) -> tuple[dict[str, LogisticModel], dict[str, Any]]:
    """One verifier per pool scale (pools that mix languages, pools in one language), and their report."""
    names = sorted(pools[0].columns)

    def model(chosen: list[VerifierPool]) -> LogisticModel:
        mean, scale, coef, intercept = _fit_verifier(chosen, names)
        return LogisticModel(tuple(names), mean, scale, coef, intercept, requires=requires, info={})

    events = sorted({p.event for p in pools})
    models: dict[str, LogisticModel] = {}
    report: dict[str, Any] = {}
    final: dict[str, LogisticModel] = {}
    held_out: dict[tuple[str, str], LogisticModel] = {}
    for scale in ("mixed", "pure"):
        chosen = [p for p in pools if p.scale == scale]
        if not chosen or len({int(y) for p in chosen for y in p.labels.tolist()}) < 2:
            continue
        final[scale] = model(chosen)
        for event in events:
            rest = [p for p in chosen if p.event != event]
            held_out[(scale, event)] = model(rest) if rest else final[scale]
    usable = [p for p in pools if p.scale in final]
    report["all"] = {
        "pools": len(usable),
        "in_sample": _verifier_stats(usable, [final[p.scale] for p in usable], k),
        "event_held_out": _verifier_stats(usable, [held_out[(p.scale, p.event)] for p in usable], k),
    }
    for scale, fitted in final.items():
        chosen = [p for p in usable if p.scale == scale]
        stats = {
            "pools": len(chosen),
            "rows": int(sum(p.labels.size for p in chosen)),
            "positives": int(sum(p.labels.sum() for p in chosen)),
        }
        report[scale] = stats
        models[scale] = LogisticModel(
            fitted.features, fitted.mean, fitted.scale, fitted.coef, fitted.intercept, requires, stats
        )
    return models, report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="where the calibration file is written")
    parser.add_argument("--modes", default="hybrid,dense,lexical", help="match modes calibrated")
    parser.add_argument("-k", "--k", type=int, default=20, help="matches asked per claim (sets the pool depth)")
    parser.add_argument("--set", type=Path, default=realnews.SET_DIR)
    parser.add_argument("--cache", type=Path, default=realnews.CACHE_DIR)


def main(args: argparse.Namespace) -> int:
    try:
        rows, pools, info = collect(args)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    maps, report = train(rows)
    verifiers: dict[str, LogisticModel] = {}
    if pools:
        verifiers, report["verifier"] = train_verifiers(pools, info["requires"], args.k)
        for scale, fitted in verifiers.items():
            report["verifier"][scale] = dict(fitted.info)
    calibration = Calibration(
        maps=maps,
        info={"trained_with": info, "verifier": report.get("verifier")},
        requires=info["requires"],
        verifiers=verifiers,
    )
    args.out.write_text(json.dumps(calibration.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")
    print(json.dumps({"trained_with": info, "models": report}, indent=1))
    return 0


if __name__ == "__main__":
    from bench import run_script

    sys.exit(run_script(__doc__, add_arguments, main))
