"""Claims through ingest and the API: speaker, context text, check-worthiness, detected language, filters."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, inspect, text

from service.config import Settings
from service.db import make_engine
from tests.helpers import HashingEncoder

ARTICLE = """# Drone Crossed Border Near Paju, Minister Says

By Test Wire

March 17, 2025

Defence Minister Lee Jae-sung said on Monday that a small drone crossed the border near Paju. \
He added that the army had raised its alert level along the border.

I think we should all stay calm and trust each other.

The army deployed 1,200 extra soldiers to the area last year, according to the Joint Chiefs of Staff.
"""

FRENCH = """# Grève des contrôleurs

Un TGV sur trois circulera en moyenne samedi en raison d'une grève des contrôleurs, a annoncé lundi la SNCF.

Le syndicat réclame une prime de 300 euros par mois pour les contrôleurs de la compagnie.
"""


class RecordingEncoder(HashingEncoder):
    """The hashing encoder, remembering every document text it was asked to encode."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return super().encode_documents(texts)


def test_ingest_stores_and_returns_the_new_fields(make_client) -> None:
    encoder = RecordingEncoder()
    with make_client(encoder) as client:
        response = client.post("/sources", json={"text": ARTICLE})
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["language"] == "en"
        claims = body["claims"]
        assert len(claims) == 4
        for claim in claims:
            assert {"speaker", "context_text", "checkworthiness"} <= set(claim)
            assert 0.0 <= claim["checkworthiness"] <= 1.0
        said, added, opinion, figures = claims
        assert said["speaker"] == "Lee Jae-sung"
        assert "said on Monday [2025-03-17] that" in said["context_text"]
        assert added["speaker"] == "Lee Jae-sung"
        assert added["context_text"].startswith("He [Lee Jae-sung] added")
        assert added["text"].startswith("He added")  # verbatim text untouched
        assert "last year [2024]" in figures["context_text"]
        assert figures["speaker"] == "Joint Chiefs of Staff"
        assert opinion["checkworthiness"] < figures["checkworthiness"]
        # What was embedded is the context text, not the bare sentence.
        assert encoder.seen == [c["context_text"] for c in claims]

        one = client.get(f"/claims/{added['id']}").json()
        assert one["context_text"] == added["context_text"]
        assert one["checkworthiness"] == added["checkworthiness"]
        # The claim comes with its source: one call answers "where was this said?".
        assert one["source"]["id"] == body["id"] == one["source_id"]
        assert one["source"]["url"] == body["url"] and one["source"]["published_at"] == body["published_at"]
        assert {"title", "outlet", "domain"} <= set(one["source"])
        detail = client.get(f"/sources/{body['id']}").json()
        assert [c["context_text"] for c in detail["claims"]] == [c["context_text"] for c in claims]


def test_language_is_detected_unless_given(make_client) -> None:
    with make_client(HashingEncoder()) as client:
        detected = client.post("/sources", json={"text": FRENCH}).json()
        assert detected["language"] == "fr"
        assert detected["claims"][0]["speaker"] == "SNCF"
        assert "samedi [2025-" not in detected["claims"][0]["context_text"]  # no publication date known
        given = client.post(
            "/sources",
            json={"text": FRENCH.replace("300 euros", "350 euros"), "language": "fr", "published_at": "2025-02-24"},
        ).json()
        assert "samedi [2025-03-01]" in given["claims"][0]["context_text"]
        assert "lundi [2025-02-24]" in given["claims"][0]["context_text"]


def test_match_filters_on_checkworthiness(make_client) -> None:
    with make_client(HashingEncoder()) as client:
        ids = [client.post("/sources", json={"text": t}).json()["id"] for t in (ARTICLE, FRENCH)]
        assert all(ids)
        everything = client.post(
            "/claims/match", json={"text": "drone border soldiers army", "k": 20, "per_source": False}
        ).json()
        scores = sorted(m["claim"]["checkworthiness"] for m in everything["matches"])
        assert len(scores) >= 4
        cut = (scores[1] + scores[-1]) / 2
        kept = client.post(
            "/claims/match",
            json={"text": "drone border soldiers army", "k": 20, "min_checkworthiness": cut, "per_source": False},
        ).json()["matches"]
        assert kept
        assert all(m["claim"]["checkworthiness"] >= cut for m in kept)
        assert len(kept) < len(everything["matches"])
        none = client.post("/claims/match", json={"text": "drone", "min_checkworthiness": 1.0}).json()
        assert none["matches"] == []
        bad = client.post("/claims/match", json={"text": "drone", "min_checkworthiness": 1.5})
        assert bad.status_code == 422


def test_cross_references_filter_on_checkworthiness(make_client) -> None:
    with make_client(HashingEncoder()) as client:
        first = client.post("/sources", json={"text": ARTICLE}).json()
        client.post("/sources", json={"text": ARTICLE.replace("Paju", "Yeoncheon").replace("1,200", "1,300")})
        report = client.get(f"/sources/{first['id']}/cross-references", params={"k": 5}).json()
        assert len(report["claims"]) == 4
        scores = sorted(c["checkworthiness"] for c in first["claims"])
        cut = (scores[0] + scores[1]) / 2
        filtered = client.get(
            f"/sources/{first['id']}/cross-references", params={"k": 5, "min_checkworthiness": cut}
        ).json()
        assert len(filtered["claims"]) == 3
        for item in filtered["claims"]:
            assert item["claim"]["checkworthiness"] >= cut
            found = item["corroborating"] + item["conflicting"] + item["related"]
            assert all(m["claim"]["checkworthiness"] >= cut for m in found)
        assert (
            client.get(f"/sources/{first['id']}/cross-references", params={"min_checkworthiness": 2}).status_code == 422
        )


def test_store_from_before_the_new_columns_gets_them(tmp_path: Path) -> None:
    data_dir = tmp_path / "old"
    data_dir.mkdir()
    old = create_engine(f"sqlite:///{data_dir / 'crosscheck.db'}")
    with old.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE claim (id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL, text TEXT NOT NULL, "
                'start INTEGER NOT NULL, "end" INTEGER NOT NULL, position INTEGER NOT NULL, speaker VARCHAR(512), '
                "embedding BLOB NOT NULL)"
            )
        )
    old.dispose()
    engine = make_engine(Settings(data_dir=data_dir))
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("claim")}
        assert {"context_text", "checkworthiness"} <= columns
    finally:
        engine.dispose()


@pytest.mark.parametrize("field", ["speaker", "context_text", "checkworthiness"])
def test_claim_schema_documents_the_fields(make_client, field: str) -> None:
    with make_client(HashingEncoder()) as client:
        schema = client.get("/openapi.json").json()["components"]["schemas"]["ClaimPublic"]
        assert field in schema["properties"]
        assert schema["properties"][field].get("description")
