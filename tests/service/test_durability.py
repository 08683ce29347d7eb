"""Deterministic versions of what bench/crash.py finds by killing the server at random."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from sqlmodel import Session, select

from service.models import Claim
from tests.helpers import HashingEncoder

FAST = {"multilingual": False}  # the extra multilingual encoder is slow to load and not under test here
FIRST = "The harbour bridge opened to traffic on Friday after four years of construction work."
SECOND = "The city council approved a budget of 2 billion euros for new schools on Monday."
THIRD = "Heavy rain flooded the old town overnight and closed three roads, the police said."


def index_matches_database(client) -> bool:
    """Every stored claim vector is in the index, bit for bit, and nothing else is."""
    index = client.app.state.index
    with Session(client.app.state.engine) as session:
        rows = session.exec(select(Claim.id, Claim.embedding)).all()
    ids = np.asarray([r[0] for r in rows], dtype=np.int64)
    found, vectors = index.vectors(ids)
    stored = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f4").reshape(len(rows), -1)
    return set(index.ids().tolist()) == set(ids.tolist()) and len(found) == len(ids) and np.array_equal(vectors, stored)


def test_ids_are_never_reused_so_a_stale_index_cannot_mislabel_a_vector(make_client, tmp_path: Path) -> None:
    """Delete the newest source, ingest another, die without saving the index: the restart must not keep the
    deleted claim's vector under a reused id (it compares ids only), nor serve the new article at the old URL."""
    encoder, data = HashingEncoder(), tmp_path / "d"
    with make_client(encoder, data_dir=data, **FAST) as client:
        client.post("/sources", json={"text": FIRST})
        second = client.post("/sources", json={"text": SECOND}).json()
    saved = {p.name: p.read_bytes() for p in (data / "index").iterdir()}  # the index as of this shutdown
    with make_client(encoder, data_dir=data, **FAST) as client:
        assert client.delete(f"/sources/{second['id']}").status_code == 204
        third = client.post("/sources", json={"text": THIRD}).json()
        assert third["id"] != second["id"]
        assert not {c["id"] for c in third["claims"]} & {c["id"] for c in second["claims"]}
    for name, content in saved.items():  # a crash: the index file is the one saved before the delete
        (data / "index" / name).write_bytes(content)
    with make_client(encoder, data_dir=data, **FAST) as client:
        assert client.app.state.runtime.index_report.state == "synced"
        assert index_matches_database(client)
        assert client.get(f"/sources/{second['id']}").status_code == 404
        top = client.post("/claims/match", json={"text": "rain flooded the old town", "k": 1}).json()
        assert top["matches"][0]["source"]["id"] == third["id"]


def test_a_save_cut_between_index_and_manifest_is_rebuilt(make_client, tmp_path: Path) -> None:
    encoder, data = HashingEncoder(), tmp_path / "d"
    with make_client(encoder, data_dir=data, **FAST) as client:
        client.post("/sources", json={"text": FIRST})
    old_manifest = (data / "index" / "claims.faiss.manifest.json").read_bytes()
    with make_client(encoder, data_dir=data, **FAST) as client:
        client.post("/sources", json={"text": SECOND})
        before = client.post("/claims/match", json={"text": "budget for schools"}).json()
    # The new index file was renamed into place, the process died before the manifest followed; a temp
    # file of another interrupted save is lying next to them.
    (data / "index" / "claims.faiss.manifest.json").write_bytes(old_manifest)
    shutil.copy(data / "index" / "claims.faiss", data / "index" / ".claims.faiss.abc123")
    with make_client(encoder, data_dir=data, **FAST) as client:
        report = client.app.state.runtime.index_report
        assert report.state == "rebuilt" and "manifest" in report.reason
        assert index_matches_database(client)
        assert client.post("/claims/match", json={"text": "budget for schools"}).json() == before


def test_the_same_article_sent_at_once_is_stored_once(make_client) -> None:
    """Eight concurrent requests with one text: one 201, seven 200 with the same id, one source stored."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    barrier = Barrier(8)
    with make_client(HashingEncoder(), **FAST) as client:

        def send(_: int) -> tuple[int, int]:
            barrier.wait()
            response = client.post("/sources", json={"text": THIRD})
            return response.status_code, response.json()["id"]

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(send, range(8)))
        assert sorted(status for status, _ in answers) == [200] * 7 + [201], answers
        assert len({source_id for _, source_id in answers}) == 1
        assert client.get("/sources").json()["count"] == 1
        assert index_matches_database(client)
