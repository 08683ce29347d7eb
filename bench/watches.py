"""`crosscheck bench watches`: what active watches cost ingest, and how fast their alerts arrive.

For each number of active watches (``--watches 0,1000,100000``), in a fresh store: the watches are written in
bulk (texts and vectors of the perf bench's sentence pool, `bench/corpus.py`: real sentences, encoded once and
cached; beyond the pool's size, a sentence's vector with small noise), then ``--articles`` articles made of pool
sentences are ingested with `Runtime.ingest_many` (what ``crosscheck ingest`` runs) while the alert service runs
in the background as a server runs it (check, then deliver, every ``--interval`` seconds) and posts its alerts
to a receiver on 127.0.0.1. Reported per size: ingest throughput (articles/s and its ratio to the no-watch
run), how long the checker needed to catch up after ingest ended, alerts raised and delivered, and alert
latency (from the article's ingest to the receipt of the alert: p50 / p95 / max).

    python bench/watches.py [--watches 0,1000,100000] [--articles 200] [--interval 0.2]

The machine's load changes every figure; the ratio to the no-watch run is what the target is about.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from typing import Any

import numpy as np

from bench import corpus, run_script
from bench.harness import WebhookReceiver


def _noisy(vector: np.ndarray, rng: np.random.Generator, scale: float = 0.02) -> np.ndarray:
    out = vector + rng.normal(0, scale, vector.shape).astype(np.float32)
    return (out / np.linalg.norm(out)).astype(np.float32)


def write_watches(engine: Any, n: int, pool: corpus.Pool, vectors: dict[str, np.ndarray], url: str) -> float:
    """Bulk-inserts ``n`` active text watches; returns the seconds it took."""
    from sqlalchemy import insert
    from sqlmodel import Session, SQLModel

    from service import alerts, store
    from service.multilingual import USE_KEY

    rng = np.random.default_rng(20261206)
    table = SQLModel.metadata.tables["watch"]
    secret = alerts.new_secret()
    started = time.perf_counter()
    with Session(engine) as session:
        rows = []
        for i in range(n):
            k = i % len(pool.sentences)
            dense = vectors["dense"][k] if i < len(pool.sentences) else _noisy(vectors["dense"][k], rng)
            row = {
                "text": pool.sentences[k],
                "all_fact_checks": False,
                "min_score": 0.5,
                "relations": '["conflict", "same"]',
                "callback_url": url,
                "secret": secret,
                "active": True,
                "embedding": store.vector_to_bytes(dense),
                "embedding_use": None,
                "created_at": alerts.now(),
            }
            if USE_KEY in vectors:
                use = vectors[USE_KEY][k] if i < len(pool.sentences) else _noisy(vectors[USE_KEY][k], rng)
                row["embedding_use"] = store.vector_to_bytes(use)
            rows.append(row)
            if len(rows) == 5_000:
                session.connection().execute(insert(table), rows)
                rows = []
        if rows:
            session.connection().execute(insert(table), rows)
        store.set_sync_info(session=session, key=alerts.CURSOR_KEY, value=str(store.last_change_seq(session=session)))
        alerts.bump_version(session)
        session.commit()
    return time.perf_counter() - started


def run_size(args: argparse.Namespace, n_watches: int, pool: corpus.Pool, vectors: dict[str, np.ndarray]) -> dict:
    from sqlmodel import Session, col, select

    from service import alerts
    from service.api.deps import webhook_fetcher
    from service.config import Settings
    from service.models import Alert, Source
    from service.runtime import Runtime
    from service.schemas import SourceCreate

    receiver = WebhookReceiver()
    articles = corpus.ingest_articles(pool, args.articles, seed=n_watches + 1)
    with tempfile.TemporaryDirectory(prefix="crosscheck-watches-") as tmp:
        settings = Settings(data_dir=Path(tmp), sync_interval_seconds=0, webhook_allow_networks=["127.0.0.0/8"])
        runtime = Runtime.open(settings)
        try:
            write_seconds = write_watches(runtime.engine, n_watches, pool, vectors, receiver.url)
            service = alerts.AlertService(runtime=runtime, fetcher=webhook_fetcher(settings), interval=args.interval)
            with Session(runtime.engine) as session:
                service.checker.index.refresh(session)  # the watch index is loaded before the clock starts
            service.start()
            started = time.perf_counter()
            stored = sum(
                1 for item in runtime.ingest_many(SourceCreate(text=t) for t in articles) if item.error is None
            )
            ingest_seconds = time.perf_counter() - started
            # Catch-up: until every logged claim is checked and no alert is pending.
            deadline = time.time() + args.timeout
            while time.time() < deadline:
                with Session(runtime.engine) as session:
                    from service import store

                    head = store.last_change_seq(session=session)
                    cursor = int(store.get_sync_info(session=session, key=alerts.CURSOR_KEY) or 0)
                    pending = session.exec(select(Alert.id).where(Alert.state == "pending").limit(1)).first()
                if cursor >= head and pending is None:
                    break
                time.sleep(0.2)
            caught_up = time.perf_counter() - started - ingest_seconds
            service.stop()
            with Session(runtime.engine) as session:
                rows = session.exec(
                    select(Alert.id, Alert.state, Source.ingested_at).join(Source, col(Source.id) == Alert.source_id)
                ).all()
        finally:
            runtime.close()
            receiver.close()
    latencies = []
    arrivals = receiver.arrivals()
    for alert_id, _state, ingested_at in rows:
        arrived = arrivals.get(f"alert_{alert_id}")
        if arrived is not None and ingested_at is not None:
            at = ingested_at if ingested_at.tzinfo else ingested_at.replace(tzinfo=dt.UTC)
            latencies.append(arrived - at.timestamp())
    latencies.sort()
    return {
        "watches": n_watches,
        "watch_rows_written_s": round(write_seconds, 1),
        "articles": stored,
        "ingest_s": round(ingest_seconds, 1),
        "articles_per_s": round(stored / ingest_seconds, 2),
        "checker_catch_up_s": round(caught_up, 1),
        "caught_up": caught_up < args.timeout,
        "alerts": len(rows),
        "delivered": sum(1 for _, state, _ in rows if state == "delivered"),
        "alert_latency_s": {
            "p50": round(statistics.median(latencies), 2) if latencies else None,
            "p95": round(latencies[int(0.95 * (len(latencies) - 1))], 2) if latencies else None,
            "max": round(latencies[-1], 2) if latencies else None,
        },
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--watches", default="0,1000,100000", help="comma-separated numbers of active watches")
    parser.add_argument("--articles", type=int, default=200, help="articles ingested per size")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between alert rounds")
    parser.add_argument("--timeout", type=float, default=600.0, help="longest wait for the checker to catch up")


def main(args: argparse.Namespace) -> int:
    from embeddings import Encoder
    from service.config import Settings
    from service.multilingual import USE_KEY, configured_encoders

    pool = corpus.load_pool()
    encoder = Encoder()
    vectors = {"dense": corpus.pool_vectors(pool=pool, encoder=encoder)[0]}
    extras = configured_encoders(Settings())
    if USE_KEY in extras:
        vectors[USE_KEY] = corpus.pool_vectors(pool=pool, encoder=extras[USE_KEY])[0]
    sizes = [int(x) for x in args.watches.split(",") if x.strip()]
    report: dict[str, Any] = {"pool_sentences": len(pool.sentences), "sizes": []}
    for n in sizes:
        report["sizes"].append(run_size(args, n, pool, vectors))
        print(json.dumps(report["sizes"][-1]), file=sys.stderr)
    base = next((r["articles_per_s"] for r in report["sizes"] if r["watches"] == 0), None)
    if base:
        for r in report["sizes"]:
            r["ingest_ratio_to_no_watches"] = round(r["articles_per_s"] / base, 3)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(run_script(__doc__, add_arguments, main))
