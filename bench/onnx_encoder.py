"""torch vs the int8 ONNX graph of all-MiniLM-L6-v2 (embeddings/onnx.py): speed, vector drift, CLEF2020 MAP@5.

Prints one JSON object:
- ``cold``: a fresh process per backend -- import, model load, first query, and whether torch got imported;
- ``speed``: sentences/s for lists of 64 CLEF claims and single-query ms (dev tweets): torch (batch 64, its
  default threads) vs onnx as configured by default (one sentence per pass, two passes side by side), one
  sentence per pass on 2 intra-op threads, and batches of 64 on 2 threads; alternating rounds, best reported;
- ``drift``: cosine between the two backends' vectors of every CLEF claim (mean, p1, min) and how many of a
  claim's / a dev tweet's 10 nearest claims stay the same;
- ``retrieval``: `crosscheck bench retrieval` (dense and hybrid) with torch, with onnx for store and queries
  (its own store cache under data/bench/onnx/), and mixed (store made by torch, queries by onnx) -- the case of
  switching the backend of an existing store, run when both report the same model id.

    python bench/onnx_encoder.py [--skip-retrieval] [--rounds 3]

The graph is made first if it is not cached (see ``python -m embeddings.onnx export``). Timings depend on the
load of the machine: ``load_avg`` is reported before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench import retrieval as bench_retrieval  # noqa: E402
from embeddings import Encoder, TextEncoder  # noqa: E402
from embeddings.onnx import OnnxEncoder  # noqa: E402
from service.extraction import normalize_claim_text  # noqa: E402

ONNX_CACHE_ROOT = REPO_ROOT / "data" / "bench" / "onnx" / "retrieval"
COLD_SCRIPT = """
import json, sys, time
start = time.perf_counter()
from embeddings import load_encoder
imported = time.perf_counter()
encoder = load_encoder(backend=sys.argv[1])
loaded = time.perf_counter()
encoder.encode_queries(["North Korea sent more than 10,000 soldiers to Kursk"])
done = time.perf_counter()
print(json.dumps({"import_s": imported - start, "load_s": loaded - imported, "first_query_s": done - loaded,
                  "torch_imported": "torch" in sys.modules}))
"""


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def cold_start(backend: str) -> dict[str, Any]:
    """Process start to first encoded query, in a child process (so nothing is already imported)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", COLD_SCRIPT, backend], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    wall = time.perf_counter() - start
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return {**{k: round(v, 2) if isinstance(v, float) else v for k, v in figures.items()}, "process_s": round(wall, 2)}


def speed(encoders: dict[str, TextEncoder], *, claims: list[str], queries: list[str], rounds: int) -> dict[str, Any]:
    """Best-of-`rounds` throughput (lists of 64) and median single-query latency, encoders alternating.

    Also sentences per CPU-second of the whole process (all threads): on a machine shared with other jobs,
    wall-clock rates fall with the load, CPU cost much less.
    """
    batch_rates: dict[str, list[float]] = {name: [] for name in encoders}
    cpu_rates: dict[str, list[float]] = {name: [] for name in encoders}
    single_ms: dict[str, list[float]] = {name: [] for name in encoders}
    for encoder in encoders.values():  # warm-up
        encoder.encode_documents(claims[:64])
        encoder.encode_queries(queries[:3])
    for _ in range(rounds):
        for name, encoder in encoders.items():
            start, cpu = time.perf_counter(), time.process_time()
            for lo in range(0, len(claims), 64):
                encoder.encode_documents(claims[lo : lo + 64])
            batch_rates[name].append(len(claims) / (time.perf_counter() - start))
            cpu_rates[name].append(len(claims) / max(time.process_time() - cpu, 1e-9))
            timings = []
            for text in queries:
                start = time.perf_counter()
                encoder.encode_queries([text])
                timings.append((time.perf_counter() - start) * 1000)
            single_ms[name].append(float(np.median(timings)))
    return {
        name: {
            "sentences_per_s_lists_of_64": round(max(batch_rates[name]), 1),
            "sentences_per_cpu_s": round(max(cpu_rates[name]), 1),
            "single_query_ms_p50": round(min(single_ms[name]), 2),
        }
        for name in encoders
    }


def overlap_at_10(
    a: np.ndarray, b: np.ndarray, queries_a: np.ndarray, queries_b: np.ndarray, skip: np.ndarray | None = None
) -> float:
    """Mean share of the 10 nearest rows of `a` (for queries_a) found among the 10 nearest of `b`.

    `skip` gives, per query, a row to leave out (the claim itself when claims are the queries).
    """
    shared = 0
    for lo in range(0, len(queries_a), 256):
        scores_a = queries_a[lo : lo + 256] @ a.T
        scores_b = queries_b[lo : lo + 256] @ b.T
        if skip is not None:
            rows = np.arange(len(scores_a))
            scores_a[rows, skip[lo : lo + 256]] = -np.inf
            scores_b[rows, skip[lo : lo + 256]] = -np.inf
        top_a = np.argsort(-scores_a, axis=1)[:, :10]
        top_b = np.argsort(-scores_b, axis=1)[:, :10]
        shared += sum(len(set(x) & set(y)) for x, y in zip(top_a, top_b, strict=True))
    return round(shared / (10 * len(queries_a)), 4)


def retrieval_args(mode: str, cache_dir: Path) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    bench_retrieval.add_arguments(parser)
    return parser.parse_args(["--mode", mode, "--cache-dir", str(cache_dir), "--quiet"])


def corpus_vectors(cache_dir: Path, encoder: TextEncoder) -> np.ndarray:
    """The corpus vectors the retrieval bench cached for this encoder's store."""
    corpus = bench_retrieval.DATASET / "verified_claims.docs.tsv"
    folder = cache_dir / f"{corpus.stem.split('.')[0]}-{bench_retrieval.corpus_key(corpus)}"
    return np.load(folder / f"vectors-{str(encoder.model_id).replace('/', '_')}.npy")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="alternating speed rounds (best is reported)")
    parser.add_argument("--skip-retrieval", action="store_true", help="no MAP@5 runs (they build an onnx store)")
    args = parser.parse_args()
    report: dict[str, Any] = {"load_avg_start": load_avg(), "cpus": os.cpu_count()}
    report["cold"] = {backend: cold_start(backend) for backend in ("onnx", "torch")}

    torch_encoder = Encoder()
    onnx_default = OnnxEncoder()
    report["model_ids"] = {"torch": str(torch_encoder.model_id), "onnx": str(onnx_default.model_id)}
    report["onnx_default"] = {"batch_size": 1, "threads": onnx_default.threads, "workers": onnx_default.workers}
    rows = bench_retrieval.read_corpus(bench_retrieval.DATASET / "verified_claims.docs.tsv")
    tweets = list(bench_retrieval.read_queries(bench_retrieval.DATASET / "dev" / "tweets.queries.tsv").values())
    claims = [normalize_claim_text(r.text) for r in rows[:512]]
    report["speed"] = speed(
        {
            "torch": torch_encoder,
            # The default: one sentence per pass on one intra-op thread, two passes side by side.
            "onnx": onnx_default,
            "onnx_1pass_2threads": OnnxEncoder(threads=2, workers=1),
            "onnx_batch64_2threads": OnnxEncoder(batch_size=64, threads=2, workers=1),
        },
        claims=claims,
        queries=tweets[:50],
        rounds=args.rounds,
    )
    report["load_avg_after_speed"] = load_avg()

    if not args.skip_retrieval:
        retrieval: dict[str, Any] = {}
        same_space = torch_encoder.model_id == onnx_default.model_id
        for mode in ("dense", "hybrid"):
            runs: dict[str, tuple[TextEncoder, Path]] = {
                "torch": (torch_encoder, bench_retrieval.CACHE_ROOT),
                "onnx": (onnx_default, ONNX_CACHE_ROOT),
            }
            if same_space:
                runs["mixed_torch_store_onnx_queries"] = (onnx_default, bench_retrieval.CACHE_ROOT)
            for name, (encoder, cache_dir) in runs.items():
                result = bench_retrieval.run_benchmark(retrieval_args(mode, cache_dir), encoder=encoder)
                keep = ("map@1", "map@5", "mrr", "recall@10", "reranker", "ms_p50", "encode_s")
                retrieval[f"{mode}/{name}"] = {k: result[k] for k in keep}
        for mode in ("dense", "hybrid"):
            base = retrieval[f"{mode}/torch"]["map@5"]
            for key, value in retrieval.items():
                if key.startswith(f"{mode}/"):
                    value["map@5_minus_torch"] = round(value["map@5"] - base, 4)
        report["retrieval"] = retrieval

        torch_vectors = corpus_vectors(bench_retrieval.CACHE_ROOT, torch_encoder)
        onnx_vectors = corpus_vectors(ONNX_CACHE_ROOT, onnx_default)
        cosines = np.sum(torch_vectors * onnx_vectors, axis=1)
        sample = np.random.default_rng(7).choice(len(rows), size=1000, replace=False)
        tweets_torch = torch_encoder.encode_queries(tweets)
        tweets_onnx = onnx_default.encode_queries(tweets)
        report["drift"] = {
            "n_claims": len(cosines),
            "cosine_mean": round(float(cosines.mean()), 5),
            "cosine_p1": round(float(np.percentile(cosines, 1)), 5),
            "cosine_min": round(float(cosines.min()), 5),
            "drift_mean": round(float(1 - cosines.mean()), 5),
            "drift_max": round(float(1 - cosines.min()), 5),
            "tweet_cosine_mean": round(float(np.sum(tweets_torch * tweets_onnx, axis=1).mean()), 5),
            "top10_overlap_claims_1000": overlap_at_10(
                torch_vectors, onnx_vectors, torch_vectors[sample], onnx_vectors[sample], skip=sample
            ),
            "top10_overlap_dev_tweets": overlap_at_10(torch_vectors, onnx_vectors, tweets_torch, tweets_onnx),
        }
    report["load_avg_end"] = load_avg()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
