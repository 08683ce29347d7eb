"""The service with an HNSW index: settings reach the index, deletes hold, a restart loads the same kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.config import Settings, get_settings
from service.indexing import index_options
from tests.helpers import HashingEncoder, seed_files


@pytest.fixture
def hnsw_from_20_claims(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The runtime reads the index settings from the environment (service.indexing.index_options).
    monkeypatch.setenv("CROSSCHECK_INDEX_KIND", "auto")
    monkeypatch.setenv("CROSSCHECK_INDEX_THRESHOLD", "20")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_settings_map_to_index_options() -> None:
    options = index_options(Settings(index_kind="hnsw", index_threshold=123, index_mmap=True))
    assert (options.kind, options.threshold, options.mmap) == ("hnsw", 123, True)
    with pytest.raises(ValueError, match="index_kind"):
        Settings(index_kind="ivf")  # type: ignore[arg-type]


def test_service_switches_to_hnsw_and_keeps_deletes(make_client, tmp_path: Path, hnsw_from_20_claims: None) -> None:
    data = tmp_path / "data"
    encoder = HashingEncoder()
    with make_client(encoder, data_dir=data, multilingual=False) as client:
        for path in seed_files():
            assert client.post("/sources", json={"text": path.read_text()}).status_code == 201
        index = client.app.state.index
        assert index.wait_for_rebuild(timeout=60)
        assert index.kind == "hnsw" and index.last_rebuild_error is None
        body = {
            "text": "North Korea sent more than 10,000 soldiers to Kursk",
            "k": 10,
            "mode": "dense",
            "per_source": False,
        }
        before = client.post("/claims/match", json=body).json()["matches"]
        assert len(before) == 10
        gone = before[0]["source"]["id"]
        gone_claims = {c["id"] for c in client.get(f"/sources/{gone}").json()["claims"]}
        assert before[0]["claim"]["id"] in gone_claims
        stored = len(index)
        assert client.delete(f"/sources/{gone}").status_code == 204
        assert len(index) == stored - len(gone_claims)
        after = client.post("/claims/match", json=body).json()["matches"]
        assert len(after) == 10 and not gone_claims & {m["claim"]["id"] for m in after}
        assert index.wait_for_rebuild(timeout=60)
        size = len(index)
    with make_client(encoder, data_dir=data, multilingual=False) as client:
        index = client.app.state.index
        assert index.kind == "hnsw" and len(index) == size
        again = client.post("/claims/match", json=body).json()["matches"]
        assert [m["claim"]["id"] for m in again] == [m["claim"]["id"] for m in after]
    for saved in (data / "index").iterdir():
        saved.unlink()
    # No saved index: start-up fills an exact one from the database and builds HNSW behind it.
    with make_client(encoder, data_dir=data, multilingual=False) as client:
        index = client.app.state.index
        assert len(index) == size
        assert index.wait_for_rebuild(timeout=60) and index.kind == "hnsw" and len(index) == size
        rebuilt = client.post("/claims/match", json=body).json()["matches"]
        assert not gone_claims & {m["claim"]["id"] for m in rebuilt}


def test_dense_match_over_hnsw_is_exact_search_order(make_client, tmp_path: Path, hnsw_from_20_claims: None) -> None:
    """An approximate index's candidates are re-scored with the stored float32 vectors: the answer is the
    exact top k with exact cosines, not the 8-bit index's order and rounded scores."""
    import numpy as np
    from sqlmodel import Session

    from service import store

    encoder = HashingEncoder()
    with make_client(encoder, data_dir=tmp_path / "data", multilingual=False) as client:
        for path in seed_files():
            assert client.post("/sources", json={"text": path.read_text()}).status_code == 201
        index = client.app.state.index
        assert index.wait_for_rebuild(timeout=60) and index.kind == "hnsw"
        with Session(client.app.state.engine) as session:
            ids, vectors = zip(*store.iter_embeddings(session=session, dim=encoder.model_id.dim), strict=True)
        all_ids, all_vectors = np.concatenate(ids), np.concatenate(vectors)
        for text in ("North Korea sent more than 10,000 soldiers to Kursk", "The ministry denied the report"):
            query = encoder.encode_queries([text])[0]
            exact = all_vectors @ query
            order = np.argsort(-exact, kind="stable")[:5]
            body = {"text": text, "k": 5, "mode": "dense", "per_source": False}
            matches = client.post("/claims/match", json=body).json()["matches"]
            got = {m["claim"]["id"]: m["scores"]["dense"] for m in matches}
            assert list(got) == [int(all_ids[i]) for i in order]
            for row in order:
                assert abs(got[int(all_ids[row])] - float(exact[row])) < 1e-5
            # The 8-bit vectors alone would be off by more than that.
            _, decoded = index.vectors(all_ids[order])
            assert np.abs(decoded @ query - exact[order]).max() > 1e-4
