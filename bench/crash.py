"""Crash consistency: SIGKILL the real server while it ingests, restart it, check that nothing acknowledged is lost.

    python bench/crash.py [--rounds 20] [--seed 1] [--clients 4] [--work-dir DIR] [--encoder hashing|real]

Each round starts the server (`bench/server.py`: the production app under uvicorn, on 127.0.0.1), which is
also the restart after the previous round's kill, and then:

1. checks through HTTP that every source acknowledged so far (201, or 200 for a duplicate) is there with the
   claim ids it was acknowledged with, that every acknowledged delete (204) holds, and that /health has as
   many claims as index entries; then compares POST /claims/match answers of the restarted server with those
   of a clean rebuild (a copy of the database without the index files, opened in-process);
2. streams articles at it from several clients (new articles, re-sent ones that must come back as the same
   source, matches, deletes), and SIGKILLs it, in turn:
   - `random`: at a random moment while the clients stream;
   - `commit`: the server kills itself 0-4 ms into a database commit (a hook of bench/server.py), so the
     kill lands inside SQLite's commit and fsync or just after it, before the answer is sent;
   - `after-save`: SIGTERM (graceful shutdown saves the index), SIGKILL as soon as the new index file is
     there; the index the next rounds start from is then behind the database, and is repaired by syncing;
   - `in-save`: SIGTERM, and a hook kills the process inside the index save: before the temp file is renamed
     over the old index, or between writing the index and its manifest;
3. offline, on the files the dead process left: every acknowledged source has all its claims, every claim
   has a vector of the right size, every source has claims; the FAISS index as the next start repairs it
   holds exactly the database's claim ids with the database's vectors, bit for bit.

Also, in the first and last rounds, the same new article is sent by 8 clients at once: exactly one 201. Then
(`alerts_round`, unless ``--no-alerts``) the server is killed with alerts pending, some not yet raised and some
raised but not delivered: after the restart each acknowledged claim's alert is raised and delivered, and the
receiver sees each alert's webhook-id (a repeat delivery is counted, with the same id).
Prints one JSON object; exits 1 if any problem was found. Bounded: `--rounds` rounds, each streaming for
at most a few seconds, loopback only.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import numpy as np

from bench.harness import ServerProcess, WebhookReceiver, article, query

MODES = ("random", "commit", "after-save", "random", "in-save")
QUERIES = 6


@dataclass
class Ledger:
    """What the server acknowledged: the truth the checks hold it to."""

    present: dict[int, tuple[str, frozenset[int]]] = field(default_factory=dict)  # id -> (text, claim ids)
    deleted: set[int] = field(default_factory=set)
    uncertain: set[int] = field(default_factory=set)  # a delete was in flight at the kill
    requests: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, problem: str) -> None:
        with self.lock:
            self.problems.append(problem)


def _stream_worker(base_url: str, ledger: Ledger, rng: random.Random, serials: Any, stop: threading.Event) -> None:
    with httpx.Client(base_url=base_url, timeout=15.0, trust_env=False) as client:
        while not stop.is_set():
            roll = rng.random()
            try:
                if roll < 0.72:
                    text = article(rng, next(serials))
                    response = client.post("/sources", json={"text": text})
                    kind = f"ingest {response.status_code}"
                    if response.status_code == 201:
                        body = response.json()
                        with ledger.lock:
                            ledger.present[body["id"]] = (text, frozenset(c["id"] for c in body["claims"]))
                    elif response.status_code != 200:
                        ledger.note(f"ingest answered {response.status_code}: {response.text[:200]}")
                elif roll < 0.82:
                    with ledger.lock:
                        candidates = [i for i in ledger.present if i not in ledger.uncertain]
                        pick = rng.choice(candidates) if candidates else None
                        text = ledger.present[pick][0] if pick is not None else ""
                    if pick is None:
                        continue
                    # The same text again: the stored copy, never a second source (unless deleted meanwhile).
                    response = client.post("/sources", json={"text": text})
                    kind = f"re-ingest {response.status_code}"
                    if response.status_code == 200 and response.json()["id"] != pick:
                        with ledger.lock:
                            gone = pick in ledger.deleted or pick in ledger.uncertain
                        if not gone:
                            ledger.note(f"re-ingest of source {pick} answered another id {response.json()['id']}")
                    elif response.status_code == 201:
                        body = response.json()
                        with ledger.lock:
                            if pick not in ledger.deleted and pick not in ledger.uncertain:
                                ledger.problems.append(f"re-ingest of stored source {pick} created {body['id']}")
                            ledger.present[body["id"]] = (text, frozenset(c["id"] for c in body["claims"]))
                elif roll < 0.96:
                    response = client.post("/claims/match", json={"text": query(rng), "k": 5})
                    kind = f"match {response.status_code}"
                    if response.status_code != 200:
                        ledger.note(f"match answered {response.status_code}: {response.text[:200]}")
                else:
                    with ledger.lock:
                        candidates = [i for i in ledger.present if i not in ledger.uncertain]
                        pick = rng.choice(candidates) if candidates else None
                        if pick is not None:
                            ledger.uncertain.add(pick)  # until the answer comes
                    if pick is None:
                        continue
                    response = client.delete(f"/sources/{pick}")
                    kind = f"delete {response.status_code}"
                    if response.status_code == 204:
                        with ledger.lock:
                            ledger.present.pop(pick, None)
                            ledger.uncertain.discard(pick)
                            ledger.deleted.add(pick)
                    else:
                        ledger.note(f"delete {pick} answered {response.status_code}")
            except httpx.TransportError:
                kind = "no answer (server down)"
                time.sleep(0.02)
            with ledger.lock:
                ledger.requests[kind] += 1


def stream(server: ServerProcess, ledger: Ledger, rng: random.Random, serials: Any, clients: int) -> threading.Event:
    stop = threading.Event()
    for n in range(clients):
        worker_rng = random.Random(rng.random())
        threading.Thread(
            target=_stream_worker, args=(server.base_url, ledger, worker_rng, serials, stop), daemon=True, name=f"c{n}"
        ).start()
    return stop


def concurrent_duplicates(base_url: str, text: str, clients: int = 8) -> list[tuple[int, int]]:
    """The same new article from several clients at once: (status, id) of each answer."""
    barrier = threading.Barrier(clients)
    answers: list[tuple[int, int]] = []
    lock = threading.Lock()

    def send() -> None:
        with httpx.Client(base_url=base_url, timeout=30.0, trust_env=False) as client:
            barrier.wait()
            try:
                response = client.post("/sources", json={"text": text})
                answer = (response.status_code, int(response.json().get("id", -1)) if response.is_success else -1)
            except (httpx.HTTPError, ValueError):
                answer = (0, -1)
            with lock:
                answers.append(answer)

    threads = [threading.Thread(target=send) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def check_over_http(server: ServerProcess, ledger: Ledger) -> None:
    """After a restart: every acknowledged source is listed with its claim count; deletes hold; DB == index.

    (Which claim ids each source has, and their vectors, are checked on the files by `check_files`.)
    """
    with httpx.Client(base_url=server.base_url, timeout=30.0, trust_env=False) as client:
        listed: dict[int, int] = {}
        offset = 0
        while True:
            page = client.get("/sources", params={"offset": offset, "limit": 500}).json()
            listed.update({row["id"]: row["claim_count"] for row in page["data"]})
            offset += 500
            if offset >= page["count"]:
                break
        for source_id, (_text, claim_ids) in sorted(ledger.present.items()):
            if source_id in ledger.uncertain:
                continue
            if source_id not in listed:
                ledger.problems.append(f"acknowledged source {source_id} is missing after the restart")
            elif listed[source_id] != len(claim_ids):
                ledger.problems.append(f"source {source_id}: {listed[source_id]} claims, {len(claim_ids)} acknowledged")
        for source_id in sorted(ledger.deleted & set(listed)):
            ledger.problems.append(f"deleted source {source_id} came back")
        health = client.get("/health").json()
        if health["claims"] != health["index_size"]:
            ledger.problems.append(f"after restart: {health['claims']} claims but {health['index_size']} in the index")


def _compare(ledger: Ledger, what: str, index: Any, vectors: dict[int, bytes]) -> None:
    """The repaired index holds exactly the database's ids, with the database's vectors bit for bit."""
    index_ids = set(index.ids().tolist())
    if index_ids != set(vectors):
        missing, extra = set(vectors) - index_ids, index_ids - set(vectors)
        ledger.problems.append(f"repaired {what} index disagrees: {len(missing)} claims missing, {len(extra)} extra")
    elif vectors:
        ids = np.asarray(sorted(vectors), dtype=np.int64)
        found, rows = index.vectors(ids)
        stored = np.frombuffer(b"".join(vectors[int(i)] for i in found), dtype="<f4").reshape(len(found), -1)
        if len(found) != len(ids) or not np.array_equal(rows, stored):
            ledger.problems.append(f"repaired {what} index holds vectors that differ from the database's")


def check_extra_encoders(engine: Any, settings: Any, ledger: Ledger, claim_ids: set[int]) -> dict[str, str]:
    """The additional (multilingual) encoders' vectors and indexes, when the server runs with them."""
    from types import SimpleNamespace

    from sqlmodel import Session, select

    from embeddings import ModelId
    from service import vectors as extra_vectors
    from service.models import ClaimVector

    states: dict[str, str] = {}
    with Session(engine) as session:
        recorded = extra_vectors.recorded_encoders(session=session)
    for key, model in recorded.items():
        with Session(engine) as session:
            rows = session.exec(select(ClaimVector.claim_id, ClaimVector.vector).where(ClaimVector.encoder == key))
            stored = {int(claim_id): vector for claim_id, vector in rows}
        if set(stored) != claim_ids:
            ledger.problems.append(f"{len(claim_ids - set(stored))} claims lack their {key} vector")
        stub = SimpleNamespace(model_id=ModelId.parse(model))  # only the model id is read: nothing is encoded
        opened = extra_vectors.open_encoder_index(
            engine=engine, key=key, encoder=stub, path=settings.encoder_index_path(key)
        )
        _compare(ledger, key, opened.index, stored)
        states[key] = opened.report.state if opened.report else "?"
    return states


def check_files(
    data_dir: Path, ledger: Ledger, model_dim: int, model_name: str, *, extras: bool = False
) -> dict[str, Any]:
    """Offline, on what the killed process left: database complete, index repairable to exactly the database."""
    from sqlmodel import Session, select

    from embeddings import ModelId
    from service.config import Settings
    from service.db import make_engine
    from service.indexing import open_index
    from service.models import Claim, Source

    settings = Settings(data_dir=data_dir)
    leftovers = sorted(p.name for p in settings.index_path.parent.glob(".*") if p.is_file())
    engine = make_engine(settings)
    try:
        with Session(engine) as session:
            sources = {s.id: s for s in session.exec(select(Source))}
            claims = list(session.exec(select(Claim)))
        by_source: dict[int, set[int]] = {}
        vectors: dict[int, bytes] = {}
        for claim in claims:
            by_source.setdefault(claim.source_id, set()).add(claim.id or 0)
            vectors[claim.id or 0] = claim.embedding
            if len(claim.embedding) != model_dim * 4:
                ledger.problems.append(f"claim {claim.id} has a vector of {len(claim.embedding)} bytes")
            if claim.source_id not in sources:
                ledger.problems.append(f"claim {claim.id} belongs to no source")
        for source_id in sources:
            if not by_source.get(source_id or 0):
                ledger.problems.append(f"source {source_id} has no claims")
        for source_id, (text, claim_ids) in ledger.present.items():
            if source_id in ledger.uncertain:
                continue
            if source_id not in sources:
                ledger.problems.append(f"acknowledged source {source_id} lost")
            elif sources[source_id].text != text or by_source.get(source_id, set()) != claim_ids:
                ledger.problems.append(f"acknowledged source {source_id} changed")
        for source_id in ledger.deleted:
            if source_id in sources:
                ledger.problems.append(f"acknowledged delete of {source_id} lost")

        index, report = open_index(engine=engine, path=settings.index_path, model_id=ModelId(model_name, model_dim))
        _compare(ledger, "default", index, vectors)
        extra_states = check_extra_encoders(engine, settings, ledger, set(vectors)) if extras else {}
    finally:
        engine.dispose()
    return {
        "extra_index_states": extra_states,
        "sources": len(sources),
        "claims": len(claims),
        "index_state": report.state,
        "index_reason": report.reason[:120],
        "index_added": report.added,
        "index_removed": report.removed,
        "leftover_temp_files": leftovers,
    }


def shutdown_kill(server: ServerProcess, data_dir: Path, *, wait_for_save: bool) -> str:
    """SIGTERM, then SIGKILL once the index is saved (or let the save hook kill the process inside it)."""
    assert server.process is not None
    manifest = data_dir / "index" / "claims.faiss.manifest.json"
    before = manifest.stat().st_mtime_ns if manifest.exists() else 0
    server.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.alive():
        if wait_for_save and manifest.exists() and manifest.stat().st_mtime_ns != before:
            server.kill()
            return "SIGKILL right after the index save"
        time.sleep(0.001)
    if server.alive():
        server.kill()
        return "SIGKILL (shutdown too slow)"
    server.wait()
    if server.process.returncode == -signal.SIGKILL:
        return "self, inside the index save" if not wait_for_save else "SIGKILL right after the index save"
    return f"exited {server.process.returncode} before the kill"


def canonical(matches: list[dict[str, Any]]) -> list[tuple[float, int]]:
    """Matches as (score, claim id), ties ordered by id, the tie group at the cut dropped (either may be cut)."""
    pairs = sorted(((m["score"], m["claim"]["id"]) for m in matches), key=lambda p: (-p[0], p[1]))
    if len(pairs) > 1:
        last = pairs[-1][0]
        pairs = [p for p in pairs if p[0] != last] or pairs
    return pairs


def clean_rebuild_answers(
    data_dir: Path, work: Path, queries: list[dict[str, Any]], encoder: Any, *, multilingual: bool
) -> list[Any]:
    """The same queries against a copy of the database whose index is rebuilt from scratch, in-process."""
    from fastapi.testclient import TestClient

    from service.config import Settings, get_settings
    from service.main import create_app

    copy = work / "clean"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir(parents=True)
    for path in data_dir.glob("crosscheck.db*"):
        shutil.copy2(path, copy / path.name)
    settings = Settings(data_dir=copy, multilingual=multilingual)
    app = create_app(encoder=encoder)
    app.dependency_overrides[get_settings] = lambda: settings
    with TestClient(app, base_url="http://localhost") as client:
        assert app.state.runtime.index_report.state == "rebuilt"
        answers = [client.post("/claims/match", json=q).json()["matches"] for q in queries]
    shutil.rmtree(copy, ignore_errors=True)
    return answers


def run(
    *,
    rounds: int,
    seed: int,
    work_dir: Path,
    clients: int = 4,
    encoder: str = "hashing",
    multilingual: bool = False,
    log: Any = None,
) -> dict[str, Any]:
    """Runs the rounds and returns the summary (see the module docstring)."""
    from tests.helpers import HashingEncoder

    rng = random.Random(seed)
    data_dir = work_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    server = ServerProcess(
        data_dir,
        encoder=encoder,
        log_path=work_dir / "server.log",
        env={"CROSSCHECK_MULTILINGUAL": "true" if multilingual else "false"},
    )
    ledger = Ledger()
    serials = iter(range(1, 10**9))
    serial_lock = threading.Lock()

    class Serials:
        def __next__(self) -> int:
            with serial_lock:
                return next(serials)

    shared_serials = Serials()
    in_process_encoder = HashingEncoder()
    queries = [{"text": query(random.Random(seed + n)), "k": 10} for n in range(QUERIES)]
    queries += [{**q, "mode": "dense"} for q in queries[:2]]
    per_round: list[dict[str, Any]] = []
    started = time.monotonic()
    model_name, model_dim = "test-hashing", in_process_encoder.model_id.dim
    if encoder == "real":
        from embeddings import Encoder

        real = Encoder()
        in_process_encoder, model_name, model_dim = real, real.model_id.name, real.model_id.dim  # type: ignore[assignment]

    def restart_and_compare(round_no: int, env: dict[str, str]) -> float:
        expected = (
            clean_rebuild_answers(data_dir, work_dir, queries, in_process_encoder, multilingual=multilingual)
            if ledger.present
            else None
        )
        startup = server.start(env=env)
        check_over_http(server, ledger)
        if expected is not None:
            with httpx.Client(base_url=server.base_url, timeout=30.0, trust_env=False) as client:
                for q, want in zip(queries, expected, strict=True):
                    got = client.post("/claims/match", json=q).json()["matches"]
                    if canonical(got) != canonical(want):
                        ledger.problems.append(f"round {round_no}: matches for {q} differ from a clean rebuild")
        return startup

    for round_no in range(rounds):
        mode = MODES[round_no % len(MODES)]
        env = {"CROSSCHECK_BENCH_SEED": str(rng.randrange(1 << 30))}
        if mode == "commit":
            env["CROSSCHECK_BENCH_CRASH_HOOK"] = "commit:0.08"
        elif mode == "in-save":
            env["CROSSCHECK_BENCH_CRASH_HOOK"] = "save:1"
        before = len(ledger.problems)
        startup = restart_and_compare(round_no, env)
        if round_no == 0:
            answers = concurrent_duplicates(server.base_url, article(random.Random(seed * 7919), 0))
            statuses = sorted(status for status, _ in answers)
            if statuses.count(201) != 1 or set(statuses) - {200, 201} or len({i for _, i in answers}) != 1:
                ledger.problems.append(f"same article sent 8 times at once: answers {answers}")
            else:
                created = next(i for status, i in answers if status == 201)
                with httpx.Client(base_url=server.base_url, timeout=30.0, trust_env=False) as client:
                    body = client.get(f"/sources/{created}").json()
                ledger.present[created] = (body["text"], frozenset(c["id"] for c in body["claims"]))
        stop = stream(server, ledger, rng, shared_serials, clients)
        run_for = rng.uniform(0.3, 1.5)
        deadline = time.monotonic() + (3.0 if mode == "commit" else run_for)
        while time.monotonic() < deadline and server.alive():
            time.sleep(0.01)
        killed_by = "self, inside a commit" if not server.alive() else ""
        if mode in ("after-save", "in-save") and server.alive():
            stop.set()
            time.sleep(0.2)  # the clients' last requests finish; the shutdown then saves at once
            killed_by = shutdown_kill(server, data_dir, wait_for_save=mode == "after-save")
        elif server.alive():
            server.kill()
            killed_by = "SIGKILL while streaming"
        else:
            server.wait()
        stop.set()
        time.sleep(0.05)  # let the clients notice
        with ledger.lock:
            # Deletes in flight at the kill may or may not have happened; they stay uncertain.
            files = check_files(data_dir, ledger, model_dim, model_name, extras=multilingual)
        per_round.append(
            {
                "round": round_no,
                "mode": mode,
                "killed_by": killed_by,
                "returncode": server.process.returncode if server.process else None,
                "startup_s": round(startup, 2),
                "acknowledged_sources": len(ledger.present),
                **files,
                "problems": ledger.problems[before:],
            }
        )
        if log:
            print(json.dumps(per_round[-1]), file=log, flush=True)

    # The final restart: the last round's kill must be survived too.
    restart_and_compare(rounds, {})
    answers = concurrent_duplicates(server.base_url, article(random.Random(seed * 104729), 0))
    if sorted(s for s, _ in answers).count(201) != 1 or len({i for _, i in answers}) != 1:
        ledger.problems.append(f"same article sent 8 times at once (final): answers {answers}")
    server.terminate()
    states = Counter(r["index_state"] for r in per_round)
    return {
        "rounds": rounds,
        "seed": seed,
        "encoder": encoder,
        "duration_s": round(time.monotonic() - started, 1),
        "kills": dict(Counter(r["killed_by"] for r in per_round)),
        "acknowledged_sources": len(ledger.present),
        "acknowledged_deletes": len(ledger.deleted),
        "requests": dict(ledger.requests),
        "index_states_at_restart": dict(states),
        "sigkilled_rounds": sum(1 for r in per_round if r["returncode"] == -signal.SIGKILL),
        # Evidence on disk that a kill landed inside a save: a temp file that appeared in that round (the
        # rename never happened), or an index whose manifest is the previous one.
        "kills_inside_index_save": sum(
            1
            for before, r in zip([None, *per_round], per_round, strict=False)
            if set(r["leftover_temp_files"]) - set(before["leftover_temp_files"] if before else [])
            or "manifest" in r["index_reason"]
        ),
        "lost_acknowledged_sources": sum(1 for p in ledger.problems if "lost" in p or "missing" in p),
        "db_index_disagreements": sum(1 for p in ledger.problems if "index" in p or "clean rebuild" in p),
        "problems": ledger.problems,
        "per_round": per_round,
    }


ALERT_ENV = {"CROSSCHECK_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8", "CROSSCHECK_SYNC_INTERVAL_SECONDS": "0.2"}


def alerts_round(work_dir: Path, *, articles: int = 12, encoder: str = "hashing", timeout: float = 90.0) -> dict:
    """SIGKILL with alerts pending: some not raised yet (the claims acknowledged, the check round not run), the
    others raised but not delivered (the receiver failing). After a restart every acknowledged claim's alert must
    be raised and delivered; a repeat delivery carries the same webhook-id (the receiver deduplicates)."""
    data_dir = work_dir / "alerts-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    server = ServerProcess(data_dir, encoder=encoder, log_path=work_dir / "alerts-server.log", env=ALERT_ENV)
    receiver = WebhookReceiver()
    receiver.failing = True
    problems: list[str] = []
    acknowledged: list[int] = []
    try:
        server.start()
        with httpx.Client(base_url=server.base_url, timeout=30.0, trust_env=False) as client:
            watch = client.post(
                "/watches",
                json={
                    "text": "The harbour bridge in Velmont reopened to traffic.",
                    "min_score": 0.0,
                    "relations": ["same", "conflict", "related"],
                    "callback_url": receiver.url,
                },
            )
            if watch.status_code != 201:
                raise RuntimeError(f"POST /watches answered {watch.status_code}: {watch.text}")
            for n in range(articles):
                if n == articles // 2:
                    time.sleep(3.0)  # the first half is checked and its deliveries fail; the second half is not
                text = f"The harbour bridge in Velmont reopened to traffic, report {n} said on day {n + 1}."
                response = client.post("/sources", json={"text": text})
                if response.status_code == 201:
                    acknowledged.append(int(response.json()["claims"][0]["id"]))
        server.kill()  # within the settle second after the last ingest: the second half has no alerts yet
        receiver.failing = False
        server.start()
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=server.base_url, timeout=30.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                listed = client.get("/alerts", params={"limit": 500}).json()["data"]
                if len(listed) >= len(acknowledged) and all(a["delivery"]["state"] == "delivered" for a in listed):
                    break
                time.sleep(0.5)
            listed = client.get("/alerts", params={"limit": 500}).json()["data"]
    finally:
        server.kill()
        receiver.close()
    alerted = {a["claim"]["id"] for a in listed if a["claim"]}
    missing = sorted(set(acknowledged) - alerted)
    if missing:
        problems.append(f"acknowledged claims without an alert after the restart: {missing}")
    undelivered = [a["id"] for a in listed if a["delivery"]["state"] != "delivered"]
    if undelivered:
        problems.append(f"alerts not delivered after the restart: {undelivered}")
    expected_ids = {f"alert_{a['id']}" for a in listed}
    delivered = receiver.ids(accepted=True)
    if set(delivered) != expected_ids:
        problems.append("the receiver's webhook-ids differ from the stored alerts")
    return {
        "acknowledged_claims": len(acknowledged),
        "alerts": len(listed),
        "delivered": len(listed) - len(undelivered),
        "deliveries_received": len(delivered),
        "repeat_deliveries": len(delivered) - len(set(delivered)),
        "problems": problems,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--encoder", choices=["hashing", "real"], default="hashing")
    parser.add_argument("--multilingual", action="store_true", help="run with the multilingual encoder too")
    parser.add_argument("--work-dir", type=Path, default=None, help="default: a temporary folder, removed after")
    parser.add_argument("--verbose", action="store_true", help="print each round to stderr")
    parser.add_argument("--no-alerts", action="store_true", help="skip the round that kills with alerts pending")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crosscheck-crash-") as tmp:
        work = args.work_dir or Path(tmp)
        summary = run(
            rounds=args.rounds,
            seed=args.seed,
            work_dir=work,
            clients=args.clients,
            encoder=args.encoder,
            multilingual=args.multilingual,
            log=sys.stderr if args.verbose else None,
        )
        if not args.no_alerts:
            summary["alerts_round"] = alerts_round(work, encoder=args.encoder)
            summary["problems"] = summary["problems"] + summary["alerts_round"]["problems"]
    if not args.verbose:
        summary.pop("per_round")
    print(json.dumps(summary, indent=2))
    return 1 if summary["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
