"""Outlets by name and by domain: what a source is stored with, what the `outlets` filter matches, what is shown."""

from __future__ import annotations

from tests.helpers import HashingEncoder, seed_files


def _match(client, **body) -> list[dict]:
    response = client.post("/claims/match", json={"text": "North Korea sent troops to Kursk", "k": 50, **body})
    assert response.status_code == 200, response.text
    return response.json()["matches"]


def test_outlet_names_and_domains_filter_and_show(make_client) -> None:
    with make_client(HashingEncoder()) as client:
        stored = {
            p.name[:3]: client.post("/sources", json={"text": p.read_text(encoding="utf-8")}).json()
            for p in seed_files()
        }
        # An agency byline names the outlet; an article by a person is known by its domain; the request wins.
        assert stored["001"]["outlet"] == "Baltic Wire Service"
        assert stored["001"]["domain"] == "news.balticwire.example"
        assert stored["002"]["outlet"] == stored["002"]["domain"] != None  # noqa: E711
        named = client.post(
            "/sources",
            json={
                "text": "The harbour office said the storm damaged 40 boats on Monday.",
                "outlet": "Harbour Gazette",
                "url": "https://www.gazette.example/storm",
            },
        ).json()
        assert (named["outlet"], named["domain"]) == ("Harbour Gazette", "gazette.example")

        wire = {stored["001"]["id"]}
        for outlets in (
            ["Baltic Wire Service"],
            ["baltic wire service"],
            ["news.balticwire.example"],
            ["balticwire.example"],
            ["BalticWire.example", "Nobody"],
        ):
            found = _match(client, outlets=outlets)
            assert found and {m["source"]["id"] for m in found} == wire, outlets
            assert {m["source"]["outlet"] for m in found} == {"Baltic Wire Service"}
            assert {m["source"]["domain"] for m in found} == {"news.balticwire.example"}
        assert _match(client, outlets=["wire.example"]) == []  # a suffix must end at a dot of the domain
        assert _match(client, outlets=["%"]) == [] and _match(client, outlets=["_altic%"]) == []
        listed = client.get("/sources", params={"limit": 100}).json()["data"]
        assert {s["domain"] for s in listed} >= {"news.balticwire.example", "gazette.example"}
