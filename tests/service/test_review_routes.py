"""The review pages without a browser: keys through the page's cookie, same-origin posts, bad input."""

from __future__ import annotations

import re
from typing import Any

import pytest

from service import report
from service.security import REVIEW_COOKIE, create_key
from tests.helpers import HashingEncoder

FAST = {"multilingual": False, "sync_interval_seconds": 0}
TEXT = "The harbour bridge in Velmont reopened to traffic after two years of repairs, the council said."
SAME_ORIGIN = {"origin": "http://localhost"}


def test_keys_work_through_the_page_cookie_and_posts_must_come_from_the_page(make_client) -> None:
    secret, key = create_key("write")
    with make_client(HashingEncoder(), api_keys=[key.entry()], **FAST) as client:
        auth = {"Authorization": f"Bearer {secret}"}
        client.post("/sources", json={"text": TEXT}, headers=auth)
        page = client.get("/review", params={"q": "Velmont bridge reopened"})
        assert page.status_code == 200 and 'id="key"' in page.text  # reads need no key here; the key form shows
        claim_id = re.search(r'data-claim="(\d+)"', page.text).group(1)
        form = {"text": "Velmont bridge reopened", "matched_claim_id": claim_id, "verdict": "same"}
        # A write from the page without a key: 401, nothing stored.
        assert client.post("/review/judge", data=form, headers=SAME_ORIGIN).status_code == 401
        # The key form keeps the key in a cookie only /review sees.
        saved = client.post("/review/key", data={"key": secret}, headers=SAME_ORIGIN, follow_redirects=False)
        assert saved.status_code == 303
        cookie = saved.headers["set-cookie"]
        assert (
            f"{REVIEW_COOKIE}=" in cookie
            and "HttpOnly" in cookie
            and "SameSite=strict" in cookie.replace("Strict", "strict")
        )
        assert "Path=/review" in cookie
        # From another site, even with the cookie: refused.
        other = client.post("/review/judge", data=form, headers={"origin": "http://evil.example"})
        assert other.status_code == 403
        judged = client.post("/review/judge", data=form, headers=SAME_ORIGIN, follow_redirects=False)
        assert judged.status_code == 303 and "Recorded" in judged.headers["location"]
        (judgment,) = client.get("/judgments", headers=auth).json()["data"]
        assert judgment["reviewer"] == key.key_id and judgment["verdict"] == "same"
        # The cookie is for the pages only: the API still wants the header.
        assert (
            client.post("/judgments", json={"text": "x", "matched_claim_id": 1, "verdict": "same"}).status_code == 401
        )


def test_bad_page_input_is_a_clear_4xx(make_client) -> None:
    with make_client(HashingEncoder(), **FAST) as client:
        assert client.get("/review", params={"q": "a\x00b"}).status_code == 422
        assert client.get("/review/sources/12345").status_code == 404
        assert client.get("/review/watches/12345").status_code == 404
        bad = client.post("/review/judge", data={"matched_claim_id": "x", "verdict": "same"}, headers=SAME_ORIGIN)
        assert bad.status_code == 422 and "not a judgment" in bad.json()["detail"]
        missing = client.post(
            "/review/judge", data={"text": "t", "matched_claim_id": "7", "verdict": "same"}, headers=SAME_ORIGIN
        )
        assert missing.status_code == 422 and "no claim 7" in missing.json()["detail"]
        assert client.get("/judgments").json()["count"] == 0


def test_with_reads_keyed_the_key_form_is_the_way_in(make_client) -> None:
    secret, key = create_key("read")
    with make_client(HashingEncoder(), api_keys=[key.entry()], reads_require_key=True, **FAST) as client:
        assert client.get("/review").status_code == 401
        form = client.get("/review/key")
        assert form.status_code == 200 and 'action="/review/key"' in form.text
        client.post("/review/key", data={"key": secret}, headers=SAME_ORIGIN, follow_redirects=False)
        assert client.get("/review").status_code == 200  # the cookie carries the key
        assert client.get("/sources").status_code == 401  # the API does not read it


def test_a_watch_page_shows_what_the_watched_claim_is_read_with(make_client) -> None:
    fast = {**FAST, "webhook_allow_networks": ["127.0.0.0/8"]}
    with make_client(HashingEncoder(), **fast) as client:
        body = {"text": "It reopened on Monday.", "context": ["The <b>bridge</b> in Velmont was closed."]}
        watch = client.post("/watches", json={**body, "callback_url": "http://127.0.0.1:9/h"}).json()
        page = client.get(f"/review/watches/{watch['id']}")
        assert page.status_code == 200
        assert "Read with: <q>The &lt;b&gt;bridge&lt;/b&gt; in Velmont was closed.</q>" in page.text  # escaped
        every = client.post(
            "/watches", json={"all_fact_checks": True, "context_window": 2, "callback_url": "http://127.0.0.1:9/h"}
        ).json()
        assert "each claim read with 2 either side" in client.get(f"/review/watches/{every['id']}").text


def test_a_source_page_reads_a_transcript_on_request(make_client, monkeypatch: pytest.MonkeyPatch) -> None:
    # The page asks the report for the transcript reading (lines in context, cohesion) only when ticked.
    seen: list[tuple[int, float]] = []
    real = report.build_report

    def spy(**kwargs: Any) -> Any:
        seen.append((kwargs.get("context_window", 0), kwargs.get("cohesion", 0.0)))
        return real(**kwargs)

    monkeypatch.setattr(report, "build_report", spy)
    with make_client(HashingEncoder(), **FAST) as client:
        source = client.post("/sources", json={"text": "The bridge reopened.\n\nIt cost 4 million euros."}).json()
        plain = client.get(f"/review/sources/{source['id']}")
        ticked = client.get(f"/review/sources/{source['id']}", params={"transcript": "true"})
        assert plain.status_code == ticked.status_code == 200
        assert 'name="transcript"' in plain.text and 'id="transcript" checked' not in plain.text
        assert 'id="transcript" checked' in ticked.text
        assert seen == [(0, 0.0), (report.TRANSCRIPT_CONTEXT_WINDOW, report.TRANSCRIPT_COHESION)]
        assert client.get(f"/review/sources/{source['id']}", params={"transcript": "maybe"}).status_code == 422
