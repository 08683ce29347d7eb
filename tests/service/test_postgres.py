"""The change log, the follower and the lexical sidecar: what lets several instances share one database.

These run on the suite's database (SQLite, or PostgreSQL with CROSSCHECK_TEST_DATABASE_URL set); the few
that test PostgreSQL's own machinery skip on SQLite. Two real processes: tests/service/test_multiprocess.py.
"""

from __future__ import annotations

import io
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service import lexical, store
from service.config import Settings
from service.db import make_engine, store_id
from service.lexical import LexicalIndex, LexicalSidecar
from service.transfer import export_rows, import_store
from tests.helpers import HashingEncoder

FAST = {"multilingual": False}
ARTICLES = [
    {
        "text": "The harbour bridge of Velmont opened on Friday after four years of work, the city said. "
        "Engineers said the quarrymen supplied granite for every pier of the bridge.",
        "title": "Velmont bridge opens",
        "outlet": "City Desk",
    },
    {
        "text": "Quarry workers in Ostrava went on strike over pay, the union said. "
        "The quarrymen want a ten percent rise before the winter season starts.",
        "title": "Zephyrine quarry dispute",
        "outlet": "Labour Wire",
    },
    {
        "text": "The council approved three hundred new flats for the old docks, the mayor said on Monday. "
        "Building work on the docks is due to start in the spring.",
        "title": "Docks housing plan",
        "outlet": "City Desk",
    },
]


def shared_url(database_url: str | None, tmp_path: Path) -> str:
    """The test's database as an explicit URL, so that two instances with their own data dirs share it."""
    return database_url or f"sqlite:///{tmp_path / 'shared.db'}"


def ingest(client: TestClient, article: dict) -> dict:
    response = client.post("/sources", json=article)
    assert response.status_code == 201, response.text
    body: dict = response.json()
    return body


def claim_ids(source: dict) -> set[int]:
    return {int(c["id"]) for c in source["claims"]}


def matched_sources(client: TestClient, query: str, mode: str) -> list[int]:
    response = client.post("/claims/match", json={"text": query, "k": 10, "mode": mode, "per_source": False})
    assert response.status_code == 200, response.text
    return [m["source"]["id"] for m in response.json()["matches"]]


def index_ids(client: TestClient) -> set[int]:
    return {int(i) for i in client.app.state.index.ids()}  # type: ignore[attr-defined]


def test_triggers_log_every_add_and_delete_in_the_same_transaction(make_client, database_url, tmp_path: Path) -> None:
    url = shared_url(database_url, tmp_path)
    with make_client(HashingEncoder(), database_url=url, **FAST) as client:
        first, second = ingest(client, ARTICLES[0]), ingest(client, ARTICLES[1])
        assert client.delete(f"/sources/{first['id']}").status_code == 204
        engine = client.app.state.engine
        with Session(engine) as session:
            log = store.changes_after(session=session, after=0, limit=1000)
            seqs = [seq for seq, _, _ in log]
            assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
            added = [claim for _, claim, op in log if op == "add"]
            deleted = [claim for _, claim, op in log if op == "delete"]
            assert sorted(added) == sorted(claim_ids(first) | claim_ids(second))
            assert sorted(deleted) == sorted(claim_ids(first))
            # Deletes come after the adds they undo.
            first_adds = [seq for seq, claim, op in log if op == "add" and claim in claim_ids(first)]
            assert min(seq for seq, _, op in log if op == "delete") > max(first_adds)
            # A write that fails leaves no log row: the rows are part of its transaction.
            before = store.last_change_seq(session=session)
            with pytest.raises(IntegrityError):
                session.connection().execute(
                    text(
                        'INSERT INTO claim (source_id, text, start, "end", position, embedding) '
                        "VALUES (999999, 'x', 0, 1, 0, :e)"
                    ),
                    {"e": b"\0" * 256},
                )
                session.commit()
            session.rollback()
            assert store.last_change_seq(session=session) == before


def test_follower_brings_another_writers_claims_and_deletes(make_client, database_url, tmp_path: Path) -> None:
    """Instance A follows what instance B writes: dense, lexical and additional-encoder indexes alike."""
    url = shared_url(database_url, tmp_path)
    extras = {"alt": HashingEncoder(dim=32)}
    settings = {"database_url": url, "sync_interval_seconds": 0, **FAST}  # polled by hand: deterministic
    with (
        make_client(HashingEncoder(), data_dir=tmp_path / "a", extra_encoders=extras, **settings) as a,
        make_client(HashingEncoder(), data_dir=tmp_path / "b", extra_encoders=extras, **settings) as b,
    ):
        source = ingest(b, ARTICLES[1])
        assert matched_sources(a, "quarrymen strike", "dense") == []  # A has not polled yet
        report = a.app.state.sync.poll()
        assert report.changes == len(source["claims"]) and report.added == {
            "default": len(source["claims"]),
            "alt": len(source["claims"]),
        }
        assert claim_ids(source) <= index_ids(a)
        assert set(a.app.state.runtime.extras["alt"].index.ids()) == claim_ids(source)
        for mode in ("dense", "lexical", "hybrid"):
            assert source["id"] in matched_sources(a, "quarrymen strike pay", mode), mode

        # A's own ingest is in A's index already: the poll finds nothing to do but reads the rows.
        own = ingest(a, ARTICLES[0])
        report = a.app.state.sync.poll()
        assert report.changes == len(own["claims"]) and report.added == {"default": 0, "alt": 0}

        assert b.delete(f"/sources/{source['id']}").status_code == 204
        report = a.app.state.sync.poll()
        assert report.removed == {"default": len(source["claims"]), "alt": len(source["claims"])}
        assert not claim_ids(source) & index_ids(a)
        for mode in ("dense", "lexical", "hybrid"):
            assert source["id"] not in matched_sources(a, "quarrymen strike pay", mode), mode
        b.app.state.sync.poll()
        assert a.get("/health").json()["index_size"] == b.get("/health").json()["index_size"] == len(own["claims"])


def test_follower_thread_runs_by_itself(make_client, database_url, tmp_path: Path) -> None:
    url = shared_url(database_url, tmp_path)
    settings = {"database_url": url, "sync_interval_seconds": 0.05, **FAST}
    with (
        make_client(HashingEncoder(), data_dir=tmp_path / "a", **settings) as a,
        make_client(HashingEncoder(), data_dir=tmp_path / "b", **settings) as b,
    ):
        follower = a.app.state.sync
        source = ingest(b, ARTICLES[2])
        deadline = time.monotonic() + 10
        while not (claim_ids(source) <= index_ids(a) and follower.seq > 0) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert claim_ids(source) <= index_ids(a)
        status = follower.status()
        assert status["error"] is None and status["seq"] == follower.seq > 0


def test_follower_resyncs_when_the_log_was_compacted_past_it(make_client, database_url, tmp_path: Path) -> None:
    url = shared_url(database_url, tmp_path)
    settings = {"database_url": url, "sync_interval_seconds": 0, **FAST}
    with (
        make_client(HashingEncoder(), data_dir=tmp_path / "a", **settings) as a,
        make_client(HashingEncoder(), data_dir=tmp_path / "b", **settings) as b,
    ):
        gone = ingest(b, ARTICLES[0])
        kept = ingest(b, ARTICLES[1])
        assert b.delete(f"/sources/{gone['id']}").status_code == 204
        engine = b.app.state.engine
        with Session(engine) as session:
            assert store.compact_change_log(session=session, keep=1) > 0
            session.commit()
            assert store.change_log_compacted_upto(session=session) > a.app.state.sync.seq
        report = a.app.state.sync.poll()
        assert report.resynced
        assert index_ids(a) == claim_ids(kept)
        assert kept["id"] in matched_sources(a, "quarrymen", "lexical")
        assert gone["id"] not in matched_sources(a, "granite bridge", "dense")


def test_a_late_instance_replays_what_it_missed(make_client, database_url, tmp_path: Path) -> None:
    """A saved index and sidecar that are behind are brought up to date at start, before the first request."""
    url = shared_url(database_url, tmp_path)
    settings = {"database_url": url, "sync_interval_seconds": 0, **FAST}
    with make_client(HashingEncoder(), data_dir=tmp_path / "a", **settings) as a:
        first = ingest(a, ARTICLES[0])
    with make_client(HashingEncoder(), data_dir=tmp_path / "b", **settings) as b:
        second = ingest(b, ARTICLES[1])
        assert b.delete(f"/sources/{first['id']}").status_code == 204
    with make_client(HashingEncoder(), data_dir=tmp_path / "a", **settings) as a:
        assert index_ids(a) == claim_ids(second)
        assert set(matched_sources(a, "quarrymen", "lexical")) == {second["id"]}
        assert first["id"] not in matched_sources(a, "granite bridge", "hybrid")


# --- The lexical sidecar (the lexical index of an instance whose database is not SQLite) ---


def _sidecar_search(side: LexicalSidecar, engine, query: str) -> dict[int, float]:
    index = LexicalIndex(available=True, status="test", sidecar=side)
    with Session(engine) as session:
        hits = index.search(session=session, query=query, limit=None)
    return {int(i): float(s) for i, s in zip(hits.ids, hits.score, strict=True)}


def test_sidecar_scores_equal_the_in_database_index(make_client, tmp_path: Path) -> None:
    """Same documents, same tokenizer, same BM25: the reranker trained on the in-database index still fits."""
    url = f"sqlite:///{tmp_path / 'own.db'}"  # SQLite on purpose: the in-database index is the reference
    with make_client(HashingEncoder(), database_url=url, **FAST) as client:
        for article in ARTICLES:
            ingest(client, article)
    engine = make_engine(Settings(database_url=url, data_dir=tmp_path / "x", **FAST))  # type: ignore[arg-type]
    try:
        in_db = lexical.open_lexical(engine)
        assert in_db.sidecar is None and in_db.available
        side = LexicalSidecar.open(path=tmp_path / "side" / "lexical.sqlite", engine=engine)
        try:
            for query in ("quarrymen strike", "bridge granite Velmont", "docks flats council", "Zephyrine"):
                with Session(engine) as session:
                    hits = in_db.search(session=session, query=query, limit=None)
                expected = {int(i): float(s) for i, s in zip(hits.ids, hits.score, strict=True)}
                got = _sidecar_search(side, engine, query)
                assert expected and got.keys() == expected.keys(), query
                assert np.allclose([got[i] for i in expected], list(expected.values()), rtol=1e-9), query
        finally:
            side.close()
    finally:
        engine.dispose()


def test_sidecar_follows_edits_cascades_and_rebuilds(make_client, database_url, tmp_path: Path) -> None:
    url = shared_url(database_url, tmp_path)
    with make_client(HashingEncoder(), database_url=url, **FAST) as client:
        sources = [ingest(client, article) for article in ARTICLES]
    path = tmp_path / "side" / "lexical.sqlite"
    engine = make_engine(Settings(database_url=url, data_dir=tmp_path / "x", **FAST))  # type: ignore[arg-type]
    try:
        side = LexicalSidecar.open(path=path, engine=engine)
        all_claims = set().union(*(claim_ids(s) for s in sources))
        assert set(side.ids().tolist()) == all_claims
        with engine.begin() as conn:  # edits no API route makes, and a cascading delete
            conn.execute(text("UPDATE source SET title = 'Granite strike' WHERE id = :id"), {"id": sources[1]["id"]})
            conn.execute(text("DELETE FROM source WHERE id = :id"), {"id": sources[0]["id"]})
        assert side.catch_up() > 0
        assert set(_sidecar_search(side, engine, "granite")) == claim_ids(sources[1])
        assert _sidecar_search(side, engine, "Zephyrine") == {}
        assert not set(_sidecar_search(side, engine, "harbour bridge")) & claim_ids(sources[0])
        side.check_integrity()
        seq = side.seq
        side.close()

        # Reopened: replays only what it missed (recorded sequence number), no rebuild.
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM source WHERE id = :id"), {"id": sources[2]["id"]})
        side = LexicalSidecar.open(path=path, engine=engine)
        assert side.seq > seq and set(side.ids().tolist()) == claim_ids(sources[1])
        side.close()

        # A sidecar of another store (its recorded identity differs) is rebuilt, not trusted: a row only the
        # old file had goes.
        with sqlite3.connect(path) as conn:
            conn.execute("INSERT INTO claim_fts (rowid, text, title) VALUES (999999, 'stray', NULL)")
        with Session(engine) as session:
            store.set_sync_info(session=session, key="store_id", value="someone-else")
            session.commit()
        side = LexicalSidecar.open(path=path, engine=engine)
        assert set(side.ids().tolist()) == claim_ids(sources[1])
        side.close()

        # A damaged file is rebuilt too, and start-up does not fail on it.
        with path.open("r+b") as f:
            f.seek(100)
            f.write(b"\xff" * 400)
        side = LexicalSidecar.open(path=path, engine=engine)
        assert set(side.ids().tolist()) == claim_ids(sources[1])
        side.check_integrity()
        side.close()
    finally:
        engine.dispose()


def test_lexical_sidecar_reads_its_own_writes_at_once(make_client, database_url, tmp_path: Path) -> None:
    """On PostgreSQL: an instance's own ingest is searchable at once, another's after the next sync poll."""
    if database_url is None:
        pytest.skip("PostgreSQL only: on SQLite the lexical index is inside the database")
    settings = {"database_url": database_url, "sync_interval_seconds": 0, **FAST}
    with (
        make_client(HashingEncoder(), data_dir=tmp_path / "a", **settings) as a,
        make_client(HashingEncoder(), data_dir=tmp_path / "b", **settings) as b,
    ):
        assert "sidecar" in a.get("/health").json()["lexical"]
        assert (tmp_path / "a" / "lexical.sqlite").exists()
        own = ingest(a, ARTICLES[1])
        assert set(matched_sources(a, "Zephyrine quarrymen", "lexical")) == {own["id"]}  # no poll needed
        other = ingest(b, ARTICLES[0])
        assert other["id"] not in matched_sources(a, "Velmont harbour", "lexical")  # like FAISS: not yet
        a.app.state.sync.poll()
        assert other["id"] in matched_sources(a, "Velmont harbour", "lexical")
        assert b.delete(f"/sources/{own['id']}").status_code == 204
        a.app.state.sync.poll()
        assert matched_sources(a, "Zephyrine", "lexical") == []


# --- PostgreSQL's own machinery ---


def test_log_numbers_follow_commit_order_on_postgres(database_url, tmp_path: Path) -> None:
    """A transaction that logs later waits for the one that holds the log: no reader can pass over a row."""
    if database_url is None:
        pytest.skip("PostgreSQL only: SQLite has a single writer")
    engine = make_engine(Settings(database_url=database_url, data_dir=tmp_path, **FAST))  # type: ignore[arg-type]
    insert_source = text("INSERT INTO source (text, content_hash, ingested_at) VALUES (:t, :h, now()) RETURNING id")
    insert_claim = text(
        'INSERT INTO claim (source_id, text, start, "end", position, embedding) VALUES (:s, :t, 0, 1, 0, :e)'
    )
    try:
        first = engine.connect()
        tx = first.begin()
        sid = first.execute(insert_source, {"t": "first", "h": "h-first"}).scalar_one()
        first.execute(insert_claim, {"s": sid, "t": "first", "e": b"\0" * 256})  # holds the log until commit
        done = threading.Event()

        def second_writer() -> None:
            with engine.begin() as conn:
                other = conn.execute(insert_source, {"t": "second", "h": "h-second"}).scalar_one()
                conn.execute(insert_claim, {"s": other, "t": "second", "e": b"\0" * 256})
            done.set()

        worker = threading.Thread(target=second_writer)
        worker.start()
        assert not done.wait(0.5), "the second writer logged while the first held the log"
        tx.commit()
        first.close()
        worker.join(10)
        assert done.is_set()
        with Session(engine) as session:
            log = store.changes_after(session=session, after=0, limit=10)
            by_text = {t: i for t, i in session.connection().execute(text("SELECT text, id FROM claim"))}
        assert [claim for _, claim, _ in log] == [by_text["first"], by_text["second"]]
    finally:
        engine.dispose()


def test_instances_starting_together_set_the_schema_up_once(new_database_url, tmp_path: Path) -> None:
    url = new_database_url()
    errors: list[BaseException] = []
    engines = []

    def start(n: int) -> None:
        try:
            engines.append(make_engine(Settings(database_url=url, data_dir=tmp_path / f"i{n}", **FAST)))  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert errors == []
        assert len({store_id(e) for e in engines}) == 1
    finally:
        for e in engines:
            e.dispose()


def test_import_into_a_new_database_continues_ids_and_logs(
    make_client, database_url, new_database_url, tmp_path
) -> None:
    """Export, import into another empty database (PostgreSQL: sequences moved past the ids), keep going."""
    url = shared_url(database_url, tmp_path)
    with make_client(HashingEncoder(), database_url=url, **FAST) as client:
        sources = [ingest(client, article) for article in ARTICLES]
        assert client.delete(f"/sources/{sources[0]['id']}").status_code == 204
    engine = make_engine(Settings(database_url=url, data_dir=tmp_path / "x", **FAST))  # type: ignore[arg-type]
    try:
        dump = "\n".join(export_rows(engine, {})) + "\n"
    finally:
        engine.dispose()
    target = Settings(database_url=new_database_url(), data_dir=tmp_path / "t", **FAST)  # type: ignore[arg-type]
    import_store(target, io.StringIO(dump))
    target_engine = make_engine(target)
    try:
        with Session(target_engine) as session:
            logged = {claim for _, claim, op in store.changes_after(session=session, after=0, limit=1000)}
        assert logged == claim_ids(sources[1]) | claim_ids(sources[2])  # followers see imported claims too
    finally:
        target_engine.dispose()
    with make_client(HashingEncoder(), data_dir=tmp_path / "t", database_url=target.database_url, **FAST) as client:
        new = ingest(client, {"text": "The port reopened on Sunday after the strike ended, the union said."})
        assert new["id"] > sources[-1]["id"]
        assert min(claim_ids(new)) > max(claim_ids(sources[-1]))
