"""End to end through the HTTP API: real model, real FAISS file, real SQLite database in a temp dir."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.helpers import HashingEncoder, seed_files

TROOP_CLAIM = "North Korea sent more than 10,000 soldiers to Kursk"
NUMBER = re.compile(r"\b\d{1,3}(?:,\d{3})+\b|\b\d+\b")


def ingest_seeds(client: TestClient) -> dict[str, int]:
    ids = {}
    for path in seed_files():
        response = client.post("/sources", json={"text": path.read_text(encoding="utf-8")})
        assert response.status_code == 201, (path, response.text)
        ids[path.name] = response.json()["id"]
    return ids


def match(client: TestClient, **body: object) -> dict:
    response = client.post("/claims/match", json=body)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("seeded") / "data"


def test_seeds_exist() -> None:
    assert len(seed_files()) >= 10


def test_end_to_end_with_real_model(real_encoder, make_client, tmp_path: Path) -> None:
    data_dir = tmp_path / "e2e"
    with make_client(real_encoder, data_dir=data_dir) as client:
        ids = ingest_seeds(client)
        sources = client.get("/sources", params={"limit": 100}).json()
        assert sources["count"] == len(ids)

        # Every claim's offsets point at its text in the stored source.
        for source_id in ids.values():
            detail = client.get(f"/sources/{source_id}").json()
            assert detail["claims"], detail["title"]
            for claim in detail["claims"]:
                assert detail["text"][claim["start"] : claim["end"]] == claim["text"]

        # A troop-number claim is matched by several other outlets stating troop numbers.
        result = match(client, text=TROOP_CLAIM, k=5, per_source=True)
        top = result["matches"]
        assert len({m["source"]["id"] for m in top}) == 5
        stating_numbers = [
            m
            for m in top
            if NUMBER.search(m["claim"]["text"]) and re.search(r"soldier|troop", m["claim"]["text"], re.I)
        ]
        assert len({m["source"]["id"] for m in stating_numbers}) >= 3, [m["claim"]["text"] for m in top]
        assert all(m["source"]["outlet"] and m["source"]["url"] and m["source"]["published_at"] for m in top)
        assert [m["rank"] for m in top] == [1, 2, 3, 4, 5]
        assert all(a["score"] >= b["score"] for a, b in itertools.pairwise(top))
        # Distractor articles (economy, sport, weather, science) are not among the top matches.
        distractors = {ids[name] for name in ids if int(name[:3]) >= 9}
        assert not distractors & {m["source"]["id"] for m in top}

        # exclude_source_ids removes that source's claims.
        best_source = top[0]["source"]["id"]
        excluded = match(client, text=TROOP_CLAIM, k=20, exclude_source_ids=[best_source])
        assert excluded["matches"] and best_source not in {m["source"]["id"] for m in excluded["matches"]}

        # Ingesting the same article again creates nothing.
        first_seed = seed_files()[0].read_text(encoding="utf-8")
        again = client.post("/sources", json={"text": first_seed})
        assert again.status_code == 200 and again.json()["id"] == ids[seed_files()[0].name]
        assert client.get("/sources").json()["count"] == len(ids)
        health = client.get("/health").json()
        assert health["claims"] == health["index_size"] > 0 and health["status"] == "ok"

        # Cross-references only come from other sources.
        report = client.get(f"/sources/{best_source}/cross-references", params={"k": 3}).json()
        assert report["claims"]
        for item in report["claims"]:
            found = item["corroborating"] + item["conflicting"] + item["related"]
            assert all(m["source"]["id"] != best_source for m in found)

        # Delete: the source and its claims are gone from reads and matches.
        claim_id = top[0]["claim"]["id"]
        assert client.delete(f"/sources/{best_source}").status_code == 204
        assert client.get(f"/sources/{best_source}").status_code == 404
        assert client.get(f"/claims/{claim_id}").status_code == 404
        after = match(client, text=TROOP_CLAIM, k=100)
        assert best_source not in {m["source"]["id"] for m in after["matches"]}
        before_restart = match(client, text=TROOP_CLAIM, k=10)
        health = client.get("/health").json()
        assert health["claims"] == health["index_size"]

    # Restart on the same data dir: identical results, nothing re-encoded.
    encoded = real_encoder.documents_encoded
    with make_client(real_encoder, data_dir=data_dir) as client:
        assert match(client, text=TROOP_CLAIM, k=10) == before_restart
    assert real_encoder.documents_encoded == encoded

    # Index file deleted, then corrupted: rebuilt from the database, identical results, no re-encoding.
    index_file = data_dir / "index" / "claims.faiss"
    for damage in ("delete", "corrupt", "truncate"):
        if damage == "delete":
            index_file.unlink()
        elif damage == "corrupt":
            index_file.write_bytes(b"not a faiss index" * 100)
        else:
            index_file.write_bytes(index_file.read_bytes()[:100])
        with make_client(real_encoder, data_dir=data_dir) as client:
            assert client.app.state.runtime.index_report.state == "rebuilt"
            assert match(client, text=TROOP_CLAIM, k=10) == before_restart
        assert real_encoder.documents_encoded == encoded


def test_index_behind_database_is_synced(make_client, tmp_path: Path) -> None:
    """A crash after the commit but before the index was saved: the next start adds what is missing."""
    encoder = HashingEncoder()
    data_dir = tmp_path / "d"
    with make_client(encoder, data_dir=data_dir) as client:
        client.post(
            "/sources", json={"text": "The harbour bridge opened to traffic on Friday after four years of work."}
        )
    with make_client(encoder, data_dir=data_dir) as client:
        # Simulate the crash: store a source, then restore the index file saved before it.
        saved = (data_dir / "index" / "claims.faiss").read_bytes()
        saved_manifest = (data_dir / "index" / "claims.faiss.manifest.json").read_bytes()
        client.post("/sources", json={"text": "The city council approved a new budget of 2 billion euros on Monday."})
        count = client.get("/health").json()["claims"]
    (data_dir / "index" / "claims.faiss").write_bytes(saved)
    (data_dir / "index" / "claims.faiss.manifest.json").write_bytes(saved_manifest)
    with make_client(encoder, data_dir=data_dir) as client:
        report = client.app.state.runtime.index_report
        assert report.state == "synced" and report.added >= 1
        health = client.get("/health").json()
        assert health["claims"] == health["index_size"] == count
        top = match(client, text="council budget billion euros", k=1)["matches"][0]
        assert "budget" in top["claim"]["text"]


ARTICLE = "The harbour bridge opened to traffic on Friday after four years of construction work."


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "message"),
    [
        ("post", "/sources", {"json": {"text": ""}}, 422, "text is empty"),
        ("post", "/sources", {"json": {"text": "   \n\t "}}, 422, "text is empty"),
        ("post", "/sources", {"json": {}}, 422, "Field required"),
        ("post", "/sources", {"json": {"text": 42}}, 422, "valid string"),
        ("post", "/sources", {"json": {"text": ARTICLE, "outet": "typo"}}, 422, "Extra inputs"),
        ("post", "/sources", {"json": {"text": ARTICLE, "published_at": "yesterday"}}, 422, "date"),
        ("post", "/sources", {"json": {"text": "x" * 3000}}, 413, "limit is 2,000"),
        ("post", "/sources", {"json": {"text": "# Only a heading\n\n[a link](https://x.example)"}}, 422, "no claim"),
        (
            "post",
            "/sources",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            400,
            "not valid JSON",
        ),
        (
            "post",
            "/sources",
            {"content": b"x" * 100_000, "headers": {"content-type": "application/json"}},
            413,
            "limit",
        ),
        ("post", "/claims/match", {"json": {"text": "bridge", "k": 0}}, 422, "greater than or equal to 1"),
        ("post", "/claims/match", {"json": {"text": "bridge", "k": 101}}, 422, "less than or equal to 100"),
        ("post", "/claims/match", {"json": {"text": " "}}, 422, "text is empty"),
        ("post", "/claims/match", {"json": {"text": "bridge", "min_score": 2}}, 422, "less than or equal to 1"),
        ("post", "/claims/match", {"json": {"text": "bridge", "context": ["  "]}}, 422, "a context sentence is empty"),
        ("post", "/claims/match", {"json": {"text": "bridge", "context": ["a"] * 21}}, 422, "at most 20 items"),
        (
            "post",
            "/claims/match",
            {"json": {"text": "bridge", "context": ["a" * 2001]}},
            422,
            "at most 2000 characters",
        ),
        ("get", "/sources/999999", {}, 404, "no source with id 999999"),
        ("get", "/sources/abc", {}, 422, "valid integer"),
        ("delete", "/sources/999999", {}, 404, "no source with id 999999"),
        ("get", "/claims/999999", {}, 404, "no claim with id 999999"),
        ("get", "/sources/999999/cross-references", {}, 404, "no source"),
        ("get", "/sources", {"params": {"limit": 0}}, 422, "greater than or equal to 1"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(make_client, method, path, kwargs, status, message) -> None:
    with make_client(HashingEncoder(), max_text_bytes=2_000) as client:
        created = client.post("/sources", json={"text": ARTICLE})
        assert created.status_code == 201
        before = client.get(f"/sources/{created.json()['id']}").json()
        response = getattr(client, method)(path, **kwargs)
        assert response.status_code == status, response.text
        assert message in response.text
        assert "detail" in response.json()
        assert client.get("/sources").json()["count"] == 1
        assert client.get(f"/sources/{created.json()['id']}").json() == before
        health = client.get("/health").json()
        assert health["claims"] == health["index_size"] == len(before["claims"])


def test_same_url_is_not_ingested_twice(make_client) -> None:
    with make_client(HashingEncoder()) as client:
        first = client.post("/sources", json={"text": ARTICLE, "url": "https://a.example/x"})
        second = client.post("/sources", json={"text": ARTICLE + " It cost a lot.", "url": "https://a.example/x"})
        assert (first.status_code, second.status_code) == (201, 200)
        assert second.json()["id"] == first.json()["id"]


def test_explicit_fields_win_over_text_metadata(make_client) -> None:
    text = (seed_files()[0]).read_text(encoding="utf-8")
    with make_client(HashingEncoder()) as client:
        body = client.post("/sources", json={"text": text}).json()
        assert body["title"] and body["published_at"] and body["url"] and body["author"]
        assert body["outlet"]  # from the URL's host when the article names none
        client.delete(f"/sources/{body['id']}")
        body = client.post(
            "/sources", json={"text": text, "title": "Mine", "outlet": "Desk", "published_at": "2020-01-02"}
        ).json()
        assert (body["title"], body["outlet"], body["published_at"]) == ("Mine", "Desk", "2020-01-02")


def test_swagger_ui_works_without_internet(make_client) -> None:
    with make_client(HashingEncoder()) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert assets and all(a.startswith("/") for a in assets), assets
        for asset in assets:
            assert client.get(asset).status_code == 200, asset
        spec = client.get("/openapi.json").json()
        example = spec["components"]["schemas"]["MatchQuery"]["examples"][0]
        assert client.post("/claims/match", json=example).status_code == 200


def test_the_sentences_around_a_claim_say_what_it_is_about(make_client) -> None:
    # "That bill" names nothing by itself; the sentence before it in the transcript says which bill.
    farm = "The farm bill cut the land tax for growers in the Orsk valley by a third."
    fuel = "The transport bill raised the fuel duty on lorries crossing the Velmora bridge."
    with make_client(HashingEncoder()) as client:
        for text, outlet in ((farm, "farm.example"), (fuel, "fuel.example")):
            assert client.post("/sources", json={"text": text, "outlet": outlet}).status_code == 201
        claim = "That bill was the worst thing ever done to them."

        def first(context: list[str] | None) -> str:
            body: dict[str, object] = {"text": claim, "k": 2, "mode": "dense"}
            if context is not None:
                body["context"] = context
            return match(client, **body)["matches"][0]["source"]["outlet"]

        assert first(["We talked to growers in the Orsk valley about their land tax."]) == "farm.example"
        assert first(["We talked to lorry drivers on the Velmora bridge about the fuel duty."]) == "fuel.example"
        # The claim's own words are unchanged: the answer names the claim as sent.
        body = {"text": claim, "k": 2, "context": ["Growers in the Orsk valley."]}
        assert match(client, **body)["query"] == claim
        # The trainers' pools (bench/) read the context as the answer does: the same candidate first.
        from service.db import open_session
        from service.schemas import MatchQuery

        matcher = client.app.state.runtime.matcher
        for context, outlet in (
            ("Growers in the Orsk valley and their land tax.", "farm.example"),
            ("Lorry drivers on the Velmora bridge and the fuel duty.", "fuel.example"),
        ):
            with open_session(client.app.state.runtime.engine) as session:
                query = MatchQuery(text=claim, k=2, mode="dense", context=[context])
                pool, scores, _ = matcher.training_pool(session=session, query=query)
                best = int(pool.ids[int(np.argmax(scores))])
            assert first([context]) == outlet
            assert client.get(f"/claims/{best}").json()["source"]["outlet"] == outlet
