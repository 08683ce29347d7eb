"""Fit the score calibration (service/data/calibration.json) on the real-news set's development events.

    python bench/train_calibration.py [--out service/data/calibration.json] [--modes hybrid,dense,lexical]

Every excerpt of the **dev** events (bench/data/realnews/splits.json; the test events are never read) is
ingested into a fresh store with the service's default encoders; every claim of those events is looked up in
each mode (over all sources, and over those in its own language only), and each of the k best candidates of
the pool the matcher builds (`Matcher.training_pool`, the same pool and ranking scores `POST /claims/match`
orders by) becomes a row: its ranking score on the pool's scale (pure or mixed languages,
`service.calibration`) and whether its source states the claim (the label). One increasing
logistic map per (mode, scale); the report gives its log-loss and expected calibration error both in sample
and with one event held out at a time (figures on events the fold did not see). A rerun on the same data
writes the same file.
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
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench import realnews
from service.calibration import MODEL_PATH, Calibration, PlattMap, Scale, ranking_feature
from service.config import Settings
from service.db import open_session
from service.runtime import Runtime
from service.schemas import MatchQuery, SourceCreate

SEED = 20261206


@dataclass(slots=True)
class Rows:
    x: list[np.ndarray]
    y: list[np.ndarray]
    events: list[str]


def collect(args: argparse.Namespace) -> tuple[dict[tuple[str, Scale], Rows], dict[str, Any]]:
    """Feature rows per (mode, pair kind) from the dev events' pools."""
    data = realnews.load_set(args.set)
    if data.problems:
        raise ValueError("the set is inconsistent: " + "; ".join(data.problems[:20]))
    events = data.events("dev")
    excerpts = [e for e in data.excerpts.values() if e.event in events]
    cases = [c for c in data.claims if c.event in events]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    rows: dict[tuple[str, Scale], Rows] = defaultdict(lambda: Rows([], [], []))
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
                    # The k candidates the answer would hold: the score is read on what is returned, and the
                    # pool's long tail (mostly other sentences of the same articles) would flatten the map.
                    top = np.argsort(-scores, kind="stable")[: args.k]
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
    return rows, info


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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="where the calibration file is written")
    parser.add_argument("--modes", default="hybrid,dense,lexical", help="match modes calibrated")
    parser.add_argument("-k", "--k", type=int, default=20, help="matches asked per claim (sets the pool depth)")
    parser.add_argument("--set", type=Path, default=realnews.SET_DIR)
    parser.add_argument("--cache", type=Path, default=realnews.CACHE_DIR)


def main(args: argparse.Namespace) -> int:
    try:
        rows, info = collect(args)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    maps, report = train(rows)
    calibration = Calibration(maps=maps, info={"trained_with": info}, requires=info["requires"])
    args.out.write_text(json.dumps(calibration.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")
    print(json.dumps({"trained_with": info, "models": report}, indent=1))
    return 0


if __name__ == "__main__":
    from bench import run_script

    sys.exit(run_script(__doc__, add_arguments, main))
