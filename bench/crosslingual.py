"""Cross-lingual benchmark: does a claim find its translation among same-topic claims in six languages?

Every text of `tests/data/crosslingual/claims.jsonl` (claims in en, ru, uk, ko, fr, de and same-topic
distractors) is ingested as its own source through `ingest_source`, the path behind ``POST /sources``, into
a temporary store with the multilingual encoder enabled. Then each claim's English text is the query for
each of its translations (en→xx) and each translation the query for the English text (xx→en).

The target's rank counts only *wrong* claims above it: the claim's translations into the other languages
are right answers too and are skipped, while distractors (same topic, another figure or event, in any
language, English included) and every other claim count against it. Recall@k is the share of queries whose
target is within the first k. Configurations:

- ``minilm``: the default English model alone; ``use``: the multilingual encoder alone;
- ``rrf``: unweighted reciprocal-rank fusion of the two (the naive fusion);
- ``use+anchors``: USE cosine plus agreement of numbers and dates, no language weighting;
- ``weighted``: language-aware weights (`service.multilingual.CrossLingualWeights`) without anchors;
- ``weighted+anchors``: both (the product's cross-lingual scoring);
- ``product``: `Matcher.match`, exactly as ``POST /claims/match`` answers (hybrid mode).

Also measured: the ingest time the multilingual encoder adds per claim and query latency.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from sqlmodel import select

from bench import read_jsonl
from service.config import Settings
from service.db import open_session
from service.extraction import normalize_claim_text
from service.lexical import open_lexical
from service.matching import build_matcher
from service.models import Claim
from service.multilingual import (
    DEFAULT_WEIGHTS,
    USE_KEY,
    CrossLingualWeights,
    PairWeights,
    anchor_agreement,
    anchors,
    claim_language,
    cosines,
    pair_scores,
)
from service.rerank import load_reranker
from service.runtime import Runtime
from service.schemas import MatchQuery, SourceCreate

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "crosslingual" / "claims.jsonl"
LANGUAGES = ("ru", "uk", "ko", "fr", "de")
DEPTH = 50  # candidates per ranker
RRF_K = 60


@dataclass(frozen=True, slots=True)
class Text:
    record: str  # claim or distractor id
    kind: str
    language: str
    text: str


@dataclass(frozen=True, slots=True)
class Query:
    record: str
    direction: str  # "en->ru" ...
    text: str
    source_id: int
    target_claims: frozenset[int]


def read_set(path: Path = DATA) -> list[dict[str, Any]]:
    """The records of the test set (one JSON object a line; see tests/data/crosslingual/README.md)."""
    return read_jsonl(path)


def ingest_set(runtime: Runtime, records: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], tuple[int, list[int]]]:
    """Ingests every text as a source; returns (record, language) -> (source id, claim ids)."""
    stored: dict[tuple[str, str], tuple[int, list[int]]] = {}
    for record in records:
        for language, text in record["texts"].items():
            result = runtime.ingest(SourceCreate(text=text, outlet=f"{record['id']}-{language}"))
            stored[(record["id"], language)] = (result.source.id or 0, [c.id or 0 for c in result.claims])
    return stored


def build_queries(
    records: Sequence[Mapping[str, Any]], stored: Mapping[tuple[str, str], tuple[int, list[int]]]
) -> list[Query]:
    queries: list[Query] = []
    for record in records:
        if record["kind"] != "claim":
            continue
        texts = record["texts"]
        for language in LANGUAGES:
            if language not in texts:
                continue
            for src, dst in (("en", language), (language, "en")):
                queries.append(
                    Query(
                        record=record["id"],
                        direction=f"{src}->{dst}",
                        text=texts[src],
                        source_id=stored[(record["id"], src)][0],
                        target_claims=frozenset(stored[(record["id"], dst)][1]),
                    )
                )
    return queries


def rank_of_target(ranked: Sequence[int], query: Query, same_record: frozenset[int]) -> int | None:
    """1-based rank of the target among wrong answers; None if not retrieved. Other translations are skipped."""
    wrong = 0
    for claim_id in ranked:
        if claim_id in query.target_claims:
            return wrong + 1
        if claim_id not in same_record:
            wrong += 1
    return None


class Scorer:
    """The candidate pool of one query (top DEPTH of each encoder) with both cosines, for the ablations."""

    def __init__(self, runtime: Runtime, texts: Mapping[int, str]) -> None:
        self.runtime = runtime
        self.use = runtime.extras[USE_KEY]
        self.texts = texts
        self.languages = {cid: claim_language(t) for cid, t in texts.items()}

    def pool(self, query: Query, excluded: np.ndarray) -> dict[str, Any]:
        text = normalize_claim_text(query.text)
        qm = self.runtime.encoder.encode_queries([text])
        qu = self.use.encoder.encode_queries([text])
        [hm] = self.runtime.index.search(qm, DEPTH, excluded_ids=excluded)
        [hu] = self.use.index.search(qu, DEPTH, excluded_ids=excluded)
        ids = list(dict.fromkeys([i for i, _ in hm] + [i for i, _ in hu]))
        return {
            "text": text,
            "ids": ids,
            "minilm_list": [i for i, _ in hm],
            "use_list": [i for i, _ in hu],
            "minilm": cosines(self.runtime.index, qm[0], ids),
            "use": cosines(self.use.index, qu[0], ids),
        }

    def rank(self, pool: Mapping[str, Any], config: str, weights: CrossLingualWeights = DEFAULT_WEIGHTS) -> list[int]:
        ids: list[int] = pool["ids"]
        if config == "minilm":
            return list(pool["minilm_list"])
        if config == "use":
            return list(pool["use_list"])
        if config == "rrf":
            score: dict[int, float] = defaultdict(float)
            for lst in (pool["minilm_list"], pool["use_list"]):
                for r, cid in enumerate(lst, start=1):
                    score[cid] += 1.0 / (RRF_K + r)
            return sorted(score, key=lambda c: -score[c])
        texts = [self.texts[i] for i in ids]
        if config == "use+anchors":
            q = anchors(pool["text"])
            w = weights.cross_language.anchors
            values = pool["use"] + np.asarray(
                [w * anchor_agreement(q, anchors(t), weak=weights.weak_anchor) for t in texts]
            )
        else:
            if config == "weighted":
                weights = replace(
                    weights,
                    english=replace(weights.english, anchors=0.0),
                    same_language=replace(weights.same_language, anchors=0.0),
                    cross_language=replace(weights.cross_language, anchors=0.0),
                )
            values = pair_scores(
                query_text=pool["text"],
                candidate_texts=texts,
                minilm=pool["minilm"],
                use=pool["use"],
                weights=weights,
                candidate_languages=[self.languages[i] for i in ids],
            )
        order = np.argsort(-values, kind="stable")
        return [ids[i] for i in order.tolist()]


def recall_table(ranks: Mapping[str, list[int | None]]) -> dict[str, Any]:
    """Recall@1/@5 per direction ("en->ru"...), per side (en->xx, xx->en) and overall."""

    def recall(values: Sequence[int | None], k: int) -> float:
        return round(sum(1 for r in values if r is not None and r <= k) / len(values), 3) if values else 0.0

    groups: dict[str, list[int | None]] = defaultdict(list)
    for direction, values in ranks.items():
        groups[direction] = values
        side = "en->xx" if direction.startswith("en->") else "xx->en"
        groups[side] = groups.get(side, []) + values
        groups["all"] = groups.get("all", []) + values
    return {name: {"R@1": recall(v, 1), "R@5": recall(v, 5), "n": len(v)} for name, v in sorted(groups.items())}


def evaluate(
    scorer: Scorer,
    queries: Sequence[Query],
    same_record: Mapping[str, frozenset[int]],
    excluded: Mapping[int, np.ndarray],
    configs: Sequence[str],
    *,
    weights: CrossLingualWeights = DEFAULT_WEIGHTS,
    pools: dict[int, dict[str, Any]] | None = None,
    product: Callable[[Query], list[int]] | None = None,
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    ranks: dict[str, dict[str, list[int | None]]] = {c: defaultdict(list) for c in configs}
    for n, query in enumerate(queries):
        pool = pools.get(n) if pools is not None else None
        if pool is None:
            pool = scorer.pool(query, excluded[query.source_id])
            if pools is not None:
                pools[n] = pool
        for config in configs:
            ranked = product(query) if config == "product" and product else scorer.rank(pool, config, weights)
            ranks[config][query.direction].append(rank_of_target(ranked, query, same_record[query.record]))
    for config in configs:
        out[config] = recall_table(ranks[config])
    return out


def _pct(values: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values), q)), 1)


def summary(table: Mapping[str, Any]) -> dict[str, float]:
    return {f"{side} R@{k}": table[side][f"R@{k}"] for side in ("en->xx", "xx->en", "all") for k in (1, 5)}


def fit_weights(
    scorer: Scorer,
    queries: Sequence[Query],
    same_record: Mapping[str, frozenset[int]],
    excluded: Mapping[int, np.ndarray],
    pools: dict[int, dict[str, Any]],
) -> list[dict[str, Any]]:
    """A small grid over the cross-language anchor weight and the same-language weights (on the given queries)."""
    results = []
    for anchor_w in (0.0, 0.1, 0.2, 0.3, 0.5):
        for en_use in (0.0, 0.2, 0.4):
            for offset in (-0.1, -0.05, 0.0, 0.05):
                weights = CrossLingualWeights(
                    english=PairWeights(minilm=1.0 - en_use, use=en_use, anchors=anchor_w),
                    same_language=PairWeights(minilm=0.2, use=0.8, anchors=anchor_w),
                    cross_language=PairWeights(minilm=0.0, use=1.0, anchors=anchor_w, offset=offset),
                )
                table = evaluate(
                    scorer, queries, same_record, excluded, ["weighted+anchors"], weights=weights, pools=pools
                )["weighted+anchors"]
                results.append({"anchors": anchor_w, "english_use": en_use, "cross_offset": offset, **summary(table)})
    results.sort(key=lambda r: (-r["all R@5"], -r["all R@1"]))
    return results[:10]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=DATA, help="the test set (JSONL)")
    parser.add_argument("--per-language", action="store_true", help="also print every direction, not only the sides")
    parser.add_argument("--fit", action="store_true", help="grid-search the weights on odd claims, report even ones")
    parser.add_argument("--no-product", action="store_true", help="skip the Matcher.match run")


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    records = read_set(args.data)
    with tempfile.TemporaryDirectory(prefix="crosscheck-xling-") as tmp:
        settings = Settings(data_dir=Path(tmp), multilingual=True)
        runtime = Runtime.open(settings)
        try:
            texts_all = [t for r in records for t in r["texts"].values()]
            # Ingest cost: the whole path with both encoders, and each encoder's share of it.
            start = time.perf_counter()
            stored = ingest_set(runtime, records)
            ingest_s = time.perf_counter() - start
            normalized = [normalize_claim_text(t) for t in texts_all]
            start = time.perf_counter()
            runtime.encoder.encode_documents(normalized)
            minilm_s = time.perf_counter() - start
            start = time.perf_counter()
            runtime.extras[USE_KEY].encoder.encode_documents(normalized)
            use_s = time.perf_counter() - start

            claim_text: dict[int, str] = {}
            with open_session(runtime.engine) as session:
                for claim in session.exec(select(Claim)):
                    claim_text[claim.id or 0] = claim.text
            same_record: dict[str, frozenset[int]] = defaultdict(frozenset)
            for (record, _lang), (_sid, cids) in stored.items():
                same_record[record] = same_record[record] | frozenset(cids)
            excluded = {sid: np.asarray(cids, dtype=np.int64) for sid, cids in stored.values()}
            queries = build_queries(records, stored)
            scorer = Scorer(runtime, claim_text)

            def product(query: Query) -> list[int]:
                with open_session(runtime.engine) as session:
                    response = runtime.matcher.match(
                        session=session,
                        query=MatchQuery(text=query.text, k=DEPTH, exclude_source_ids=[query.source_id]),
                    )
                return [m.claim.id for m in response.matches]

            configs = ["minilm", "use", "rrf", "use+anchors", "weighted", "weighted+anchors"]
            if not args.no_product:
                configs.append("product")
            pools: dict[int, dict[str, Any]] = {}
            tables = evaluate(scorer, queries, same_record, excluded, configs, pools=pools, product=product)

            # Latency of the product path, one query at a time, after the runs above warmed everything; the
            # same matcher without the multilingual ranker runs interleaved, so machine load hits both alike.
            english_only = build_matcher(
                encoder=runtime.encoder,
                index=runtime.index,
                lexical=open_lexical(runtime.engine),
                reranker=load_reranker(),
            )
            timings: list[float] = []
            baseline: list[float] = []
            use_timings: list[float] = []
            for query in queries[:200] if not args.no_product else []:
                for matcher, sink in ((runtime.matcher, timings), (english_only, baseline)):
                    start = time.perf_counter()
                    with open_session(runtime.engine) as session:
                        matcher.match(session=session, query=MatchQuery(text=query.text, k=10))
                    sink.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                runtime.extras[USE_KEY].encoder.encode_queries([query.text])
                use_timings.append((time.perf_counter() - start) * 1000)

            report: dict[str, Any] = {
                "texts": len(texts_all),
                "claims": sum(len(c) for _s, c in stored.values()),
                "queries": len(queries),
                "summary": {config: summary(table) for config, table in tables.items()},
                "per_direction": {
                    config: {d: v for d, v in table.items() if d not in ("en->xx", "xx->en", "all")}
                    for config, table in tables.items()
                }
                if args.per_language
                else None,
                "ingest": {
                    "seconds_total": round(ingest_s, 2),
                    "ms_per_claim_total": round(1000 * ingest_s / len(texts_all), 2),
                    "ms_per_claim_minilm_encode": round(1000 * minilm_s / len(texts_all), 2),
                    "ms_per_claim_use_encode": round(1000 * use_s / len(texts_all), 2),
                },
                "latency_ms": {
                    "k": 10,
                    "product_p50": _pct(timings, 50),
                    "product_p95": _pct(timings, 95),
                    "without_multilingual_p50": _pct(baseline, 50),
                    "without_multilingual_p95": _pct(baseline, 95),
                    "use_query_encode_p50": _pct(use_timings, 50),
                }
                if timings
                else None,
            }
            if args.fit:
                odd = [q for q in queries if int(q.record[1:]) % 2 == 1]
                even = [q for q in queries if int(q.record[1:]) % 2 == 0]
                odd_pools = {n: pools[queries.index(q)] for n, q in enumerate(odd)}
                best = fit_weights(scorer, odd, same_record, excluded, odd_pools)
                report["fit_on_odd_claims"] = best[:5]
                top = best[0]
                weights = CrossLingualWeights(
                    english=PairWeights(
                        minilm=1.0 - top["english_use"], use=top["english_use"], anchors=top["anchors"]
                    ),
                    same_language=PairWeights(minilm=0.2, use=0.8, anchors=top["anchors"]),
                    cross_language=PairWeights(minilm=0.0, use=1.0, anchors=top["anchors"], offset=top["cross_offset"]),
                )
                even_pools = {n: pools[queries.index(q)] for n, q in enumerate(even)}
                report["even_claims"] = {
                    "fitted": summary(
                        evaluate(
                            scorer, even, same_record, excluded, ["weighted+anchors"], weights=weights, pools=even_pools
                        )["weighted+anchors"]
                    ),
                    "default": summary(
                        evaluate(scorer, even, same_record, excluded, ["weighted+anchors"], pools=even_pools)[
                            "weighted+anchors"
                        ]
                    ),
                }
        finally:
            runtime.engine.dispose()
    return report


def main(args: argparse.Namespace) -> int:
    report = run_benchmark(args)
    print(json.dumps({k: v for k, v in report.items() if v is not None}, indent=2))
    return 0


if __name__ == "__main__":
    from bench import run_script

    sys.exit(run_script(__doc__, add_arguments, main))
