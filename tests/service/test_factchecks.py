"""Fact-checks (issue 14): ClaimReview in every published shape, stored as claims, "already checked" on matches,
the report and the CLI, JSON-LD out, pages embedding ClaimReview by URL. Every document here is written by us
(our own claims, made-up organisations on .example domains)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from service import cli, factchecks, reindex, runtime
from service.api.deps import get_fetcher
from service.config import get_settings
from tests.helpers import HashingEncoder
from tests.service.test_fetch import SITE, fake_resolver, make_fetcher

FAST = {"multilingual": False}


def review(n: int, claim: str, **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": f"https://factdesk.example/checks/{n}",
        "claimReviewed": claim,
        "headline": f"Check number {n}",
        "author": {"@type": "Organization", "name": "Fact Desk", "url": "https://factdesk.example"},
        "datePublished": "2025-02-03",
        "inLanguage": "en",
        "itemReviewed": {
            "@type": "Claim",
            "author": {"@type": "Person", "name": "A harbour councillor"},
            "datePublished": "2025-01-28",
            "appearance": [{"@type": "CreativeWork", "url": f"https://video.example/watch/{n}"}],
            "firstAppearance": {"@type": "CreativeWork", "url": f"https://social.example/post/{n}"},
        },
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": 2,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": "Misleading",
        },
    }
    doc.update(changes)
    return doc


FERRY = "Ferry fares to the northern islands tripled during 2024."
BRIDGE = "The toll on the river bridge doubled last spring."
HARBOUR = "The old harbour will close to all shipping in May."


def _stored_urls(answer: dict[str, Any]) -> list[str]:
    return [fc["url"] for fc in answer["stored"]]


def test_every_published_shape_is_read(make_client) -> None:
    google = {
        "claims": [
            {
                "text": HARBOUR,
                "claimant": "Port authority",
                "claimDate": "2025-01-02T00:00:00Z",
                "claimReview": [
                    {
                        "publisher": {"name": "Check Co", "site": "checkco.example"},
                        "url": "https://checkco.example/harbour",
                        "title": "The harbour is not closing",
                        "reviewDate": "2025-01-05T00:00:00Z",
                        "textualRating": "False",
                        "languageCode": "en",
                    }
                ],
            }
        ]
    }
    graph = {"@context": "https://schema.org", "@graph": [{"@type": "WebPage", "name": "x"}, review(2, BRIDGE)]}
    feed = {
        "@context": "https://schema.org",
        "@type": "DataFeed",
        "dataFeedElement": [{"@type": "DataFeedItem", "item": [review(3, "The city hired 400 new bus drivers.")]}],
    }
    with make_client(HashingEncoder(), **FAST) as client:
        single = client.post("/fact-checks", json=review(1, FERRY))
        assert single.status_code == 201, single.text
        fc = single.json()["stored"][0]
        assert fc["claim_reviewed"] == FERRY
        assert fc["rating"] == {"textual": "Misleading", "value": 2.0, "best": 5.0, "worst": 1.0}
        assert fc["reviewer"] == {"name": "Fact Desk", "url": "https://factdesk.example"}
        assert (fc["claimant"], fc["claim_date"], fc["date_published"]) == (
            "A harbour councillor",
            "2025-01-28",
            "2025-02-03",
        )
        assert fc["appearances"] == ["https://video.example/watch/1"]
        assert fc["first_appearance"] == "https://social.example/post/1"
        assert _stored_urls(
            client.post("/fact-checks", json=[review(4, "Schools will open at 7 am from March.")]).json()
        ) == ["https://factdesk.example/checks/4"]
        assert _stored_urls(client.post("/fact-checks", json=graph).json()) == ["https://factdesk.example/checks/2"]
        assert _stored_urls(client.post("/fact-checks", json=feed).json()) == ["https://factdesk.example/checks/3"]
        answer = client.post("/fact-checks", json=google).json()
        (tools,) = answer["stored"]
        assert tools["rating"]["textual"] == "False" and tools["reviewer"]["url"] == "https://checkco.example"
        assert (tools["claimant"], tools["claim_date"]) == ("Port authority", "2025-01-02")
        listing = client.get("/fact-checks").json()
        assert listing["count"] == 5
        # The claim reviewed is a claim like any other: it has a source of its own, and GET /claims/{id} reads it.
        claim = client.get(f"/claims/{fc['claim_id']}").json()
        assert (
            claim["text"] == FERRY and claim["source"]["url"] == fc["url"] and claim["source"]["outlet"] == "Fact Desk"
        )


def test_import_is_idempotent_on_the_review_url(make_client) -> None:
    with make_client(HashingEncoder(), **FAST) as client:
        first = client.post("/fact-checks", json=review(1, FERRY))
        assert first.status_code == 201
        again = client.post("/fact-checks", json=[review(1, FERRY), review(1, FERRY)])
        assert again.status_code == 200
        body = again.json()
        assert body["stored"] == [] and [e["id"] for e in body["existing"]] == [first.json()["stored"][0]["id"]] * 2
        assert client.get("/fact-checks").json()["count"] == 1
        assert client.get("/sources").json()["count"] == 1


@pytest.mark.parametrize(
    ("broken", "words"),
    [
        ({"itemReviewed": None}, "itemReviewed: missing"),
        ({"reviewRating": {"@type": "Rating", "bestRating": 5}}, "neither a text"),
        ({"datePublished": "3rd of May"}, "datePublished: not a date"),
        ({"claimReviewed": "  "}, "claimReviewed: missing"),
        ({"url": "ftp://factdesk.example/x"}, "url: not an http(s) URL"),
        (
            {"reviewRating": {"ratingValue": "high", "alternateName": "False"}},
            "reviewRating.ratingValue: expected a number",
        ),
        ({"claimReviewed": "Fares rose\u0000 again."}, "claimReviewed: contains a control character (U+0000)"),
    ],
)
def test_a_bad_item_is_named_and_the_good_ones_are_stored(make_client, broken: dict[str, Any], words: str) -> None:
    bad = review(9, "The museum will charge entry from June.")
    for key, value in broken.items():
        if value is None:
            bad.pop(key)
        else:
            bad[key] = value
    with make_client(HashingEncoder(), **FAST) as client:
        answer = client.post("/fact-checks", json=[review(1, FERRY), bad, review(2, BRIDGE)])
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert _stored_urls(body) == ["https://factdesk.example/checks/1", "https://factdesk.example/checks/2"]
        (rejected,) = body["rejected"]
        assert rejected["index"] == 1 and words in rejected["detail"]
        # Nothing valid at all: 422 that says why, and nothing stored.
        refused = client.post("/fact-checks", json=[bad])
        assert refused.status_code == 422 and words in refused.json()["detail"]
        assert client.get("/fact-checks").json()["count"] == 2


def test_malformed_bodies_are_4xx_and_store_nothing(make_client) -> None:
    with make_client(HashingEncoder(), **FAST) as client:
        for body in ({"hello": "world"}, [], [1, 2], {"@type": "DataFeed", "dataFeedElement": [{"name": "x"}]}):
            response = client.post("/fact-checks", json=body)
            assert response.status_code == 422, (body, response.text)
            assert "no valid ClaimReview" in response.json()["detail"]
        garbled = client.post("/fact-checks", content=b"{not json", headers={"content-type": "application/json"})
        assert garbled.status_code == 400
        assert client.get("/fact-checks").json()["count"] == 0 and client.get("/sources").json()["count"] == 0


def test_matches_say_already_checked_and_kinds_filter(make_client) -> None:
    with make_client(HashingEncoder(), **FAST) as client:
        checked = client.post("/fact-checks", json=review(1, FERRY)).json()["stored"][0]
        article = client.post(
            "/sources",
            json={"text": "Ferry fares to the northern islands tripled during 2024, the operator confirmed on Monday."},
        )
        assert article.status_code == 201
        matches = client.post("/claims/match", json={"text": FERRY, "k": 5}).json()["matches"]
        by_kind = {m["fact_check"] is not None: m for m in matches}
        assert by_kind[True]["fact_check"] == {
            "id": checked["id"],
            "rating": "Misleading",
            "rating_value": 2.0,
            "reviewer": "Fact Desk",
            "url": "https://factdesk.example/checks/1",
            "date_published": "2025-02-03",
        }
        assert by_kind[False]["source"]["id"] == article.json()["id"]
        only_checks = client.post("/claims/match", json={"text": FERRY, "kinds": ["fact_check"]}).json()["matches"]
        assert only_checks and all(m["fact_check"] for m in only_checks)
        only_articles = client.post("/claims/match", json={"text": FERRY, "kinds": ["article"]}).json()["matches"]
        assert only_articles and not any(m["fact_check"] for m in only_articles)
        assert client.post("/claims/match", json={"text": FERRY, "kinds": ["tweet"]}).status_code == 422


def test_the_report_lists_fact_checks_apart_and_they_never_corroborate(make_client) -> None:
    with make_client(HashingEncoder(), **FAST) as client:
        client.post("/fact-checks", json=review(1, FERRY))
        source = client.post("/sources", json={"text": f"{FERRY} The operator blamed fuel prices for it."}).json()
        report = client.get(f"/sources/{source['id']}/cross-references").json()
        ferry = next(c for c in report["claims"] if c["claim"]["text"].startswith("Ferry"))
        assert [r["fact_check"]["rating"] for r in ferry["fact_checks"]] == ["Misleading"]
        assert ferry["corroborating"] == [] and ferry["single_source"] is True
        assert report["summary"]["fact_checked"] == 1


def test_claimreview_out_round_trips_and_delete_takes_the_claim(make_client) -> None:
    with make_client(HashingEncoder(), **FAST) as client:
        stored = client.post("/fact-checks", json=review(1, FERRY)).json()["stored"][0]
        out = client.get(f"/fact-checks/{stored['id']}/claimreview")
        assert out.status_code == 200 and out.headers["content-type"].startswith("application/ld+json")
        document = out.json()
        assert document["@context"] == "https://schema.org" and document["@type"] == "ClaimReview"
        # What Google's ClaimReview rich results require: claimReviewed, reviewRating (alternateName), url, author.
        assert document["reviewRating"]["alternateName"] == "Misleading" and document["author"]["name"] == "Fact Desk"
        again = factchecks.parse_feed(document)
        original = factchecks.parse_feed(review(1, FERRY))
        assert again.reviews == original.reviews and not again.rejected
        assert client.get("/fact-checks/999").status_code == 404
        assert client.delete(f"/fact-checks/{stored['id']}").status_code == 204
        assert client.get(f"/fact-checks/{stored['id']}").status_code == 404
        assert client.get(f"/claims/{stored['claim_id']}").status_code == 404
        assert client.get("/sources").json()["count"] == 0
        assert client.post("/claims/match", json={"text": FERRY}).json()["matches"] == []


def test_listing_filters(make_client) -> None:
    with make_client(HashingEncoder(), **FAST) as client:
        client.post(
            "/fact-checks",
            json=[
                review(1, FERRY),
                review(2, BRIDGE, datePublished="2025-06-01", inLanguage="fr"),
                review(3, HARBOUR, author={"@type": "Organization", "name": "Check Co"}),
            ],
        )

        def urls(**params: str) -> list[str]:
            answer = client.get("/fact-checks", params=params)
            assert answer.status_code == 200, answer.text
            return sorted(fc["url"].rsplit("/", 1)[1] for fc in answer.json()["data"])

        assert urls(reviewer="check co") == ["3"]
        assert urls(language="fr") == ["2"]
        assert urls(published_after="2025-05-01") == ["2"]
        assert urls(rating="misleading") == ["1", "2", "3"]
        assert urls(limit="1") and client.get("/fact-checks", params={"limit": 1}).json()["count"] == 3
        assert client.get("/fact-checks", params={"reviewer_name": "x"}).status_code == 422  # unknown parameter


def test_a_fact_check_page_by_url_stores_its_claimreview(make_client) -> None:
    embedded = json.dumps(review(7, BRIDGE))
    page = (
        "<html><head><title>Did the bridge toll double?</title>"
        f'<script type="application/ld+json">{embedded}</script>'
        '<script type="application/ld+json">{not json</script></head><body><article>'
        "<h1>Did the bridge toll double?</h1>"
        "<p>A post shared widely this week said the toll on the river bridge doubled last spring.</p>"
        "<p>The transport office told us the toll rose by a fifth in April, from five to six coins.</p>"
        "<p>We rate the post misleading: the toll went up, but it did not double.</p>"
        "</article></body></html>"
    ).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/html; charset=utf-8"}, content=page)

    with make_client(HashingEncoder(), **FAST) as client:
        fetcher = make_fetcher(fake_resolver({"factdesk.example": [SITE]}), handler)
        client.app.dependency_overrides[get_fetcher] = lambda: fetcher
        answer = client.post("/sources/from-url", json={"url": "https://factdesk.example/checks/7"})
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert [fc["rating"] for fc in body["fact_checks"]] == ["Misleading"]
        assert body["claims"], "the page's article is stored too"
        assert client.get("/fact-checks").json()["count"] == 1
        # The article and the review share the URL; asking again stores neither twice.
        assert client.post("/sources/from-url", json={"url": "https://factdesk.example/checks/7"}).status_code == 200
        assert client.get("/fact-checks").json()["count"] == 1


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CROSSCHECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CROSSCHECK_MULTILINGUAL", "false")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    encoder = HashingEncoder()
    monkeypatch.setattr(runtime, "load_encoder", lambda *_a, **_k: encoder)
    monkeypatch.setattr(reindex, "load_encoder", lambda *_a, **_k: encoder)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_cli_ingests_a_feed_and_exports_a_datafeed(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    items = [review(i, f"Claim number {i} about the ferry fares went round this week.") for i in range(12)]
    bad = copy.deepcopy(items[5])
    bad.pop("itemReviewed")
    items[5] = bad
    feed = {"@context": "https://schema.org", "@type": "DataFeed", "dataFeedElement": [{"item": [i]} for i in items]}
    path = cli_env / "feed.json"
    path.write_text(json.dumps(feed))
    assert cli.main(["ingest", "-q", str(path)]) == 1  # one item is rejected
    out = capsys.readouterr().out
    assert "fact-checks new: 11, already present: 0, rejected: 1" in out
    assert "item 5: itemReviewed: missing" in out
    assert cli.main(["ingest", "-q", str(path)]) == 1
    assert "fact-checks new: 0, already present: 11" in capsys.readouterr().out
    exported = cli_env / "out.json"
    assert cli.main(["export", "--claimreview", str(exported)]) == 0
    document = json.loads(exported.read_text())
    assert document["@type"] == "DataFeed" and len(document["dataFeedElement"]) == 11
    parsed = factchecks.parse_feed(document)
    assert not parsed.rejected
    assert sorted(r.url for _, r in parsed.reviews) == sorted(i["url"] for n, i in enumerate(items) if n != 5)
    not_a_feed = cli_env / "other.json"
    not_a_feed.write_text(json.dumps({"text": "an article"}))
    assert cli.main(["ingest", "-q", str(not_a_feed)]) == 1
    assert "no ClaimReview in it" in capsys.readouterr().out
    assert cli.main(["match", "Claim number 3 about the ferry fares", "-k", "1"]) == 0
    assert "ALREADY CHECKED: rated Misleading by Fact Desk" in capsys.readouterr().out


def test_a_newsroom_publishes_its_own_verdict_as_claimreview(make_client) -> None:
    article = {
        "text": "The river bridge toll doubled last spring, the transport office said on Monday.",
        "url": "https://harbourtimes.example/bridge-toll",
        "title": "Bridge toll up",
        "outlet": "Harbour Times",
        "published_at": "2025-04-30",
    }
    with make_client(HashingEncoder(), **FAST) as client:
        claim = client.post("/sources", json=article).json()["claims"][0]
        cid = claim["id"]
        assert client.get(f"/claims/{cid}/claimreview").status_code == 404  # nothing reviewed yet
        assert client.post(f"/claims/{cid}/reviews", json={"rating": " "}).status_code == 422
        assert client.post(f"/claims/{cid}/reviews", json={"rating": "False", "url": "javascript:x"}).status_code == 422
        assert client.post("/claims/99999/reviews", json={"rating": "False"}).status_code == 404
        first = client.post(f"/claims/{cid}/reviews", json={"rating": "Misleading"})
        assert first.status_code == 201
        no_url = client.get(f"/claims/{cid}/claimreview")
        assert no_url.status_code == 422 and "CROSSCHECK_ORGANIZATION_NAME" in no_url.json()["detail"]
    with make_client(
        HashingEncoder(),
        **FAST,
        organization_name="Fact Desk",
        organization_url="https://factdesk.example",
    ) as client:
        assert "has no url" in client.get(f"/claims/{cid}/claimreview").json()["detail"]
        posted = client.post(
            f"/claims/{cid}/reviews",
            json={"rating": "False", "explanation": "It rose by a fifth.", "url": "https://factdesk.example/c/9"},
        )
        assert posted.status_code == 201
        assert [r["rating"] for r in client.get(f"/claims/{cid}/reviews").json()] == ["False", "Misleading"]
        out = client.get(f"/claims/{cid}/claimreview")
        assert out.status_code == 200 and out.headers["content-type"].startswith("application/ld+json")
        document = out.json()
        # Google's required ClaimReview fields, and what the issue asks each to be.
        assert document["@type"] == "ClaimReview" and document["url"] == "https://factdesk.example/c/9"
        assert document["claimReviewed"] == claim["context_text"]
        assert document["reviewRating"] == {"@type": "Rating", "alternateName": "False"}
        assert document["author"] == {"@type": "Organization", "name": "Fact Desk", "url": "https://factdesk.example"}
        assert document["itemReviewed"]["appearance"][0]["url"] == article["url"]
        assert document["itemReviewed"]["datePublished"] == "2025-04-30"
        # It reads back as a valid ClaimReview (and could be imported as a fact-check).
        parsed = factchecks.parse_feed(document)
        assert not parsed.rejected and parsed.reviews[0][1].rating_text == "False"
