"""Load: N concurrent clients mixing matches and ingests against a real server on 127.0.0.1, for a bounded time.

    python bench/load.py [--clients 32] [--duration 60] [--match-ratio 0.8] [--encoder real|hashing]
                         [--max-requests N] [--url http://127.0.0.1:PORT --api-key KEY]

Without --url it starts `bench/server.py` (the production app under uvicorn, 127.0.0.1 only) on a fresh data
directory, ingests the seed articles, runs the clients, checks consistency and stops the server. With --url
it targets a server you started, which must be on a loopback address. Every ingest is a new article, so the
store grows during the run. Prints one JSON object: requests, errors by status, latency p50/p95/p99 (all and
per kind), throughput, and the final consistency check (every acknowledged source listed with its claims,
as many index entries as claims). Exits 1 on any error or inconsistency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import numpy as np

from bench.harness import REPO, ServerProcess, article, query

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0}
    arr = np.asarray(values) * 1000.0
    return {f"p{q}": round(float(np.percentile(arr, q)), 1) for q in (50, 95, 99)}


async def _client(
    n: int,
    http: httpx.AsyncClient,
    deadline: float,
    budget: list[int],
    match_ratio: float,
    results: dict[str, list[float]],
    errors: Counter[str],
    acknowledged: dict[int, int],
    seed: int,
) -> None:
    rng = random.Random(seed * 1000 + n)
    serial = 0
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        if rng.random() < match_ratio:
            kind = "match"
            request = http.build_request("POST", "/claims/match", json={"text": query(rng), "k": 10})
        else:
            kind = "ingest"
            serial += 1
            text = article(rng, n * 1_000_000 + serial + seed * 10**9)
            request = http.build_request("POST", "/sources", json={"text": text})
        started = time.perf_counter()
        try:
            response = await http.send(request)
        except httpx.HTTPError as exc:
            errors[f"{kind}: {type(exc).__name__}"] += 1
            continue
        elapsed = time.perf_counter() - started
        if response.status_code >= 400 or (kind == "ingest" and response.status_code != 201):
            errors[f"{kind}: HTTP {response.status_code}"] += 1
            continue
        results[kind].append(elapsed)
        if kind == "ingest":
            body = response.json()
            acknowledged[body["id"]] = len(body["claims"])


async def _check(http: httpx.AsyncClient, acknowledged: dict[int, int]) -> dict[str, Any]:
    listed: dict[int, int] = {}
    offset = 0
    while True:
        page = (await http.get("/sources", params={"offset": offset, "limit": 500})).json()
        listed.update({row["id"]: row["claim_count"] for row in page["data"]})
        offset += 500
        if offset >= page["count"]:
            break
    missing = [i for i in acknowledged if i not in listed]
    wrong = [i for i, n in acknowledged.items() if i in listed and listed[i] != n]
    health = (await http.get("/health")).json()
    return {
        "acknowledged_sources": len(acknowledged),
        "missing_sources": len(missing),
        "wrong_claim_counts": len(wrong),
        "claims": health["claims"],
        "index_size": health["index_size"],
        "ok": not missing and not wrong and health["claims"] == health["index_size"],
    }


async def drive(
    base_url: str,
    *,
    clients: int,
    duration: float,
    match_ratio: float,
    max_requests: int,
    api_key: str | None,
    seed: int,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    # Idle connections are dropped by the client after 2 s, before uvicorn closes them at 5 s: with both at 5 s
    # (httpx's default) a request sent on a connection the server is closing that instant fails with ReadError.
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2.0)
    timeout = httpx.Timeout(60.0)
    results: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    acknowledged: dict[int, int] = {}
    budget = [max_requests]
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=timeout, trust_env=False
    ) as http:
        started = time.monotonic()
        deadline = started + duration
        await asyncio.gather(
            *(
                _client(n, http, deadline, budget, match_ratio, results, errors, acknowledged, seed)
                for n in range(clients)
            )
        )
        elapsed = time.monotonic() - started
        consistency = await _check(http, acknowledged)
    every = [t for values in results.values() for t in values]
    total = len(every) + sum(errors.values())
    return {
        "clients": clients,
        "duration_s": round(elapsed, 1),
        "requests": total,
        "ok_requests": len(every),
        "throughput_rps": round(total / elapsed, 1) if elapsed else 0.0,
        "errors": dict(errors),
        "error_count": sum(errors.values()),
        "latency_ms": {"count": len(every), **percentiles(every)},
        "by_kind": {kind: {"count": len(v), **percentiles(v)} for kind, v in sorted(results.items())},
        "consistency": consistency,
    }


def seed_server(base_url: str, api_key: str | None) -> int:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    seeds = sorted(p for p in (REPO / "seeds").glob("*.md") if p.name.lower() != "readme.md")
    with httpx.Client(base_url=base_url, headers=headers, timeout=120.0, trust_env=False) as client:
        for path in seeds:
            response = client.post("/sources", json={"text": path.read_text(encoding="utf-8")})
            response.raise_for_status()
    return len(seeds)


def run(
    *,
    clients: int = 32,
    duration: float = 60.0,
    match_ratio: float = 0.8,
    max_requests: int = 1_000_000,
    encoder: str = "real",
    url: str | None = None,
    api_key: str | None = None,
    seed: int = 1,
    work_dir: Path | None = None,
    watches: int = 0,
) -> dict[str, Any]:
    """Runs the load test (see the module docstring) and returns the report."""
    if url is not None:
        host = urlsplit(url).hostname or ""
        if host not in LOOPBACK_HOSTS:
            raise SystemExit(f"refusing to load {host}: this benchmark only targets a server on this machine")
        report = asyncio.run(
            drive(
                url,
                clients=clients,
                duration=duration,
                match_ratio=match_ratio,
                max_requests=max_requests,
                api_key=api_key,
                seed=seed,
            )
        )
        return {"target": url, **report}
    with tempfile.TemporaryDirectory(prefix="crosscheck-load-") as tmp:
        work = work_dir or Path(tmp)
        (work / "data").mkdir(parents=True, exist_ok=True)
        server = ServerProcess(
            work / "data",
            encoder=encoder,
            log_path=work / "server.log",
            env={"CROSSCHECK_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8"} if watches else None,
        )
        startup = server.start()
        receiver = None
        try:
            seeded = seed_server(server.base_url, None)
            watched: dict[str, Any] = {}
            if watches:
                from bench.harness import WebhookReceiver

                receiver = WebhookReceiver()
                watched = add_watches(server.base_url, watches, receiver.url, seed)
            report = asyncio.run(
                drive(
                    server.base_url,
                    clients=clients,
                    duration=duration,
                    match_ratio=match_ratio,
                    max_requests=max_requests,
                    api_key=None,
                    seed=seed,
                )
            )
            if watches:
                watched.update(alerts_after(server.base_url, receiver))
        finally:
            server.terminate()
            if receiver is not None:
                receiver.close()
        return {
            "target": "bench/server.py on 127.0.0.1",
            "encoder": encoder,
            "startup_s": round(startup, 1),
            "seeded": seeded,
            **({"watches": watched} if watches else {}),
            **report,
        }


def add_watches(base_url: str, n: int, callback: str, seed: int) -> dict[str, Any]:
    """``n`` active watches over HTTP: the seed articles' claims, and variants of them with other figures."""
    rng = random.Random(seed)
    with httpx.Client(base_url=base_url, timeout=60.0, trust_env=False) as client:
        texts = [
            c["text"]
            for s in client.get("/sources", params={"limit": 500}).json()["data"]
            for c in client.get(f"/sources/{s['id']}").json()["claims"]
        ]
        started = time.perf_counter()
        for i in range(n):
            base = texts[i % len(texts)] if texts else "A claim to watch"
            text = base if i < len(texts) else f"{base} ({rng.randrange(10, 10_000)} people)"
            response = client.post("/watches", json={"text": text, "callback_url": callback})
            if response.status_code != 201:
                raise RuntimeError(f"POST /watches answered {response.status_code}: {response.text}")
        return {"active": n, "created_s": round(time.perf_counter() - started, 1)}


def alerts_after(base_url: str, receiver: Any, wait: float = 30.0) -> dict[str, Any]:
    """The alerts the load raised, once the server's rounds caught up (up to ``wait`` seconds)."""
    deadline = time.monotonic() + wait
    with httpx.Client(base_url=base_url, timeout=60.0, trust_env=False) as client:
        while True:
            pending = client.get("/alerts", params={"state": "pending", "limit": 1}).json()["count"]
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        total = client.get("/alerts", params={"limit": 1}).json()["count"]
    return {"alerts": total, "pending_at_end": pending, "deliveries_received": len(receiver.ids(accepted=True))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (bounded: at most 600)")
    parser.add_argument("--match-ratio", type=float, default=0.8, help="share of requests that are matches")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="stop after this many requests")
    parser.add_argument("--encoder", choices=["real", "hashing"], default="real", help="for the server started here")
    parser.add_argument("--url", default=None, help="a running server on 127.0.0.1 instead of starting one")
    parser.add_argument("--api-key", default=None, help="write key, if that server has keys configured")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work-dir", type=Path, default=None, help="keep the data and server log here")
    parser.add_argument("--watches", type=int, default=0, help="active watches during the load (alerts delivered)")
    args = parser.parse_args()
    report = run(
        clients=args.clients,
        duration=min(args.duration, 600.0),
        match_ratio=args.match_ratio,
        max_requests=args.max_requests,
        encoder=args.encoder,
        url=args.url,
        api_key=args.api_key,
        seed=args.seed,
        work_dir=args.work_dir,
        watches=args.watches,
    )
    print(json.dumps(report, indent=2))
    return 0 if report["error_count"] == 0 and report["consistency"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
