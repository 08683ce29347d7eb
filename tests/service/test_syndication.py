"""Independent sources: one wire story reprinted by three outlets counts once (service/syndication.py).

The articles below are invented for these tests (fictional island, ferry company and outlets).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text
from sqlmodel import Session, select

from service import syndication
from service.config import Settings
from service.db import make_engine
from service.models import Claim, Source
from tests.helpers import HashingEncoder

WIRE_PARAGRAPHS = [
    "The operator of the only car ferry between Skerra Island and the mainland suspended all sailings on Tuesday "
    "after inspectors found a crack in the hull of its vessel, the company said.",
    "Halvik Ferries said the 38-metre ship, the Marta Linn, would stay in dry dock at Brevik for at least three "
    "weeks while engineers assessed the damage.",
    "About 1,400 residents live on Skerra, which relies on the ferry for fuel, food deliveries and hospital transfers.",
    "The regional council said it had chartered two passenger boats to carry islanders and urgent freight from "
    "Wednesday, but cars and lorries could not be taken across.",
    '"Safety comes before the timetable, and we will not sail until the hull is fully repaired," Halvik chief '
    "executive Signe Rautio told reporters in Brevik.",
    "The Marta Linn, built in 1994, passed its last annual survey in February, according to the maritime authority.",
    "Islanders have campaigned for years for a second vessel on the route, arguing that a single breakdown cuts "
    "them off from the mainland.",
    "The council is due to discuss the future of the crossing at a meeting on May 20, a spokesman added.",
]


def article(title: str, byline: str, date: str, url: str, paragraphs: list[str]) -> str:
    body = "\n\n".join(paragraphs)
    return f"# {title}\n\nBy [{byline}](#)\n\n{date}\n\n{body}\n\nOriginal url:\n\n<{url}>\n"


# Three reprints of the wire story: new headline and byline, small edits, the last paragraph trimmed.
COPY_A = article(
    "Skerra Cut Off as Ferry Pulled From Service",
    "Tove Lund",
    "May 6, 2025",
    "https://brevikgazette.example/2025/05/06/skerra-ferry",
    WIRE_PARAGRAPHS[:7],
)
COPY_B = article(
    "Hull Crack Halts Island Car Ferry",
    "Erik Haug",
    "May 6, 2025",
    "https://northsound.example/news/skerra-ferry-crack",
    [WIRE_PARAGRAPHS[0].replace("on Tuesday", "Tuesday"), *WIRE_PARAGRAPHS[1:6]],
)
COPY_C = article(
    "Ferry Crack Leaves 1,400 Islanders Without Car Link",
    "Mari Solberg",
    "May 7, 2025",
    "https://coastalradio.example/skerra",
    [*WIRE_PARAGRAPHS[:4], WIRE_PARAGRAPHS[4].replace("told reporters in Brevik", "said"), *WIRE_PARAGRAPHS[5:7]],
)
# Two reports written independently about the same event.
LOCAL = article(
    "No Ferry, No Fuel: Skerra Waits",
    "Ines Varga",
    "May 7, 2025",
    "https://skerraislander.example/no-ferry",
    [
        "Skerra woke up without its lifeline on Tuesday when Halvik Ferries stopped the Marta Linn, its only car "
        "ferry, because a split had been discovered in the ship's hull plating.",
        "The shop on the harbour said its shelves would last about ten days before the next delivery was needed.",
        "Two chartered boats hired by the council began taking passengers across on Wednesday morning.",
        "Fisherman Odd Brekke said the island had warned for a decade that one old boat was not enough.",
    ],
)
TRADE = article(
    "Marta Linn Out for Three Weeks After Hull Defect",
    "Peter Aalto",
    "May 8, 2025",
    "https://maritimereview.example/marta-linn",
    [
        "A crack found in the hull of the car ferry Marta Linn has stopped the Skerra crossing, and the "
        "31-year-old vessel will be out of service for at least three weeks, Halvik Ferries said.",
        "Repair yards in the region are booked for months, which may force the operator to send the ship abroad.",
        "Naval architects said cracks of this kind usually come from fatigue in older welded steel hulls.",
    ],
)


def ingest(client: TestClient, text: str) -> dict:
    response = client.post("/sources", json={"text": text})
    assert response.status_code == 201, response.text
    return response.json()


def groups(client: TestClient) -> dict[int, int]:
    """source id -> copy group, as stored."""
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        return {s.id or 0: syndication.source_group(s) for s in session.exec(select(Source))}


def test_resemblance_and_near_duplicates() -> None:
    whole = syndication.shingles(WIRE_PARAGRAPHS)
    trimmed = syndication.shingles(WIRE_PARAGRAPHS[:6])
    assert syndication.resemblance(whole, trimmed).is_copy
    assert syndication.resemblance(whole, trimmed).containment == 1.0
    other = syndication.shingles([LOCAL])
    assert not syndication.resemblance(whole, other).is_copy
    # A short wire paragraph inside a long own article is a claim-level copy, not a reprint of the article.
    feature = syndication.shingles([WIRE_PARAGRAPHS[2], LOCAL, TRADE])
    r = syndication.resemblance(syndication.shingles(WIRE_PARAGRAPHS[2:3]), feature)
    assert r.containment == 1.0 and not r.is_copy

    sentence = WIRE_PARAGRAPHS[1]
    assert syndication.near_duplicate(sentence, sentence.replace("38-metre", "38 metre"), cosine=0.99)
    assert not syndication.near_duplicate(sentence, sentence.replace("three", "four"), cosine=0.99)
    assert not syndication.near_duplicate(sentence, sentence.replace("38", "40"), cosine=0.99)  # another figure
    assert not syndication.near_duplicate(sentence, sentence, cosine=0.9)  # the embedding must agree too
    assert not syndication.near_duplicate(sentence, "Halvik Ferries said the ship would be repaired.", cosine=0.98)


def test_three_reprints_are_one_independent_source(make_client) -> None:
    with make_client(HashingEncoder()) as client:
        a, b, c, local, trade = (ingest(client, t) for t in (COPY_A, COPY_B, COPY_C, LOCAL, TRADE))
        stored = groups(client)
        assert stored[a["id"]] == stored[b["id"]] == stored[c["id"]] == a["id"]
        assert stored[local["id"]] == local["id"] and stored[trade["id"]] == trade["id"]

        query = "Halvik Ferries stopped the Skerra car ferry Marta Linn after a crack was found in its hull"
        every = client.post("/claims/match", json={"text": query, "k": 30, "per_source": False}).json()
        assert every["sources"] == 5 and every["independent_sources"] == 3
        assert {m["copy_group"] for m in every["matches"] if m["source"]["id"] in (a["id"], b["id"], c["id"])} == {
            a["id"]
        }
        # per_source keeps the best claim of each INDEPENDENT source: the three reprints give one match.
        best = client.post("/claims/match", json={"text": query, "k": 10, "per_source": True}).json()
        assert len(best["matches"]) == 3
        assert best["sources"] == best["independent_sources"] == 3
        assert len({m["copy_group"] for m in best["matches"]}) == 3
        assert {m["source"]["id"] for m in best["matches"]} >= {local["id"], trade["id"]}
        # ... which is what an answer holds unless asked for every claim.
        default = client.post("/claims/match", json={"text": query, "k": 10}).json()
        assert [m["claim"]["id"] for m in default["matches"]] == [m["claim"]["id"] for m in best["matches"]]


def test_deleting_the_root_keeps_the_group(make_client) -> None:
    with make_client(HashingEncoder()) as client:
        a, b, c = (ingest(client, t) for t in (COPY_A, COPY_B, COPY_C))
        assert client.delete(f"/sources/{a['id']}").status_code == 204
        stored = groups(client)
        assert stored == {b["id"]: b["id"], c["id"]: b["id"]}  # renamed after the first remaining copy
        # A later reprint joins the renamed group.
        again = ingest(client, COPY_A.replace("Tove Lund", "Gazette wire desk"))
        assert groups(client)[again["id"]] == b["id"]
        assert client.delete(f"/sources/{c['id']}").status_code == 204  # not the root: nothing to rename
        assert groups(client) == {b["id"]: b["id"], again["id"]: b["id"]}


def test_copies_that_only_resembled_the_deleted_root_split(make_client) -> None:
    front, back = WIRE_PARAGRAPHS[:4], WIRE_PARAGRAPHS[4:]
    with make_client(HashingEncoder()) as client:
        whole = ingest(client, article("Whole", "Jon Berg", "May 6, 2025", "https://w.example/1", WIRE_PARAGRAPHS))
        first = ingest(client, article("Front", "Ada Moe", "May 6, 2025", "https://a.example/1", front))
        second = ingest(client, article("Back", "Bo Lie", "May 6, 2025", "https://b.example/1", back))
        assert set(groups(client).values()) == {whole["id"]}
        client.delete(f"/sources/{whole['id']}")
        assert groups(client) == {first["id"]: first["id"], second["id"]: second["id"]}


def test_a_pasted_wire_sentence_is_a_claim_level_copy(make_client) -> None:
    pasted = article(
        "Island Mood Darkens",
        "Ines Varga",
        "May 9, 2025",
        "https://skerraislander.example/mood",
        [
            "Frustration grew on Skerra on Thursday as the harbour stayed empty for a third day.",
            WIRE_PARAGRAPHS[4],  # the chief executive's quote, taken word for word from the wire
            "Parents said the school trip to the mainland had been called off.",
        ],
    )
    with make_client(HashingEncoder()) as client:
        wire = ingest(client, COPY_A)
        mine = ingest(client, pasted)
        assert groups(client)[mine["id"]] == mine["id"]  # the article is its own source ...
        with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
            claims = {c.text: c.copy_group_id for c in session.exec(select(Claim).where(Claim.source_id == mine["id"]))}
        assert claims[WIRE_PARAGRAPHS[4]] == wire["id"]  # ... but its quote is the wire's
        assert sum(g is not None for g in claims.values()) == 1
        body = {"text": WIRE_PARAGRAPHS[4], "k": 5, "mode": "dense", "per_source": False}
        top = client.post("/claims/match", json=body).json()["matches"][:2]
        assert {m["copy_group"] for m in top} == {wire["id"]}
        # Deleting the wire article leaves the quote on its own.
        client.delete(f"/sources/{wire['id']}")
        with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
            assert all(c.copy_group_id is None for c in session.exec(select(Claim)))


def test_store_from_before_copy_groups_gets_the_columns(tmp_path: Path) -> None:
    data_dir = tmp_path / "old"
    data_dir.mkdir()
    old = create_engine(f"sqlite:///{data_dir / 'crosscheck.db'}")
    with old.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE source (id INTEGER PRIMARY KEY, url VARCHAR, title TEXT, outlet VARCHAR, "
                "author VARCHAR, published_at DATE, language VARCHAR, text TEXT NOT NULL, "
                "content_hash VARCHAR NOT NULL, ingested_at DATETIME NOT NULL)"
            )
        )
        connection.execute(
            text("INSERT INTO source (id, text, content_hash, ingested_at) VALUES (7, 'x', 'h', '2025-01-01 00:00:00')")
        )
    old.dispose()
    engine = make_engine(Settings(data_dir=data_dir))
    try:
        assert "copy_group_id" in {c["name"] for c in inspect(engine).get_columns("source")}
        assert "copy_group_id" in {c["name"] for c in inspect(engine).get_columns("claim")}
        assert "ix_source_copy_group_id" in {i["name"] for i in inspect(engine).get_indexes("source")}
        with Session(engine) as session:
            [row] = session.exec(select(Source)).all()
            assert row.copy_group_id is None and syndication.source_group(row) == 7  # a group of its own
    finally:
        engine.dispose()


@pytest.mark.parametrize("count", [0, 1])
def test_nothing_to_compare_with(make_client, count: int) -> None:
    """The first article, or one unlike anything stored, gets a group of its own."""
    with make_client(HashingEncoder()) as client:
        if count:
            ingest(client, TRADE)
        first = ingest(client, LOCAL)
        assert groups(client)[first["id"]] == first["id"]
