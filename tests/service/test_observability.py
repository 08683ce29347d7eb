"""GET /metrics: Prometheus text from prometheus-client, per route and status, matches by mode, index sizes."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import HashingEncoder

ARTICLE = "The harbour bridge opened to traffic on Friday after four years of construction work, the city said."


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_scrape_counts_requests_matches_ingest_and_index(make_client) -> None:
    with make_client(HashingEncoder()) as client:
        created = client.post("/sources", json={"text": ARTICLE})
        assert created.status_code == 201
        claims = len(created.json()["claims"])
        assert client.post("/sources", json={"text": ARTICLE}).status_code == 200  # a duplicate stores nothing
        for mode in ("hybrid", "dense", "dense"):
            assert client.post("/claims/match", json={"text": "bridge opened", "mode": mode}).status_code == 200
        assert client.get("/sources/999999").status_code == 404
        assert client.get("/no/such/path").status_code == 404
        before_poll = _samples(client.get("/metrics").text)
        client.app.state.sync.poll()  # the follower reads the change log (its thread is off in tests)
        response = client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
        samples = _samples(response.text)
    post_sources = (("method", "POST"), ("route", "/sources"))
    assert samples[("crosscheck_http_requests_total", (*post_sources, ("status", "201")))] == 1
    assert samples[("crosscheck_http_requests_total", (*post_sources, ("status", "200")))] == 1
    one_source = (("method", "GET"), ("route", "/sources/{source_id}"), ("status", "404"))
    assert samples[("crosscheck_http_requests_total", one_source)] == 1
    unmatched = (("method", "GET"), ("route", "unmatched"), ("status", "404"))
    assert samples[("crosscheck_http_requests_total", unmatched)] == 1
    assert samples[("crosscheck_http_request_duration_seconds_count", post_sources)] == 2
    assert samples[("crosscheck_match_duration_seconds_count", (("mode", "dense"),))] == 2
    assert samples[("crosscheck_match_duration_seconds_count", (("mode", "hybrid"),))] == 1
    assert samples[("crosscheck_claims_ingested_total", ())] == claims
    assert samples[("crosscheck_index_vectors", (("encoder", "dense"),))] == claims
    # The ingest wrote to the change log; once the follower has read it, nothing is left behind.
    assert before_poll[("crosscheck_change_log_lag", ())] >= 1
    assert samples[("crosscheck_change_log_lag", ())] == 0
    assert samples[("crosscheck_change_log_last_poll_age_seconds", ())] >= 0


def test_metrics_need_a_read_key_where_reads_do(make_client) -> None:
    from service.security import create_key

    token, key = create_key("read")
    with make_client(HashingEncoder(), api_keys=[key.entry()], reads_require_key=True) as client:
        assert client.get("/metrics").status_code == 401
        scraped = client.get("/metrics", headers={"authorization": f"Bearer {token}"})
        assert scraped.status_code == 200 and "crosscheck_http_requests_total" in scraped.text
