"""Two real API processes (uvicorn on 127.0.0.1, random ports) sharing one database, each with its own indexes.

On the suite's database: one SQLite file in the SQLite run, one PostgreSQL schema in the PostgreSQL run.
What one process ingests, the other finds within seconds; what one deletes, the other stops returning; a
process that was down while others wrote starts with their changes.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bench.harness import ServerProcess
from tests.netguard import loopback_only

__all__ = ["loopback_only"]

# The promise is "within seconds"; the followers poll every 0.2 s here, so this is a generous bound.
WITHIN_SECONDS = 5.0
ARTICLE = {
    "text": "Dockworkers in Marlow Bay voted to end their nine-day strike on Tuesday, the union said. "
    "The port authority said container traffic would return to normal within a week.",
    "title": "Marlow Bay strike ends",
    "outlet": "Harbour Times",
}
LATE_ARTICLE = {
    "text": "The Marlow Bay ferry will run a winter timetable from November, the operator said. "
    "Two evening crossings are dropped until March.",
    "title": "Ferry winter timetable",
    "outlet": "Harbour Times",
}
QUERY = "Marlow Bay dockworkers strike union vote"


def wait_until(check: Callable[[], bool], timeout: float = WITHIN_SECONDS) -> float:
    """Seconds until `check()` held; fails the test past `timeout`."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            pytest.fail(f"not within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - started


def sources_found(client: httpx.Client, mode: str, query: str = QUERY) -> set[int]:
    response = client.post("/claims/match", json={"text": query, "k": 10, "mode": mode})
    assert response.status_code == 200, response.text
    return {m["source"]["id"] for m in response.json()["matches"]}


@pytest.fixture
def shared_database(database_url: str | None, tmp_path: Path) -> str:
    return database_url or f"sqlite:///{tmp_path / 'shared.db'}"


@pytest.fixture
def start_server(shared_database: str, tmp_path: Path) -> Iterator[Callable[[str], ServerProcess]]:
    servers: list[ServerProcess] = []

    def start(name: str) -> ServerProcess:
        data_dir = tmp_path / name
        data_dir.mkdir(exist_ok=True)
        env = {"DATABASE_URL": shared_database, "CROSSCHECK_SYNC_INTERVAL_SECONDS": "0.2"}
        server = ServerProcess(data_dir, env=env, log_path=tmp_path / f"{name}.log")
        servers.append(server)
        server.start(timeout=120)
        return server

    yield start
    for server in servers:
        server.terminate()


@pytest.mark.usefixtures("loopback_only")
def test_two_processes_share_one_database(start_server: Callable[[str], ServerProcess]) -> None:
    a, b = start_server("a"), start_server("b")
    with (
        httpx.Client(base_url=a.base_url, timeout=30, trust_env=False) as ca,
        httpx.Client(base_url=b.base_url, timeout=30, trust_env=False) as cb,
    ):
        created = ca.post("/sources", json=ARTICLE)
        assert created.status_code == 201, created.text
        source = created.json()["id"]
        for mode in ("dense", "lexical", "hybrid"):
            wait_until(functools.partial(lambda m: source in sources_found(cb, m), mode))
        assert cb.get("/health").json()["index_size"] == ca.get("/health").json()["index_size"] > 0

        assert cb.delete(f"/sources/{source}").status_code == 204
        for mode in ("dense", "lexical", "hybrid"):
            wait_until(functools.partial(lambda m: source not in sources_found(ca, m), mode))
        assert ca.get(f"/sources/{source}").status_code == 404
        wait_until(lambda: ca.get("/health").json()["index_size"] == 0)

    # B goes down; A writes; B comes back with A's changes before its first answer.
    b.terminate()
    with httpx.Client(base_url=a.base_url, timeout=30, trust_env=False) as ca:
        kept = ca.post("/sources", json=LATE_ARTICLE).json()["id"]
        dropped = ca.post("/sources", json=ARTICLE).json()["id"]
        assert ca.delete(f"/sources/{dropped}").status_code == 204
    b.start(timeout=120)
    with httpx.Client(base_url=b.base_url, timeout=30, trust_env=False) as cb:
        for mode in ("dense", "lexical"):
            found = sources_found(cb, mode, "Marlow Bay ferry winter timetable dockworkers strike")
            assert kept in found and dropped not in found, (mode, found)
