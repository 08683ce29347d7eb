"""Index strategies at 100k and 1M claims: exact vs HNSW vs IVF, float32 vs SQ8, on real embeddings.

    python bench/index.py [--sizes 100000,1000000] [--kinds flat,hnsw,ivf] [--queries 500]

Prints one JSON object. Per variant and size: build seconds, single-query search p50/p95 in ms at 1 and 2
FAISS threads, recall@10 and recall@50 against exact float32 search, bytes per vector in RAM (serialized
size, which is what the process holds), load seconds with and without mmap, and a delete + re-add check.

Real vectors: every sentence of the CLEF2020 verified-claims corpus (claims and titles) and of the ClaimBuster
training split, encoded once with the real MiniLM and the multilingual USE and cached under
`data/bench/index/` (see `ensure_real_vectors`). The queries are the CLEF2020 tweets (train + dev), encoded
as queries, never in the base. Bigger bases are made by adding Gaussian noise to real vectors and
re-normalising (the JSON says so and gives the noise level); recall is also measured on the real base alone,
to show the noise does not flatter it.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from embeddings.encoder import ModelId, normalize_rows  # noqa: E402

DATASETS = REPO_ROOT.parent / "shared" / "datasets"
CACHE_DIR = REPO_ROOT / "data" / "bench" / "index"
# Noise added per coordinate, as a norm: a copy keeps a cosine of about 1/sqrt(1 + NOISE_NORM**2) ≈ 0.86 with
# the real vector it came from, close to the cosine of a real paraphrase, so the copies spread out like
# claims about one event rather than stacking up as duplicates.
NOISE_NORM = 0.6


def _texts() -> tuple[list[str], list[str]]:
    """(base sentences, query sentences) from the shared datasets."""
    from bench.metrics import read_tsv

    clef = DATASETS / "clef2020-task2"
    base: list[str] = []
    for row in read_tsv(clef / "verified_claims.docs.tsv", ["vclaim_id", "vclaim", "title"]):
        base += [t for t in (row["vclaim"].strip(), row["title"].strip()) if t]
    base += [r["text"].strip() for r in json.loads((DATASETS / "claimbuster" / "train.json").read_text()) if r["text"]]
    queries = [
        r["tweet_content"].strip()
        for split in ("train", "dev")
        for r in read_tsv(clef / split / "tweets.queries.tsv", ["tweet_id", "tweet_content"])
    ]
    return base, queries


def _cache_key(base: list[str], queries: list[str]) -> str:
    digest = hashlib.sha256()
    for text in [*base, "\0queries\0", *queries]:
        digest.update(text.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def cached_vector_paths(encoder_key: str) -> tuple[Path, Path]:
    """(base, queries) .npy files of one encoder ("minilm" or "use") in the cache."""
    return CACHE_DIR / f"real-{encoder_key}-base.npy", CACHE_DIR / f"real-{encoder_key}-queries.npy"


def ensure_real_vectors(
    *, quiet: bool = True, encoders: tuple[str, ...] = ("minilm", "use")
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Encodes the real sentences with MiniLM and USE once; later calls read the cache.

    The cache is `data/bench/index/real-<minilm|use>-<base|queries>.npy` (float32, unit rows) plus
    `real-meta.json` (counts, models, the texts' hash). Another bench may read these files directly.

    Returns:
        encoder key -> (base vectors, query vectors).
    """
    base, queries = _texts()
    key = _cache_key(base, queries)
    meta_path = CACHE_DIR / "real-meta.json"
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if meta.get("texts_hash") != key:
        meta = {"texts_hash": key, "base": len(base), "queries": len(queries), "models": {}}
    for enc_key in encoders:
        base_path, query_path = cached_vector_paths(enc_key)
        if enc_key in meta["models"] and base_path.exists() and query_path.exists():
            out[enc_key] = (np.load(base_path), np.load(query_path))
            continue
        from embeddings import Encoder, TextEncoder

        encoder: TextEncoder
        if enc_key == "minilm":
            encoder = Encoder()
        else:
            from embeddings.use import MultilingualEncoder

            encoder = MultilingualEncoder(threads=2)
        start = time.perf_counter()
        chunks = []
        for lo in range(0, len(base), 2048):
            chunks.append(encoder.encode_documents(base[lo : lo + 2048]))
            if not quiet:
                print(f"{enc_key}: {lo + len(chunks[-1])}/{len(base)}", file=sys.stderr, flush=True)
        base_vecs = np.vstack(chunks).astype(np.float32)
        query_vecs = encoder.encode_queries(queries).astype(np.float32)
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        np.save(base_path, base_vecs)
        np.save(query_path, query_vecs)
        meta["models"][enc_key] = {"model": str(encoder.model_id), "seconds": round(time.perf_counter() - start, 1)}
        meta_path.write_text(json.dumps(meta, indent=1))
        out[enc_key] = (base_vecs, query_vecs)
    return out


def noisy_copies(real: np.ndarray, n: int, *, seed: int = 7, noise_norm: float = NOISE_NORM) -> np.ndarray:
    """`n` unit vectors: the real ones first, then noisy copies of randomly chosen real ones."""
    if n <= len(real):
        return real[:n].copy()
    rng = np.random.default_rng(seed)
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    out[: len(real)] = real
    sigma = noise_norm / np.sqrt(real.shape[1])
    for lo in range(len(real), n, 100_000):
        hi = min(n, lo + 100_000)
        pick = rng.integers(0, len(real), size=hi - lo)
        block = real[pick] + rng.normal(0.0, sigma, size=(hi - lo, real.shape[1])).astype(np.float32)
        out[lo:hi] = normalize_rows(block)
    return out


# ----------------------------------------------------------------------------------------------- measures


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 3), "p95_ms": round(float(np.percentile(ms, 95)), 3)}


def _latency(search: Callable[[np.ndarray], Any], queries: np.ndarray, threads: int) -> dict[str, float]:
    """Single-query latency with `threads` OpenMP threads (the service searches one query per request)."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    try:
        search(queries[0])  # warm-up
        times = []
        for q in queries:
            start = time.perf_counter()
            search(q)
            times.append(time.perf_counter() - start)
    finally:
        faiss.omp_set_num_threads(before)
    return _percentiles(times)


def _recall(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    return round(
        float(np.mean([len(set(f[:k]) & set(t[:k]) - {-1}) / k for f, t in zip(found, truth, strict=True)])), 4
    )


def _hits_to_array(rows: list[list[tuple[int, float]]], k: int) -> np.ndarray:
    out = np.full((len(rows), k), -1, dtype=np.int64)
    for r, row in enumerate(rows):
        ids = [i for i, _ in row][:k]
        out[r, : len(ids)] = ids
    return out


def _claim_index_variant(
    *,
    name: str,
    options: Any,
    base: np.ndarray,
    queries: np.ndarray,
    truth: np.ndarray,
    latency_queries: int,
    ef_values: list[int],
    model: ModelId,
    scratch: Path,
    check_deletes: bool,
    refine: int = 0,
    keep_dir: Path | None = None,
) -> dict[str, Any]:
    """Builds a ClaimIndex (the service's code path) and measures it.

    With `refine` > 1, each HNSW setting is also measured the way the service answers from an approximate
    index: ``10 * refine`` candidates from the index, re-scored with their float32 vectors (the service
    reads them from the database), best 10 kept. With `keep_dir`, the built index is saved there and reused
    by the next run over the same vectors (a 1M HNSW build takes minutes here).
    """
    from dataclasses import replace

    from embeddings import ClaimIndex

    out: dict[str, Any] = {"variant": name}
    ids = np.arange(1, base.shape[0] + 1, dtype=np.int64)
    kept = keep_dir / f"{name}-{model.name}-{base.shape[0]}-{_array_key(base)}.faiss" if keep_dir else None
    rss0 = _rss_bytes()
    start = time.perf_counter()
    if kept is not None and kept.exists():
        index = ClaimIndex.load(kept, model, options)
        out["reused_build"] = str(kept)
    else:
        index = ClaimIndex(model, options)
        with index.bulk(base.shape[0]):
            for lo in range(0, base.shape[0], 100_000):
                index.add(ids[lo : lo + 100_000], base[lo : lo + 100_000])
        out["build_s"] = round(time.perf_counter() - start, 2)
        if kept is not None:
            index.save(kept)
    out["kind"] = index.kind
    out["rss_growth_bytes_per_vector"] = round((_rss_bytes() - rss0) / base.shape[0], 1)
    sweeps = []
    for ef in ef_values if index.kind == "hnsw" else [0]:
        if ef:
            index.options = replace(options, ef_search=ef)
            index._backend.options = index.options  # the search reads ef from its backend
        found = _hits_to_array(index.search(queries, 50), 50) - 1  # ids start at 1, truth rows at 0
        entry: dict[str, Any] = {"ef_search": ef} if ef else {}
        entry["recall@10"] = _recall(found, truth, 10)
        entry["recall@50"] = _recall(found, truth, 50)
        if ef and refine > 1:
            entry["refined"] = _refined(index, base, queries, truth, refine * 10, latency_queries)
        for threads in (1, 2):
            entry[f"search_{threads}t"] = _latency(
                lambda q, ix=index: ix._backend.search(q[None, :], 50, None, None), queries[:latency_queries], threads
            )
        # Through the public API: lock, OpenMP thread switch, result conversion.
        entry["search_api"] = _latency(lambda q, ix=index: ix.search(q, 50), queries[:latency_queries], 2)
        sweeps.append(entry)
    out["search"] = sweeps
    # What the reranker's dense:cos reads: cosines from index.vectors() vs float32, on the true top 50.
    qs, rows = queries[:100], truth[:100]
    errs = []
    for q, row in zip(qs, rows, strict=True):
        found_ids, vecs = index.vectors(row + 1)
        errs.append(np.abs(vecs @ q - base[found_ids - 1] @ q))
    err = np.concatenate(errs)
    out["vectors_cosine_error"] = {"mean": round(float(err.mean()), 5), "max": round(float(err.max()), 5)}
    path = scratch / f"{name}.faiss"
    start = time.perf_counter()
    index.save(path)
    out["save_s"] = round(time.perf_counter() - start, 2)
    out["file_bytes_per_vector"] = round(path.stat().st_size / base.shape[0], 1)
    del index
    gc.collect()
    for mmap in (False, True):
        rss0 = _rss_bytes()
        start = time.perf_counter()
        loaded = ClaimIndex.load(path, model, replace(options, mmap=mmap))
        load_s = time.perf_counter() - start
        loaded.search(queries[0], 10)
        first_s = time.perf_counter() - start
        times = []
        for q in queries[:latency_queries]:
            t0 = time.perf_counter()
            loaded.search(q, 50)
            times.append(time.perf_counter() - t0)
        out[f"load_{'mmap' if mmap else 'read'}"] = {
            "load_s": round(load_s, 3),
            "load_and_first_search_s": round(first_s, 3),
            "rss_growth_bytes_per_vector": round((_rss_bytes() - rss0) / base.shape[0], 1),
            "search_after_load": _percentiles(times),
        }
        if check_deletes and not mmap:
            out["delete_readd"] = _delete_readd(loaded, base, queries)
        del loaded
        gc.collect()
    path.unlink(missing_ok=True)
    path.with_name(path.name + ".manifest.json").unlink(missing_ok=True)
    return out


def _array_key(base: np.ndarray) -> str:
    """A short fingerprint of a vector set (first, middle and last rows, and the shape)."""
    digest = hashlib.sha256(str(base.shape).encode())
    for row in (0, base.shape[0] // 2, base.shape[0] - 1):
        digest.update(base[row].tobytes())
    return digest.hexdigest()[:10]


def _refined(
    index: Any, base: np.ndarray, queries: np.ndarray, truth: np.ndarray, candidates: int, latency_queries: int
) -> dict[str, Any]:
    """Recall@10 of `candidates` approximate neighbours re-scored with float32 vectors, and its latency."""

    def answer(q: np.ndarray) -> np.ndarray:
        [hits] = index.search(q, candidates)
        ids = np.fromiter((i for i, _ in hits), dtype=np.int64, count=len(hits))
        exact = base[ids - 1] @ q
        return ids[np.argsort(-exact, kind="stable")[:10]] - 1

    found = np.full((queries.shape[0], 10), -1, dtype=np.int64)
    for row, q in enumerate(queries):
        top = answer(q)
        found[row, : top.size] = top
    times = []
    for q in queries[:latency_queries]:
        start = time.perf_counter()
        answer(q)
        times.append(time.perf_counter() - start)
    return {"candidates": candidates, "recall@10": _recall(found, truth, 10), "search_api": _percentiles(times)}


def _delete_readd(index: Any, base: np.ndarray, queries: np.ndarray) -> dict[str, Any]:
    """Removes 1% of the ids, re-adds half of them with other vectors; checks what searches return."""
    rng = np.random.default_rng(11)
    n = base.shape[0]
    gone = rng.choice(np.arange(1, n + 1), size=max(10, n // 100), replace=False)
    start = time.perf_counter()
    index.remove(gone)
    back = gone[: gone.size // 2]
    # Re-added under other vectors: real ones moved a little, so no other id holds the same vector.
    new_vectors = noisy_copies(base[rng.choice(n, size=back.size, replace=False)], 2 * back.size, seed=12)[back.size :]
    index.add(back, new_vectors)
    seconds = time.perf_counter() - start
    dead = set(gone[gone.size // 2 :].tolist())
    returned_dead = sum(len(dead & {i for i, _ in hits}) for hits in index.search(queries, 50))
    probes = rng.choice(back.size, size=min(200, back.size), replace=False)
    self_top1 = np.mean([index.search(new_vectors[p], 1)[0][0][0] == back[p] for p in probes])
    index.wait_for_rebuild()
    return {
        "removed": int(gone.size),
        "readded": int(back.size),
        "seconds": round(seconds, 2),
        "size_ok": len(index) == n - len(dead),
        "removed_ids_returned": int(returned_dead),
        "readded_found_by_new_vector_top1": round(float(self_top1), 4),
        "tombstones": int(index.tombstones),
    }


def _raw_variant(
    *, name: str, factory: str, base: np.ndarray, queries: np.ndarray, truth: np.ndarray, latency_queries: int
) -> dict[str, Any]:
    """A FAISS index built directly (for comparison: IVF, HNSW over float32, exact over 8-bit vectors)."""
    import faiss

    out: dict[str, Any] = {"variant": name, "factory": factory}
    index = faiss.index_factory(base.shape[1], factory, faiss.METRIC_INNER_PRODUCT)
    start = time.perf_counter()
    if not index.is_trained:
        sample = base[np.random.default_rng(0).choice(base.shape[0], min(base.shape[0], 200_000), replace=False)]
        index.train(sample)
    if "HNSW" in factory:
        faiss.downcast_index(index).hnsw.efConstruction = 80
    index.add(base)
    out["build_s"] = round(time.perf_counter() - start, 2)
    out["file_bytes_per_vector"] = round(faiss.serialize_index(index).size / base.shape[0], 1)
    sweeps = []
    if "IVF" in factory:
        settings = [("nprobe", v, faiss.SearchParametersIVF(nprobe=v)) for v in (16, 32, 64, 128)]
    elif "HNSW" in factory:
        settings = [("ef_search", v, faiss.SearchParametersHNSW(efSearch=v)) for v in (64, 96, 128, 192)]
    else:
        settings = [("exact", 0, None)]
    for label, value, params in settings:
        _, found = index.search(queries, 50, params=params)
        entry: dict[str, Any] = {
            label: value,
            "recall@10": _recall(found, truth, 10),
            "recall@50": _recall(found, truth, 50),
        }
        for threads in (1, 2):
            entry[f"search_{threads}t"] = _latency(
                lambda q, p=params: index.search(q[None, :], 50, params=p), queries[:latency_queries], threads
            )
        sweeps.append(entry)
    out["search"] = sweeps
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    import faiss

    from embeddings import IndexOptions

    real = ensure_real_vectors(quiet=False, encoders=tuple(args.encoders.split(",")))
    sizes = [int(s) for s in args.sizes.split(",") if s]
    variants = set(args.variants.split(","))
    scratch = Path(args.scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "loadavg_at_start": [round(x, 2) for x in load]},
        "data": {
            "real_base": {k: int(v[0].shape[0]) for k, v in real.items()},
            "queries": {k: min(args.queries, int(v[1].shape[0])) for k, v in real.items()},
            "queries_from": "CLEF2020 tweets (train + dev), encoded as queries, not in the base",
            "base_from": "CLEF2020 verified claims + their titles + ClaimBuster train sentences",
            "synthetic_above_real": f"noisy copies of real vectors: + N(0, ({NOISE_NORM}/sqrt(dim))^2) per "
            f"coordinate, re-normalised (cosine to the source ≈ {1 / np.sqrt(1 + NOISE_NORM**2):.2f})",
            "cache": str(CACHE_DIR),
        },
        "results": [],
    }
    model_names = {"minilm": ModelId("bench-minilm", 384), "use": ModelId("bench-use", 512)}
    for enc_key in args.encoders.split(","):
        real_base, real_queries = real[enc_key]
        queries = np.ascontiguousarray(real_queries[: args.queries])
        for size in sizes:
            size_label = "real" if size == 0 else size
            base = real_base.copy() if size == 0 else noisy_copies(real_base, size)
            faiss.omp_set_num_threads(os.cpu_count() or 2)
            flat = faiss.IndexFlatIP(base.shape[1])
            flat.add(base)
            _, truth = flat.search(queries, 50)
            del flat
            entry: dict[str, Any] = {"encoder": enc_key, "size": size_label, "n": int(base.shape[0]), "variants": []}
            print(f"[{enc_key} {size_label}] ground truth done", file=sys.stderr, flush=True)
            common = {"base": base, "queries": queries, "truth": truth, "latency_queries": args.latency_queries}
            if "flat" in variants:
                entry["variants"].append(
                    _claim_index_variant(
                        name="flat",
                        options=IndexOptions(kind="flat"),
                        ef_values=[],
                        model=model_names[enc_key],
                        scratch=scratch,
                        check_deletes=not args.no_deletes,
                        **common,
                    )
                )
                print(f"[{enc_key} {size_label}] flat done", file=sys.stderr, flush=True)
            if "hnsw" in variants:
                options = IndexOptions(
                    kind="hnsw",
                    min_approximate=1,
                    hnsw_m=args.hnsw_m,
                    ef_construction=args.ef_construction,
                    background=False,
                )
                entry["variants"].append(
                    _claim_index_variant(
                        name=f"hnsw{args.hnsw_m}-efc{args.ef_construction}-sq8",
                        options=options,
                        ef_values=[int(v) for v in args.ef.split(",") if v],
                        refine=args.refine,
                        keep_dir=Path(args.keep) if args.keep else None,
                        model=model_names[enc_key],
                        scratch=scratch,
                        check_deletes=not args.no_deletes,
                        **common,
                    )
                )
                print(f"[{enc_key} {size_label}] hnsw done", file=sys.stderr, flush=True)
            for raw in ("sq8-exact", "hnsw-float", "ivf-sq8"):
                if raw not in variants:
                    continue
                nlist = max(256, int(4 * np.sqrt(base.shape[0])) // 256 * 256)
                factory = {"sq8-exact": "SQ8", "hnsw-float": f"HNSW{args.hnsw_m},Flat", "ivf-sq8": f"IVF{nlist},SQ8"}[
                    raw
                ]
                entry["variants"].append(_raw_variant(name=raw, factory=factory, **common))
                print(f"[{enc_key} {size_label}] {raw} done", file=sys.stderr, flush=True)
            result["results"].append(entry)
            del base, truth, common
            gc.collect()
    result["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def main(argv: list[str] | None = None) -> int:
    from embeddings import IndexOptions

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0,100000,1000000", help="base sizes; 0 = the real sentences only")
    parser.add_argument("--encoders", default="minilm", help="minilm,use")
    parser.add_argument(
        "--variants", default="flat,hnsw,sq8-exact,ivf-sq8", help="flat,hnsw,sq8-exact,hnsw-float,ivf-sq8"
    )
    parser.add_argument("--queries", type=int, default=500, help="queries for recall")
    parser.add_argument("--latency-queries", type=int, default=200, help="queries timed one by one")
    parser.add_argument("--hnsw-m", type=int, default=32)
    parser.add_argument("--ef-construction", type=int, default=IndexOptions().ef_construction)
    parser.add_argument("--ef", default="64,128,256", help="HNSW ef_search values measured")
    parser.add_argument(
        "--refine", type=int, default=4, help="also measure 10 x N HNSW candidates re-scored in float32 (0: off)"
    )
    parser.add_argument("--keep", help="save built HNSW indexes here and reuse them in later runs")
    parser.add_argument("--no-deletes", action="store_true", help="skip the delete + re-add check")
    parser.add_argument("--scratch", default=str(CACHE_DIR / "scratch"), help="where saved indexes are written")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args(argv)
    result = run(args)
    text = json.dumps(result, indent=1)
    if args.out:
        Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
