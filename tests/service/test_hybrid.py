"""Hybrid search through the API: the FTS5 index stays consistent with the claims, modes, filters, fallbacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlmodel import Session

from service import lexical
from tests.helpers import HashingEncoder

ARTICLES = [
    {
        "text": "The harbour bridge in Velmont opened on Friday after four years of work, the city said.",
        "title": "Velmont bridge opens",
        "outlet": "City Desk",
        "published_at": "2025-04-25",
        "language": "en",
    },
    {
        "text": "The quarrymen of Dunmore voted to strike over pay on Monday, their union announced.",
        "title": "Zephyrine workers walk out",
        "outlet": "Labour Weekly",
        "published_at": "2025-03-02",
        "language": "en",
    },
    {
        "text": "Le pont du port de Velmont a ouvert vendredi après quatre ans de travaux, a indiqué la ville.",
        "title": "Le pont de Velmont ouvre",
        "outlet": "Journal du Port",
        "published_at": "2025-04-26",
        "language": "fr",
    },
]


def _ingest(client: TestClient) -> list[int]:
    ids = []
    for article in ARTICLES:
        response = client.post("/sources", json=article)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def _match(client: TestClient, **body: object) -> list[dict]:
    response = client.post("/claims/match", json={"k": 10, **body})
    assert response.status_code == 200, response.text
    return response.json()["matches"]


def _integrity(data_dir: Path) -> None:
    """FTS5's own check that the index holds exactly what the content view says (raises otherwise)."""
    engine = create_engine(f"sqlite:///{data_dir / 'crosscheck.db'}")
    with Session(engine) as session:
        lexical.check_integrity(session=session)
    engine.dispose()


def test_lexical_index_follows_ingest_and_delete(make_client, tmp_path: Path) -> None:
    data_dir = tmp_path / "d"
    with make_client(HashingEncoder(), data_dir=data_dir) as client:
        ids = _ingest(client)
        assert client.get("/health").json()["lexical"].startswith("ok")

        # A word of the claim text, and a word found only in a source title.
        assert [m["source"]["id"] for m in _match(client, text="quarrymen", mode="lexical")] == [ids[1]]
        title_hits = _match(client, text="Zephyrine", mode="lexical")
        assert [m["source"]["id"] for m in title_hits] == [ids[1]]
        assert title_hits[0]["scores"]["lexical"] > 0
        # Porter stemming: "striking" meets "strike".
        assert [m["source"]["id"] for m in _match(client, text="striking", mode="lexical")] == [ids[1]]

        assert client.delete(f"/sources/{ids[1]}").status_code == 204
        assert _match(client, text="quarrymen Zephyrine", mode="lexical") == []
        _integrity(data_dir)


def test_triggers_hold_for_cascades_and_title_edits(make_client, tmp_path: Path) -> None:
    data_dir = tmp_path / "d"
    with make_client(HashingEncoder(), data_dir=data_dir) as client:
        ids = _ingest(client)
    engine = create_engine(f"sqlite:///{data_dir / 'crosscheck.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.execute(text("UPDATE source SET title = 'Granite strike' WHERE id = :id"), {"id": ids[1]})
        conn.execute(text("DELETE FROM source WHERE id = :id"), {"id": ids[0]})  # claims go by ON DELETE CASCADE
        remaining = conn.exec_driver_sql("SELECT count(*) FROM claim WHERE source_id = ?", (ids[0],)).scalar()
    engine.dispose()
    assert remaining == 0
    _integrity(data_dir)
    with make_client(HashingEncoder(), data_dir=data_dir) as client:
        assert [m["source"]["id"] for m in _match(client, text="granite", mode="lexical")] == [ids[1]]
        assert _match(client, text="Zephyrine", mode="lexical") == []
        assert _match(client, text="harbour", mode="lexical") == []


def test_modes_signals_and_filters(make_client) -> None:
    with make_client(HashingEncoder()) as client:
        ids = _ingest(client)
        hybrid = _match(client, text="The harbour bridge of Velmont opened after four years")
        assert hybrid[0]["source"]["id"] == ids[0]
        assert {"dense", "lexical"} <= set(hybrid[0]["scores"])
        dense = _match(client, text="harbour bridge opened", mode="dense")
        assert set(dense[0]["scores"]) == {"dense"} and dense[0]["score"] == dense[0]["scores"]["dense"]

        query = "Velmont bridge opened"
        assert {m["source"]["id"] for m in _match(client, text=query, languages=["FR"])} == {ids[2]}
        assert {m["source"]["id"] for m in _match(client, text=query, outlets=["city desk"])} == {ids[0]}
        after = _match(client, text=query, published_after="2025-04-25")
        assert {m["source"]["id"] for m in after} == {ids[0], ids[2]}
        window = _match(client, text=query, published_after="2025-03-01", published_before="2025-04-25")
        assert {m["source"]["id"] for m in window} == {ids[0], ids[1]}
        assert _match(client, text=query, outlets=["Nobody"]) == []
        excluded = _match(client, text=query, exclude_source_ids=[ids[0]], mode="lexical")
        assert ids[0] not in {m["source"]["id"] for m in excluded}

        response = client.post("/claims/match", json={"text": query, "mode": "fuzzy"})
        assert response.status_code == 422


def test_hybrid_falls_back_to_dense_without_fts5(make_client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    data_dir = tmp_path / "d"
    monkeypatch.setattr(lexical, "_fts5_compiled", lambda engine: False)
    with make_client(HashingEncoder(), data_dir=data_dir) as client:
        ids = _ingest(client)
        health = client.get("/health").json()
        assert health["lexical"].startswith("unavailable") and health["status"] == "ok"
        assert _match(client, text="quarrymen", mode="lexical") == []
        hybrid = _match(client, text="quarrymen voted to strike")
        assert hybrid and hybrid[0]["source"]["id"] == ids[1] and set(hybrid[0]["scores"]) == {"dense"}
    # Once FTS5 is there, the claims stored meanwhile are indexed at start-up.
    monkeypatch.undo()
    with make_client(HashingEncoder(), data_dir=data_dir) as client:
        assert [m["source"]["id"] for m in _match(client, text="quarrymen", mode="lexical")] == [ids[1]]
    _integrity(data_dir)


def test_context_sentences_are_encoded_once_and_as_one_batch() -> None:
    """A watch reads its context again with every batch of new claims: the sentences' vectors are cached."""
    import numpy as np

    from embeddings import ClaimIndex
    from service.matching import DenseRanker

    class Counting(HashingEncoder):
        calls: list[list[str]]

        def encode_queries(self, texts):  # type: ignore[no-untyped-def]
            self.calls.append(list(texts))
            return super().encode_queries(texts)

    encoder = Counting()
    encoder.calls = []
    ranker = DenseRanker("dense", encoder, ClaimIndex(encoder.model_id))
    context = ["The port reopened on Monday.", "Ships waited for two days.", "The port reopened on Monday."]
    first = ranker.query_vectors(context)
    assert encoder.calls == [["The port reopened on Monday.", "Ships waited for two days."]]
    assert np.allclose(first, HashingEncoder().encode_queries(context))
    again = ranker.query_vectors(["Ships waited for two days.", "A new sentence."])
    assert encoder.calls[1:] == [["A new sentence."]]  # only what was not read before
    assert np.allclose(again[0], first[1])
