"""Watches, alerts and their signed delivery (issue 15), against a real receiver listening on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from standardwebhooks.webhooks import Webhook

from bench.harness import WebhookReceiver
from service import alerts, matching
from tests.helpers import HashingEncoder, claim_review

LOCAL = {"multilingual": False, "sync_interval_seconds": 0, "webhook_allow_networks": ["127.0.0.0/8"]}
WATCHED = "The harbour bridge in Velmont reopened to traffic after two years of repairs."
STATING = "The harbour bridge in Velmont reopened to traffic after two years of repairs, the city council said."
OTHER = "Quarry workers in Dunmore voted to strike over pay and hours at the stone works."


Receiver = WebhookReceiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = WebhookReceiver()
    yield r
    r.close()


@contextmanager
def app(make_client, **overrides: object) -> Iterator[Any]:
    with make_client(HashingEncoder(), **{**LOCAL, **overrides}) as client:
        yield client


def _watch(client, url: str, **fields: Any) -> dict[str, Any]:
    response = client.post("/watches", json={"text": WATCHED, "min_score": 0.0, "callback_url": url, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_matching_claim_is_alerted_and_delivered_signed(make_client, receiver: Receiver) -> None:
    with app(make_client) as client:
        watch = _watch(client, receiver.url, description="bridge")
        assert watch["secret"].startswith("whsec_") and watch["relations"] == ["conflict", "same"]
        assert "secret" not in client.get(f"/watches/{watch['id']}").json()
        client.post("/sources", json={"text": OTHER, "outlet": "Quarry Post"})
        stored = client.post(
            "/sources", json={"text": STATING, "outlet": "Velmont Daily", "url": "https://vd.example/b"}
        )
        raised, attempted = client.app.state.alerts.run_once()
        assert (raised, attempted) == (1, 1)
        (alert,) = client.get(f"/watches/{watch['id']}/alerts").json()["data"]
        assert alert["claim"]["source_id"] == stored.json()["id"] and alert["relation"] == "same"
        assert alert["source"]["outlet"] == "Velmont Daily"
        assert alert["delivery"]["state"] == "delivered" and alert["delivery"]["attempts"] == 1
        (request,) = receiver.received
        headers = request.headers
        assert headers["webhook-id"] == f"alert_{alert['id']}"
        # The receiver's side: a Standard Webhooks library verifies the signature with the secret.
        payload = Webhook(watch["secret"]).verify(request.body, headers)
        assert payload["alert"]["id"] == alert["id"] and payload["alert"]["claim"]["text"] == STATING
        with pytest.raises(Exception, match="signature"):
            Webhook(alerts.new_secret()).verify(request.body, headers)
        # Nothing new: nothing more raised or sent.
        assert client.app.state.alerts.run_once() == (0, 0)
        assert client.get("/watches").json()["data"][0]["alerts"] == 1
        assert client.get("/alerts", params={"state": "delivered"}).json()["count"] == 1


def test_failed_deliveries_are_retried_with_backoff_then_given_up(make_client, receiver: Receiver) -> None:
    with app(make_client, webhook_retry_hours=1.0) as client:
        watch = _watch(client, receiver.url)
        receiver.answers = [500, 503]
        client.post("/sources", json={"text": STATING})
        client.app.state.alerts.run_once()
        (alert,) = client.get(f"/watches/{watch['id']}/alerts").json()["data"]
        assert alert["delivery"]["state"] == "pending" and alert["delivery"]["last_status"] == 500
        assert "HTTP 500" in alert["delivery"]["last_error"]
        deliverer = client.app.state.alerts.deliverer
        assert deliverer.run_once() == 0  # not due yet: backoff
        later = alerts.now() + dt.timedelta(minutes=5)
        assert deliverer.run_once(at=later) == 1  # the 503
        assert deliverer.run_once(at=later + dt.timedelta(minutes=5)) == 1  # delivered
        alert = client.get(f"/alerts/{alert['id']}").json()
        assert alert["delivery"]["state"] == "delivered" and alert["delivery"]["attempts"] == 3
        # Every delivery of one alert carries the same webhook-id and body: a receiver deduplicates on it.
        assert len(set(receiver.ids())) == 1 and len({r.body for r in receiver.received}) == 1
    with app(make_client, webhook_retry_hours=0.0001) as client:  # retried for less than a second
        receiver.answers = [500]
        client.post("/sources", json={"text": STATING + " Again."})
        client.app.state.alerts.run_once()
        failed = client.get("/alerts", params={"state": "failed"}).json()["data"]
        assert len(failed) == 1 and failed[0]["delivery"]["attempts"] == 1
        # Redelivery queues it again: due now, same id.
        assert client.post(f"/alerts/{failed[0]['id']}/redeliver").json()["delivery"]["state"] == "pending"
        client.app.state.alerts.deliverer.run_once()
        assert client.get(f"/alerts/{failed[0]['id']}").json()["delivery"]["state"] == "delivered"
        assert receiver.ids()[-2:] == [f"alert_{failed[0]['id']}"] * 2


def test_thresholds_relations_pause_and_delete(make_client, receiver: Receiver) -> None:
    with app(make_client) as client:
        strict = _watch(client, receiver.url, min_score=0.99)
        only_related = _watch(client, receiver.url, relations=["related"])
        paused = _watch(client, receiver.url)
        assert client.patch(f"/watches/{paused['id']}", json={"active": False}).json()["active"] is False
        client.post("/sources", json={"text": STATING})
        client.app.state.alerts.run_once()
        counts = {w["id"]: w["alerts"] for w in client.get("/watches").json()["data"]}
        assert counts == {strict["id"]: 0, only_related["id"]: 0, paused["id"]: 0}
        assert receiver.received == []
        client.patch(f"/watches/{paused['id']}", json={"active": True, "min_score": 0.0})
        client.post("/sources", json={"text": STATING + " Traffic is back."})
        client.app.state.alerts.run_once()
        assert client.get(f"/watches/{paused['id']}").json()["alerts"] == 1
        assert client.delete(f"/watches/{paused['id']}").status_code == 204
        assert client.get(f"/watches/{paused['id']}").status_code == 404
        assert client.get("/alerts").json()["count"] == 0


def test_bad_watches_are_4xx_and_store_nothing(make_client, receiver: Receiver) -> None:
    with app(make_client) as client:
        cases = [
            ({"text": WATCHED, "claim_id": 1, "callback_url": receiver.url}, "exactly one"),
            ({"callback_url": receiver.url}, "exactly one"),
            ({"claim_id": 987, "callback_url": receiver.url}, "no claim 987"),
            ({"fact_check_id": 5, "callback_url": receiver.url}, "no fact-check 5"),
            ({"text": WATCHED, "callback_url": "ftp://127.0.0.1/x"}, "only http and https"),
            ({"text": WATCHED, "callback_url": receiver.url, "secret": "hunter2"}, "whsec_"),
            ({"text": WATCHED, "callback_url": receiver.url, "secret": "whsec_c2hvcnQ="}, "24 to 64"),
            ({"text": WATCHED, "callback_url": receiver.url, "min_score": 2}, "less than or equal"),
            ({"text": WATCHED, "callback_url": receiver.url, "relations": ["maybe"]}, "same"),
            ({"text": "  ", "callback_url": receiver.url}, "empty"),
            ({"claim_id": 1, "context": ["Before it."], "callback_url": receiver.url}, "context: only with text"),
            ({"text": WATCHED, "context_window": 2, "callback_url": receiver.url}, "context_window: only with"),
            ({"text": WATCHED, "context": ["a", " "], "callback_url": receiver.url}, "context sentence is empty"),
            ({"all_fact_checks": True, "context_window": 11, "callback_url": receiver.url}, "less than or equal"),
            ({"text": WATCHED, "cohesion": 0.1, "callback_url": receiver.url}, "cohesion: only with all_fact_checks"),
            ({"all_fact_checks": True, "cohesion": 1.5, "callback_url": receiver.url}, "less than or equal"),
            ({"all_fact_checks": True, "cohesion": -1, "callback_url": receiver.url}, "greater than or equal"),
        ]
        for body, words in cases:
            response = client.post("/watches", json=body)
            assert response.status_code == 422, (body, response.text)
            assert words in json.dumps(response.json()), (body, response.text)
        assert client.get("/watches").json()["count"] == 0
        assert client.get("/watches/1").status_code == 404
        assert client.patch("/watches/1", json={"active": False}).status_code == 404
        assert client.get("/alerts/1").status_code == 404 and client.post("/alerts/1/redeliver").status_code == 404
        assert client.get("/alerts", params={"state": "lost"}).status_code == 422
    with app(make_client, webhook_allow_networks=[]) as client:  # loopback is not public: refused
        response = client.post("/watches", json={"text": WATCHED, "callback_url": receiver.url})
        assert response.status_code == 422 and "CROSSCHECK_WEBHOOK_ALLOW_NETWORKS" in response.json()["detail"]


def test_every_fact_check_watched(make_client, receiver: Receiver) -> None:
    review = claim_review(WATCHED, "https://factdesk.example/checks/bridge", "False")
    with app(make_client) as client:
        assert client.post("/fact-checks", json=review).status_code == 201
        watch = client.post(
            "/watches", json={"all_fact_checks": True, "min_score": 0.0, "callback_url": receiver.url}
        ).json()
        client.post("/sources", json={"text": STATING, "outlet": "Velmont Daily"})
        client.app.state.alerts.run_once()
        (alert,) = client.get(f"/watches/{watch['id']}/alerts").json()["data"]
        assert alert["fact_check"]["rating"] == "False" and alert["claim"]["text"] == STATING
        assert json.loads(receiver.received[0].body)["alert"]["fact_check"]["url"] == review["url"]


def test_one_delivery_per_alert_however_many_processes(make_client, receiver: Receiver) -> None:
    with app(make_client) as client:
        _watch(client, receiver.url)
        for n in range(6):
            client.post("/sources", json={"text": f"{STATING} Report number {n} from the quay."})
        service = client.app.state.alerts
        # Two checkers (two API processes) over the same log: each alert is raised once.
        other = alerts.AlertChecker(engine=service.checker.engine, matcher=service.checker.matcher)
        threads = [threading.Thread(target=c.check) for c in (service.checker, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert client.get("/alerts").json()["count"] == 6
        # Two deliverers at once: every alert is posted exactly once.
        second = alerts.Deliverer(
            engine=service.deliverer.engine, settings=service.deliverer.settings, fetcher=service.deliverer.fetcher
        )
        threads = [threading.Thread(target=d.run_once) for d in (service.deliverer, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        listed = client.get("/alerts").json()["data"]
        assert sorted(receiver.ids()) == sorted(f"alert_{a['id']}" for a in listed), [a["delivery"] for a in listed]
        assert len(receiver.ids()) == 6


def test_backoff_doubles_with_jitter() -> None:
    import random

    rng = random.Random(4)
    delays = [alerts.backoff_seconds(n, rng) for n in range(1, 12)]
    assert 2.5 <= delays[0] <= 7.5 and delays[-1] <= 3600 * 1.5
    assert all(d >= 0.5 * min(5 * 2 ** (n - 1), 3600) for n, d in enumerate(delays, start=1))


def test_judgments_show_on_matches_and_alerts_and_unrelated_sinks(make_client, receiver: Receiver) -> None:
    with app(make_client) as client:
        watch = _watch(client, receiver.url)
        first = client.post("/sources", json={"text": STATING}).json()["claims"][0]["id"]
        second = client.post("/sources", json={"text": WATCHED + " Cyclists may cross again."}).json()["claims"][0][
            "id"
        ]
        before = [m["claim"]["id"] for m in client.post("/claims/match", json={"text": WATCHED}).json()["matches"]]
        top = before[0]
        # Judged on the query's words: other spacing and case find the same pair.
        judged = client.post(
            "/judgments",
            json={
                "text": "  the harbour BRIDGE in Velmont reopened to traffic after two years of repairs.",
                "matched_claim_id": top,
                "verdict": "unrelated",
                "note": "another bridge",
            },
        )
        assert judged.status_code == 201 and judged.json()["reviewer"] == "local"
        after = client.post("/claims/match", json={"text": WATCHED}).json()["matches"]
        assert after[-1]["claim"]["id"] == top and after[-1]["judgment"]["verdict"] == "unrelated"
        assert [m["rank"] for m in after] == list(range(1, len(after) + 1))
        assert all(m["judgment"] is None for m in after[:-1])
        # Replacing the verdict: 200, one judgment for the pair.
        again = client.post("/judgments", json={"text": WATCHED, "matched_claim_id": top, "verdict": "same"})
        assert again.status_code == 200 and client.get("/judgments").json()["count"] == 1
        # The watch's pairs: judged unrelated before the check, that claim raises no alert; the other one does.
        client.post("/judgments", json={"text": WATCHED, "matched_claim_id": first, "verdict": "unrelated"})
        client.app.state.alerts.run_once()
        raised = client.get(f"/watches/{watch['id']}/alerts").json()["data"]
        assert [a["claim"]["id"] for a in raised] == [second]
        client.post("/judgments", json={"text": WATCHED, "matched_claim_id": second, "verdict": "same"})
        (alert,) = client.get(f"/watches/{watch['id']}/alerts").json()["data"]
        assert alert["judgment"]["verdict"] == "same"
        # Bad judgments: 4xx naming the field, nothing stored.
        for body, words in (
            ({"matched_claim_id": top, "verdict": "same"}, "exactly one"),
            ({"text": WATCHED, "claim_id": top, "matched_claim_id": top, "verdict": "same"}, "exactly one"),
            ({"text": WATCHED, "matched_claim_id": 999, "verdict": "same"}, "matched_claim_id: no claim 999"),
            ({"text": WATCHED, "matched_claim_id": top, "verdict": "maybe"}, "verdict"),
        ):
            response = client.post("/judgments", json=body)
            assert response.status_code == 422 and words in json.dumps(response.json()), response.text
        assert client.get("/judgments").json()["count"] == 2
        one = client.get("/judgments", params={"verdict": "unrelated"}).json()["data"][0]
        assert client.delete(f"/judgments/{one['id']}").status_code == 204
        assert client.delete(f"/judgments/{one['id']}").status_code == 404


def test_the_reviewer_is_the_key(make_client) -> None:
    from service.security import create_key

    secret, key = create_key("write")
    with app(make_client, api_keys=[key.entry()]) as client:
        auth = {"Authorization": f"Bearer {secret}"}
        claim = client.post("/sources", json={"text": STATING}, headers=auth).json()["claims"][0]["id"]
        judged = client.post(
            "/judgments", json={"text": WATCHED, "matched_claim_id": claim, "verdict": "same"}, headers=auth
        )
        assert judged.status_code == 201 and judged.json()["reviewer"] == key.key_id
        assert (
            client.post("/judgments", json={"text": WATCHED, "matched_claim_id": claim, "verdict": "same"}).status_code
            == 401
        )


def test_checks_wait_for_a_pause_in_ingest_but_never_too_long(make_client, receiver: Receiver) -> None:
    with app(make_client) as client:
        _watch(client, receiver.url)
        service = client.app.state.alerts
        assert service.due(0.0) is False  # nothing unchecked
        client.post("/sources", json={"text": STATING})
        assert service.due(100.0) is False  # claims just arrived: ingest may be going on
        assert service.due(100.5) is False
        assert service.due(101.2) is True  # a second without new claims: check
        service.checker.check()
        assert service.due(102.0) is False
        # Ingest that never pauses: checked after MAX_DEFER_SECONDS anyway.
        at = 200.0
        seen = []
        for n in range(40):
            client.post("/sources", json={"text": f"{STATING} Update {n} from the harbour."})
            seen.append(service.due(at))
            at += 0.5
        assert True in seen and seen.index(True) == int(alerts.MAX_DEFER_SECONDS / 0.5)


def test_watching_a_stored_claim_or_a_fact_check(make_client, receiver: Receiver) -> None:
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": "https://factdesk.example/checks/bridge-2",
        "claimReviewed": WATCHED,
        "itemReviewed": {"@type": "Claim"},
        "reviewRating": {"@type": "Rating", "alternateName": "Mostly true"},
    }
    with app(make_client) as client:
        claim = client.post("/sources", json={"text": STATING}).json()["claims"][0]
        fact_check = client.post("/fact-checks", json=review).json()["stored"][0]
        by_claim = _watch(client, receiver.url, text=None, claim_id=claim["id"])
        by_check = _watch(client, receiver.url, text=None, fact_check_id=fact_check["id"])
        assert by_claim["text"] == claim["context_text"] and by_check["text"] == WATCHED
        later = client.post("/sources", json={"text": WATCHED + " Ferries stopped their extra runs."}).json()
        client.app.state.alerts.run_once()
        for watch in (by_claim, by_check):
            (alert,) = client.get(f"/watches/{watch['id']}/alerts").json()["data"]
            assert alert["source"]["id"] == later["id"]


def test_judgments_export_with_both_texts(make_client, tmp_path, monkeypatch) -> None:
    from service import cli
    from service.config import get_settings

    with app(make_client, data_dir=tmp_path / "store") as client:
        claim = client.post("/sources", json={"text": STATING}).json()["claims"][0]
        other = client.post("/sources", json={"text": OTHER}).json()["claims"][0]
        client.post("/judgments", json={"text": WATCHED, "matched_claim_id": claim["id"], "verdict": "same"})
        client.post(
            "/judgments", json={"claim_id": claim["id"], "matched_claim_id": other["id"], "verdict": "unrelated"}
        )
    monkeypatch.setenv("CROSSCHECK_DATA_DIR", str(tmp_path / "store"))  # the CLI's store is the app's (or its schema)
    get_settings.cache_clear()
    out = tmp_path / "judgments.jsonl"
    try:
        assert cli.main(["export", "--judgments", str(out)]) == 0
    finally:
        get_settings.cache_clear()
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["query"], r["matched"], r["verdict"]) for r in rows] == [
        (WATCHED, STATING, "same"),
        (claim["context_text"], OTHER, "unrelated"),
    ]


TRANSCRIPT = (
    "The harbour bridge in Velmont was closed to traffic two years ago for repairs.\n\n"
    "It reopened on Monday, the mayor told the council.\n\n"
    "Ferry operators in Dunmore said their extra crossings would stop next month."
)


def _alert_scores(client, watch: dict[str, Any]) -> dict[str, float]:
    return {a["claim"]["text"]: a["score"] for a in client.get(f"/watches/{watch['id']}/alerts").json()["data"]}


def test_a_watched_claim_is_read_with_its_context(make_client, receiver: Receiver) -> None:
    relations = ["same", "conflict", "related"]
    vague = "It reopened on Monday after the repairs."
    context = ["The harbour bridge in Velmont was closed to traffic two years ago."]
    with app(make_client) as client:
        alone = _watch(client, receiver.url, text=vague, relations=relations)
        read_with = _watch(client, receiver.url, text=vague, relations=relations, context=context)
        assert read_with["context"] == context and alone["context"] is None
        assert client.get(f"/watches/{read_with['id']}").json()["context"] == context
        client.post("/sources", json={"text": STATING, "outlet": "Velmont Daily"})
        client.app.state.alerts.run_once()
        # Its context names the bridge: the article about the bridge scores higher than for the vague text alone.
        assert _alert_scores(client, read_with)[STATING] > _alert_scores(client, alone).get(STATING, 0.0)


def test_a_stored_claim_watched_with_its_neighbours(make_client, receiver: Receiver) -> None:
    with app(make_client) as client:
        claims = client.post("/sources", json={"text": TRANSCRIPT, "outlet": "Council minutes"}).json()["claims"]
        assert len(claims) == 3
        watch = _watch(client, receiver.url, text=None, claim_id=claims[1]["id"], context_window=1)
        assert watch["context_window"] == 1
        assert watch["context"] == [claims[0]["context_text"], claims[2]["context_text"]]
        narrow = _watch(client, receiver.url, text=None, claim_id=claims[0]["id"], context_window=1)
        assert narrow["context"] == [claims[1]["context_text"]]  # the first claim has no claim before it


def test_every_fact_check_watched_with_each_claims_neighbours(make_client, receiver: Receiver, monkeypatch) -> None:
    review = claim_review(
        "The Velmont harbour bridge reopened to traffic on Monday after two years of repairs.",
        "https://factdesk.example/checks/bridge-reopened",
        "True",
    )
    with app(make_client) as client:
        assert client.post("/fact-checks", json=review).status_code == 201
        fields = {"all_fact_checks": True, "min_score": 0.0, "relations": ["same", "conflict", "related"]}
        alone = client.post("/watches", json={**fields, "callback_url": receiver.url}).json()
        around = client.post("/watches", json={**fields, "context_window": 1, "callback_url": receiver.url}).json()
        assert around["context_window"] == 1 and alone["context_window"] == 0
        matcher = client.app.state.alerts.checker.matcher
        seen: list[tuple[str, Any]] = []
        match = matcher.match

        def recording(**kwargs: Any) -> Any:
            seen.append((kwargs["query"].text, kwargs.get("vectors")))
            return match(**kwargs)

        monkeypatch.setattr(matcher, "match", recording)
        claims = client.post("/sources", json={"text": TRANSCRIPT, "outlet": "Council minutes"}).json()["claims"]
        client.app.state.alerts.run_once()
        middle = claims[1]["context_text"]
        # The middle claim is looked up twice: alone (its own vector) and read with the claims either side.
        queried = [vectors for text, vectors in seen if text == middle]
        assert len(queried) == 2 and queried[0] is None
        encoder = HashingEncoder()
        own, before, after = encoder.encode_queries([c["context_text"] for c in (claims[1], claims[0], claims[2])])
        expected = matching.with_context(own, np.stack([before, after]))
        np.testing.assert_allclose(queried[1]["dense"], expected, atol=1e-5)
        for watch in (alone, around):  # both watches alert on every claim (min_score 0, every relation)
            assert len(_alert_scores(client, watch)) == 3


def test_a_store_from_before_watch_context_gets_the_columns(tmp_path) -> None:
    from sqlalchemy import inspect, text
    from sqlmodel import Session

    from service.config import Settings
    from service.db import make_engine
    from service.models import Watch

    settings = Settings(data_dir=tmp_path)
    engine = make_engine(settings)
    with engine.begin() as connection:  # the watch table as it was before context came
        connection.execute(text("ALTER TABLE watch DROP COLUMN context"))
        connection.execute(text("ALTER TABLE watch DROP COLUMN context_window"))
        connection.execute(text("ALTER TABLE watch DROP COLUMN cohesion"))
        connection.execute(
            text(
                "INSERT INTO watch (id, text, all_fact_checks, min_score, relations, callback_url, secret, active, "
                "created_at) VALUES (3, 'a bridge reopened', false, 0.1, '[\"same\"]', 'https://x.example/h', 's', "
                "true, '2026-01-01 00:00:00')"
            )
        )
    engine.dispose()
    engine = make_engine(settings)
    try:
        assert {"context", "context_window", "cohesion"} <= {c["name"] for c in inspect(engine).get_columns("watch")}
        with Session(engine) as session:
            public = alerts.watch_public(session.get(Watch, 3))
            assert public.text == "a bridge reopened" and public.context is None and public.context_window == 0
            assert public.cohesion == 0.0
    finally:
        engine.dispose()


def test_a_long_neighbour_is_cut_to_what_a_context_takes(make_client, receiver: Receiver) -> None:
    from service.schemas import MAX_CONTEXT_CHARS

    long_claim = (
        "The council said the repairs covered " + ", ".join(f"span {n} of the bridge" for n in range(140)) + "."
    )
    assert len(long_claim) > MAX_CONTEXT_CHARS
    with app(make_client) as client:
        claims = client.post("/sources", json={"text": long_claim + "\n\nIt reopened on Monday."}).json()["claims"]
        assert len(claims) == 2
        watch = _watch(client, receiver.url, text=None, claim_id=claims[1]["id"], context_window=1)
        assert len(watch["context"]) == 1 and len(watch["context"][0]) == MAX_CONTEXT_CHARS
        client.post("/sources", json={"text": STATING, "outlet": "Velmont Daily"})
        # The checker builds its match query from the stored context: it must be one a request could send.
        assert client.app.state.alerts.run_once()[0] >= 0


def test_every_fact_check_watched_with_cohesion(real_encoder, make_client, receiver: Receiver) -> None:
    # The second line alone ("It will also double ...") is closest to a fact-check of the same shape about bus
    # fares; the first line is sure of the dam fact-check, which the second line matches too. A watch with cohesion
    # alerts the second line with the dam fact-check; one without, with the bus fares.
    first = "The Orsk dam plan will flood forty farms in the valley, the senator said."
    second = "It will also double the water tax, the senator said."
    dam = claim_review(
        "The Orsk dam plan floods forty valley farms and doubles the water tax.", "https://factdesk.example/dam", "True"
    )
    fares = claim_review(
        "It will also double the bus fares, the mayor said.", "https://factdesk.example/fares", "False"
    )
    with make_client(real_encoder, **LOCAL) as client:
        for review in (dam, fares):
            assert client.post("/fact-checks", json=review).status_code == 201
        fields = {"all_fact_checks": True, "min_score": 0.0, "relations": ["same", "conflict", "related"]}
        alone = client.post("/watches", json={**fields, "callback_url": receiver.url}).json()
        together = client.post("/watches", json={**fields, "cohesion": 1.0, "callback_url": receiver.url}).json()
        assert (alone["cohesion"], together["cohesion"]) == (0.0, 1.0)
        assert client.get(f"/watches/{together['id']}").json()["cohesion"] == 1.0
        client.post("/sources", json={"text": f"{first}\n\n{second}", "outlet": "Senate transcript"})
        client.app.state.alerts.run_once()

        def alerted(watch: dict[str, Any]) -> dict[str, tuple[str, float]]:
            data = client.get(f"/watches/{watch['id']}/alerts").json()["data"]
            return {a["claim"]["text"]: (a["fact_check"]["url"], a["score"]) for a in data}

        plain, lifted = alerted(alone), alerted(together)
        assert plain[second][0] == fares["url"] and lifted[second][0] == dam["url"]
        assert plain[first][0] == lifted[first][0] == dam["url"]
        assert 0.0 <= lifted[second][1] <= 1.0
