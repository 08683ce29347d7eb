"""Trains the hybrid-search reranker on the CLEF2020 *train* split and writes service/data/reranker.json.

    python bench/train_reranker.py [--out service/data/reranker.json] [--dataset ../shared/datasets/clef2020-task2]

Only train queries are read (the dev split is for reporting, through `crosscheck bench retrieval`). Each train
query goes through the matcher's own candidate gathering (dense top 50 + BM25 top 50 [+ USE top 50], the same
features the service computes); a candidate is positive if the qrels list it. Two models are trained, each on
its own pools: one for a matcher with the multilingual USE ranker (its cosine and rank are features) and one
for the English rankers alone (``CROSSCHECK_MULTILINGUAL=false``); both go into the one file. Model choice
(regularisation strength) is by 5-fold cross-validation grouped by query, on MAP@5 of the re-ranked held-out
queries; the chosen model is then fitted on all train queries. Everything is deterministic (GroupKFold
without shuffling, lbfgs, fixed seed for the tree-model comparison), so a rerun on the same store writes the
same file; weights are rounded to 6 decimals so float noise in the last bits of an embedding does not change it.

Prints one JSON object: the cross-validation table and the chosen model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sqlmodel import col, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import metrics
from bench.retrieval import CACHE_ROOT, DATASET, ENGLISH_RANKERS, doc_id_of, ensure_store, read_queries
from embeddings import Encoder
from service.config import Settings
from service.db import open_session
from service.matching import CANDIDATE_DEPTH, MatchOptions, Scope
from service.models import Claim, Source
from service.multilingual import USE_KEY
from service.rerank import MODEL_PATH, RRF_K, LogisticModel, Reranker
from service.runtime import Runtime

SEED = 20200
FOLDS = 5
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)


def collect(
    runtime: Runtime, queries: dict[str, str], qrels: dict[str, set[str]], options: MatchOptions
) -> dict[str, Any]:
    """Feature rows of every train query's candidates, with labels and query groups."""
    matcher = runtime.matcher
    scope = Scope(allowed=None, excluded=np.zeros(0, dtype=np.int64))
    rows: list[dict[str, np.ndarray]] = []
    labels: list[np.ndarray] = []
    groups: list[np.ndarray] = []
    docs: list[list[str]] = []
    qids: list[str] = []
    with open_session(runtime.engine) as session:
        urls = session.exec(select(Claim.id, Source.url).join(Source, col(Source.id) == Claim.source_id)).all()
    doc_of = {int(cid or 0): doc_id_of(url) or "" for cid, url in urls}
    for qid, raw in queries.items():
        if qid not in qrels:
            continue
        text = matcher.clean(raw)
        with open_session(runtime.engine) as session:
            pool, _, _ = matcher.gather(
                session=session,
                text=text,
                mode="hybrid",
                depth=options.depth,
                scope=scope,
                options=options,
            )
        doc_ids = [doc_of[i] for i in pool.ids.tolist()]
        rows.append(pool.features(text))
        labels.append(np.asarray([d in qrels[qid] for d in doc_ids], dtype=np.int64))
        groups.append(np.full(len(doc_ids), len(qids)))
        docs.append(doc_ids)
        qids.append(qid)
    names = sorted(rows[0])
    x = np.vstack([np.column_stack([r[n] for n in names]) for r in rows])
    return {
        "names": names,
        "x": x,
        "y": np.concatenate(labels),
        "groups": np.concatenate(groups),
        "docs": docs,
        "qids": qids,
    }


def ranked_metrics(
    scores: np.ndarray, data: dict[str, Any], query_rows: np.ndarray, qrels: dict[str, set[str]]
) -> dict[str, float]:
    """MAP@5 etc. of the queries in `query_rows` when their candidates are ordered by `scores`."""
    run: dict[str, list[str]] = {}
    offset = 0
    starts = []
    for docs in data["docs"]:
        starts.append(offset)
        offset += len(docs)
    for q in query_rows.tolist():
        lo = starts[q]
        docs = data["docs"][q]
        order = np.argsort(-scores[lo : lo + len(docs)], kind="stable")
        run[data["qids"][q]] = [docs[i] for i in order]
    return metrics.evaluate(run, {data["qids"][q]: qrels[data["qids"][q]] for q in query_rows.tolist()})


def fit_logistic(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=5000, solver="lbfgs")
    model.fit((x - mean) / scale, y)
    return mean, scale, model.coef_[0], float(model.intercept_[0])


def cross_validate(data: dict[str, Any], qrels: dict[str, set[str]]) -> dict[str, dict[str, float]]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import GroupKFold

    x, y, groups = data["x"], data["y"], data["groups"]
    n_queries = len(data["qids"])
    folds = list(GroupKFold(n_splits=FOLDS).split(x, y, groups))
    names = data["names"]

    sets = sorted({q.split(":", 1)[0] if ":" in q else "" for q in data["qids"]})

    def evaluate(score_fn: Any) -> dict[str, Any]:
        scores = np.zeros(len(y))
        for train_idx, test_idx in folds:
            scores[test_idx] = score_fn(train_idx, test_idx)
        out: dict[str, Any] = ranked_metrics(scores, data, np.arange(n_queries), qrels)
        if len(sets) > 1:  # each data set's own held-out MAP@5 (the first set's queries have no prefix)
            for name in sets:
                rows = np.asarray(
                    [i for i, q in enumerate(data["qids"]) if (q.split(":", 1)[0] if ":" in q else "") == name]
                )
                out[f"map@5 {name or 'main'}"] = ranked_metrics(scores, data, rows, qrels)["map@5"]
        return out

    table: dict[str, dict[str, float]] = {}
    # Unlearned references on the same candidate pools.
    table["dense only"] = ranked_metrics(x[:, names.index("dense:cos")], data, np.arange(n_queries), qrels)
    rrf = sum(
        np.where(
            x[:, names.index(f"{r}:rrank")] > 0, 1 / (RRF_K + 1 / np.maximum(x[:, names.index(f"{r}:rrank")], 1e-9)), 0
        )
        for r in ("dense", "lexical")
    )
    table["rrf (k=60)"] = ranked_metrics(rrf, data, np.arange(n_queries), qrels)
    for c in C_GRID:

        def logistic(train_idx: np.ndarray, test_idx: np.ndarray, c: float = c) -> np.ndarray:
            mean, scale, coef, intercept = fit_logistic(x[train_idx], y[train_idx], c)
            return np.asarray(((x[test_idx] - mean) / scale) @ coef + intercept)

        table[f"logistic C={c:g}"] = evaluate(logistic)

    def trees(train_idx: np.ndarray, test_idx: np.ndarray) -> np.ndarray:
        model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, random_state=SEED)
        model.fit(x[train_idx], y[train_idx])
        return np.asarray(model.predict_proba(x[test_idx])[:, 1])

    table["hist gradient boosting"] = evaluate(trees)
    return table


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def judged_rows(runtime: Runtime, judgments: list[dict[str, str]], options: MatchOptions) -> dict[str, Any]:
    """Feature rows of reviewers' judged pairs: the judged claim is looked for in its query's candidate pool (on
    this store); same / conflict label it 1, related / unrelated 0. Pairs whose claim is not in the pool are
    counted and left out."""
    matcher = runtime.matcher
    scope = Scope(allowed=None, excluded=np.zeros(0, dtype=np.int64))
    rows: list[np.ndarray] = []
    labels: list[int] = []
    names: list[str] | None = None
    missing = 0
    for judgment in judgments:
        text = matcher.clean(judgment["query"])
        with open_session(runtime.engine) as session:
            pool, _, _ = matcher.gather(
                session=session, text=text, mode="hybrid", depth=options.depth, scope=scope, options=options
            )
        wanted = _norm(judgment["matched"])
        found = [i for i, t in enumerate(pool.texts) if _norm(t.text) == wanted]
        if not found:
            missing += 1
            continue
        features = pool.features(text)
        names = names or sorted(features)
        rows.append(np.asarray([features[n][found[0]] for n in names]))
        labels.append(int(judgment["verdict"] in ("same", "conflict")))
    return {"names": names, "x": np.vstack(rows) if rows else None, "y": np.asarray(labels), "missing": missing}


def simulate_judgments(
    runtime: Runtime, queries: dict[str, str], qrels: dict[str, set[str]], n: int
) -> list[dict[str, str]]:
    """Judgments as reviewers would make them on the train queries: each query's right claim confirmed (same), and
    the best-ranked wrong one the service shows rejected (unrelated)."""
    from service.schemas import MatchQuery

    out: list[dict[str, str]] = []
    with open_session(runtime.engine) as session:
        rows = session.exec(select(Claim.text, Source.url).join(Source, col(Source.id) == Claim.source_id)).all()
        texts = {doc_id_of(url) or "": text for text, url in rows}
        for qid, query in list(queries.items())[:n]:
            right = qrels.get(qid, set())
            for doc in sorted(right):
                if doc in texts:
                    out.append({"query": query, "matched": texts[doc], "verdict": "same"})
            shown = runtime.matcher.match(session=session, query=MatchQuery(text=query, k=5)).matches
            wrong = next((m for m in shown if (doc_id_of(m.source.url) or "") not in right), None)
            if wrong is not None:
                out.append({"query": query, "matched": wrong.claim.text, "verdict": "unrelated"})
    return out


def train_variant(
    runtimes: list[tuple[str, Runtime, dict[str, str], dict[str, set[str]]]],
    rankers: tuple[str, ...],
    judgments: list[dict[str, str]] | None = None,
    dev: tuple[dict[str, str], dict[str, set[str]]] | None = None,
) -> tuple[LogisticModel, dict[str, Any]]:
    """Collects the pools of one ranker set on every data set, cross-validates (folds by query, across the sets),
    fits the chosen model on all train queries -- and on the judged pairs, if any (the regularisation chosen
    without them). With ``dev``, both fits are scored on the dev queries' pools (the judgments' effect)."""
    options = MatchOptions(rankers=rankers, depth=CANDIDATE_DEPTH)
    data = merge([collect(runtime, q, r, options) for _, runtime, q, r in runtimes])
    qrels = {q: rel for _, _, _, r in runtimes for q, rel in r.items()}
    runtime = runtimes[0][1]
    identities = {r.name: r.identity for r in runtime.matcher.rankers if r.available and r.name in rankers}
    in_pool = sum(bool(set(d) & qrels[q]) for d, q in zip(data["docs"], data["qids"], strict=True))
    table = cross_validate(data, qrels)
    logistic = {name: m for name, m in table.items() if name.startswith("logistic")}
    best = max(logistic, key=lambda name: (logistic[name]["map@5"], logistic[name]["mrr"]))
    c = float(best.split("=")[1])
    base = fit_logistic(data["x"], data["y"], c)
    mean, scale, coef, intercept = base
    judged: dict[str, Any] = {}
    if judgments:
        extra = judged_rows(runtimes[0][1], judgments, options)
        judged = {"pairs": len(judgments), "used": len(extra["y"]), "not_in_pool": extra["missing"]}
        if extra["x"] is not None:
            if extra["names"] != data["names"]:
                raise ValueError("judged pairs' features differ from the pools'")
            mean, scale, coef, intercept = fit_logistic(
                np.vstack([data["x"], extra["x"]]), np.concatenate([data["y"], extra["y"]]), c
            )
    if dev is not None:
        dev_data = collect(runtimes[0][1], dev[0], dev[1], options)
        rows = np.arange(len(dev_data["qids"]))

        def dev_map(m: np.ndarray, sd: np.ndarray, w: np.ndarray, b: float) -> float:
            return float(ranked_metrics(((dev_data["x"] - m) / sd) @ w + b, dev_data, rows, dev[1])["map@5"])

        judged["dev_map@5_without_judgments"] = dev_map(*base)
        judged["dev_map@5_with_judgments"] = dev_map(mean, scale, coef, intercept)
    model = LogisticModel(
        features=tuple(data["names"]),
        mean=np.round(mean, 6),
        scale=np.round(scale, 6),
        coef=np.round(coef, 6),
        intercept=round(intercept, 6),
        requires=identities,
        info={
            "trained_on": " + ".join(
                f"{name} train ({sum(1 for q in data['qids'] if q in r)} queries)" for name, _, _, r in runtimes
            )
            + ", candidates: "
            + " + ".join(f"{name} top {CANDIDATE_DEPTH}" for name in rankers),
            "model": f"logistic regression, C={c:g}, standardised features",
            "cv_folds": FOLDS,
            "cv_map@5": table[best]["map@5"],
            "seed": SEED,
        },
    )
    report = {
        "rankers": list(rankers),
        "candidates": len(data["y"]),
        "queries_with_a_relevant_candidate": in_pool,
        "cv": table,
        "chosen": best,
        **({"judgments": judged} if judged else {}),
    }
    return model, report


def layout(dataset: Path) -> tuple[Path, Path, Path]:
    """(corpus, train queries, train qrels) of a CLEF2020-style folder or a CLEF2022-2B-style one."""
    if (dataset / "verified_claims.docs.tsv").exists():
        train = dataset / "train"
        return dataset / "verified_claims.docs.tsv", train / "tweets.queries.tsv", train / "tweet-vclaim-pairs.qrels"
    return dataset / "corpus.tsv", dataset / "train" / "queries.tsv", dataset / "train" / "qrels.tsv"


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The pools of several data sets as one (query groups renumbered; the feature names must agree)."""
    names = parts[0]["names"]
    if any(p["names"] != names for p in parts):
        raise ValueError("the data sets' pools have different features")
    groups, offset = [], 0
    for p in parts:
        groups.append(p["groups"] + offset)
        offset += len(p["qids"])
    return {
        "names": names,
        "x": np.vstack([p["x"] for p in parts]),
        "y": np.concatenate([p["y"] for p in parts]),
        "groups": np.concatenate(groups),
        "docs": [d for p in parts for d in p["docs"]],
        "qids": [q for p in parts for q in p["qids"]],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument(
        "--also",
        type=Path,
        action="append",
        default=[],
        help="another data set's train split to learn from too (e.g. ../shared/datasets/clef2022-2b)",
    )
    parser.add_argument(
        "--judgments",
        type=Path,
        default=None,
        help="reviewers' judged pairs to learn from too (JSON Lines of `crosscheck export --judgments`)",
    )
    parser.add_argument(
        "--simulate-judgments",
        type=int,
        default=0,
        metavar="N",
        help="judgments made from the first N train queries' qrels (the right claim confirmed, the best wrong one "
        "rejected); with --judgments or this, the dev split is scored without and with them",
    )
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--cache-dir", type=Path, default=CACHE_ROOT)
    args = parser.parse_args()

    from embeddings.use import MultilingualEncoder

    start = time.perf_counter()
    encoder = Encoder()
    extras = {USE_KEY: MultilingualEncoder()}
    sets = []
    for number, dataset in enumerate([args.dataset, *args.also]):
        corpus, queries_path, qrels_path = layout(dataset)
        bench_store = ensure_store(corpus=corpus, encoder=encoder, cache_root=args.cache_dir, extra_encoders=extras)
        prefix = "" if number == 0 else f"{dataset.name}:"
        queries = {prefix + q: t for q, t in read_queries(queries_path).items()}
        qrels = {prefix + q: rel for q, rel in metrics.read_qrels(qrels_path).items()}
        sets.append((dataset.name, bench_store.data_dir, queries, qrels))
    runtimes = [
        (name, Runtime.open(Settings(data_dir=d), encoder=encoder, extra_encoders=extras), q, r)
        for name, d, q, r in sets
    ]
    judgments: list[dict[str, str]] = []
    if args.judgments is not None:
        judgments = [json.loads(line) for line in args.judgments.read_text(encoding="utf-8").splitlines() if line]
    if args.simulate_judgments:
        _, main_runtime, main_queries, main_qrels = runtimes[0]
        judgments += simulate_judgments(main_runtime, main_queries, main_qrels, args.simulate_judgments)
    dev = None
    if judgments:
        dev_dir = args.dataset / "dev"
        dev = (read_queries(dev_dir / "tweets.queries.tsv"), metrics.read_qrels(dev_dir / "tweet-vclaim-pairs.qrels"))
    try:
        # Richest first: a matcher uses the first model its rankers can feed.
        variants = [
            train_variant(runtimes, rankers, judgments=judgments, dev=dev)
            for rankers in ((*ENGLISH_RANKERS, USE_KEY), ENGLISH_RANKERS)
        ]
    finally:
        for _, runtime, _, _ in runtimes:
            runtime.engine.dispose()
    queries = {q: t for _, _, qs, _ in runtimes for q, t in qs.items()}
    qrels = {q: r for _, _, _, rs in runtimes for q, r in rs.items()}
    reranker = Reranker(models=tuple(model for model, _ in variants))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(reranker.to_json(), indent=1) + "\n", encoding="utf-8")
    print(
        json.dumps(
            {
                "train_queries": len([q for q in queries if q in qrels]),
                "models": [report for _, report in variants],
                "out": str(args.out),
                "seconds": round(time.perf_counter() - start, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
