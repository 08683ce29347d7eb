"""Hostile input, table-driven: every request gets a 4xx (or a correct 2xx), never a 5xx or a hang, and a
refused request changes nothing that is stored (the whole store is compared through the export format)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.config import Settings, get_settings
from service.main import create_app
from service.transfer import export_rows
from tests.helpers import HashingEncoder
from tests.netguard import loopback_only

pytestmark = pytest.mark.usefixtures("loopback_only")  # the from-url cases must be refused before connecting
__all__ = ["loopback_only"]

ARTICLE = "The harbour bridge opened to traffic on Friday after four years of construction work."
JSON = {"content-type": "application/json"}
TIME_LIMIT_S = 20.0  # a request that takes longer counts as a hang
ZERO_WIDTH = "The\u200b harbour\u200d bridge opened\ufeff on Friday after four years of work, officials said."
# Arabic ("the bridge opened on Friday after four years of work") inside a right-to-left override.
RIGHT_TO_LEFT = (
    "\u202e\u0627\u0641\u062a\u062a\u062d \u0627\u0644\u062c\u0633\u0631 \u064a\u0648\u0645 "
    "\u0627\u0644\u062c\u0645\u0639\u0629.\u202c The bridge opened on Friday, officials said."
)
HTML_WITH_SCRIPTS = (
    "<script>alert(document.cookie)</script><p>The harbour bridge opened on Friday, the city said.</p>"
    "<img src=x onerror=alert(1)>"
)


def raw(body: bytes | str, **headers: str) -> dict[str, Any]:
    return {
        "content": body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body,
        "headers": JSON | headers,
    }


def chunked(total: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    yield b'{"text": "'
    for _ in range(total // chunk):
        yield b"a" * chunk
    yield b'"}'


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


# (name, method, path, request kwargs, accepted statuses). 2xx is accepted only where the input is valid.
CASES: list[tuple[str, str, str, dict[str, Any], set[int]]] = [
    ("invalid utf-8", "post", "/sources", raw(b'{"text": "The bridge \xff\xfe opened on Friday after work."}'), {400}),
    ("invalid utf-8 in match", "post", "/claims/match", raw(b'{"text": "\xc3\x28 bridge"}'), {400}),
    ("NUL in text", "post", "/sources", {"json": {"text": ARTICLE.replace(" on ", " on\x00 ")}}, {422}),
    ("NUL in title", "post", "/sources", {"json": {"text": ARTICLE, "title": "a\x00b"}}, {422}),
    ("escape char in outlet", "post", "/sources", {"json": {"text": ARTICLE, "outlet": "\x1b[31mred"}}, {422}),
    ("control chars in text", "post", "/sources", {"json": {"text": ARTICLE + "\x01\x02\x03\x07\x08"}}, {422}),
    ("NUL in match", "post", "/claims/match", {"json": {"text": "bridge\x00"}}, {422}),
    ("lone surrogate in text", "post", "/sources", raw('{"text": "The bridge \\ud800 opened on Friday."}'), {422}),
    ("lone surrogate in url", "post", "/sources", raw(f'{{"text": "{ARTICLE}", "url": "\\udfff"}}'), {422}),
    ("lone surrogate as a key", "post", "/sources", raw(f'{{"text": "{ARTICLE}", "\\ud800": 1}}'), {422}),
    ("lone surrogate in match", "post", "/claims/match", raw('{"text": "bridge \\udc00"}'), {422}),
    (
        "zero-width characters",
        "post",
        "/sources",
        {"json": {"text": ZERO_WIDTH}},
        {201},
    ),
    (
        "right-to-left text and overrides",
        "post",
        "/sources",
        {"json": {"text": RIGHT_TO_LEFT}},
        {201, 422},
    ),
    ("10 MB body", "post", "/sources", raw(b'{"text": "' + b"a" * 10_000_000 + b'"}'), {413}),
    ("10 MB chunked body", "post", "/sources", {"content": chunked(10_000_000), "headers": JSON}, {413}),
    ("10 MB match body", "post", "/claims/match", raw(b'{"text": "' + b"b" * 10_000_000 + b'"}'), {413}),
    ("deeply nested JSON", "post", "/sources", raw(deep(200_000)), {400, 422}),
    ("deeply nested field", "post", "/sources", raw(b'{"text": ' + deep(100_000) + b"}"), {400, 422}),
    (
        "deeply nested match",
        "post",
        "/claims/match",
        raw(b'{"text": "x", "exclude_source_ids": ' + deep(50_000) + b"}"),
        {400, 422},
    ),
    ("huge k", "post", "/claims/match", {"json": {"text": "bridge", "k": 10**100}}, {422}),
    ("negative k", "post", "/claims/match", {"json": {"text": "bridge", "k": -5}}, {422}),
    ("float k", "post", "/claims/match", {"json": {"text": "bridge", "k": 1e308}}, {422}),
    ("infinite min_score", "post", "/claims/match", raw(b'{"text": "bridge", "min_score": 1e400}'), {422}),
    ("NaN min_score", "post", "/claims/match", raw(b'{"text": "bridge", "min_score": NaN}'), {422}),
    (
        "huge excluded id",
        "post",
        "/claims/match",
        {"json": {"text": "bridge", "exclude_source_ids": [10**30, -1]}},
        {200},
    ),
    (
        "too many excluded ids",
        "post",
        "/claims/match",
        {"json": {"text": "b", "exclude_source_ids": list(range(10_001))}},
        {422},
    ),
    ("huge source id", "get", "/sources/99999999999999999999999999", {}, {404}),
    ("negative source id", "get", "/sources/-1", {}, {404}),
    ("huge id delete", "delete", "/sources/99999999999999999999999999", {}, {404}),
    ("huge claim id", "get", "/claims/99999999999999999999999999", {}, {404}),
    ("huge id cross-references", "get", "/sources/99999999999999999999999/cross-references", {}, {404}),
    ("huge offset", "get", "/sources?offset=99999999999999999999999", {}, {422}),
    ("negative limit", "get", "/sources?limit=-3", {}, {422}),
    ("limit not a number", "get", "/sources?limit=ten", {}, {422}),
    ("huge k in cross-references", "get", "/sources/1/cross-references?k=100000000000000000000", {}, {422}),
    ("text is a number", "post", "/sources", {"json": {"text": 123}}, {422}),
    ("text is null", "post", "/sources", {"json": {"text": None}}, {422}),
    ("text is an object", "post", "/sources", {"json": {"text": {"a": "b"}}}, {422}),
    ("body is a list", "post", "/sources", {"json": [{"text": ARTICLE}]}, {422}),
    ("body is a string", "post", "/sources", {"json": ARTICLE}, {422}),
    ("body is empty", "post", "/sources", raw(b""), {422}),
    ("body is not JSON", "post", "/sources", raw(b"text=hello"), {400}),
    ("truncated JSON", "post", "/claims/match", raw(b'{"text": "bridge"'), {400}),
    ("form encoded", "post", "/sources", {"data": {"text": ARTICLE}}, {415}),
    ("no content type", "post", "/claims/match", {"content": b'{"text": "bridge"}'}, {415}),
    (
        "plain-text content type",
        "post",
        "/sources",
        raw(json.dumps({"text": ARTICLE}), **{"content-type": "text/plain"}),
        {415},
    ),
    ("unknown field", "post", "/sources", {"json": {"text": ARTICLE, "outet": "typo"}}, {422}),
    ("unknown match field", "post", "/claims/match", {"json": {"text": "bridge", "limit": 3}}, {422}),
    ("impossible date", "post", "/sources", {"json": {"text": ARTICLE, "published_at": "2025-13-45"}}, {422}),
    ("far future date", "post", "/sources", {"json": {"text": ARTICLE, "published_at": "99999-01-01"}}, {422}),
    ("url too long", "post", "/sources", {"json": {"text": ARTICLE, "url": "https://a.example/" + "x" * 3000}}, {422}),
    ("title too long", "post", "/sources", {"json": {"text": ARTICLE, "title": "t" * 5000}}, {422}),
    (
        "HTML with scripts",
        "post",
        "/sources",
        {"json": {"text": HTML_WITH_SCRIPTS}},
        {201, 422},
    ),
    ("empty article", "post", "/sources", {"json": {"text": ""}}, {422}),
    ("whitespace article", "post", "/sources", {"json": {"text": " \n\t\r\n "}}, {422}),
    (
        "no sentences",
        "post",
        "/sources",
        {"json": {"text": "# Heading\n\n- \n\n[a link](https://x.example)\n\n***"}},
        {422},
    ),
    ("only punctuation", "post", "/sources", {"json": {"text": "... !!! ??? ;;; --- ..."}}, {422}),
    (
        "100k-character sentence",
        "post",
        "/sources",
        {"json": {"text": "The " + "very " * 20_000 + "long claim."}},
        {201, 413, 422},
    ),
    ("100k characters, no spaces", "post", "/sources", {"json": {"text": "A" + "b" * 100_000 + "."}}, {201, 413, 422}),
    (
        "too many claims",
        "post",
        "/sources",
        {"json": {"text": " ".join(f"Claim number {i} was made on Friday." for i in range(600))}},
        {413},
    ),
    ("match text too long", "post", "/claims/match", {"json": {"text": "word " * 2_000}}, {413}),
    ("match text empty", "post", "/claims/match", {"json": {"text": ""}}, {422}),
    ("from-url NUL", "post", "/sources/from-url", {"json": {"url": "http://a.example/\x00"}}, {422}),
    ("from-url broken IPv6", "post", "/sources/from-url", {"json": {"url": "http://[::1/"}}, {422}),
    ("from-url file scheme", "post", "/sources/from-url", {"json": {"url": "file:///etc/passwd"}}, {422}),
    (
        "from-url metadata address",
        "post",
        "/sources/from-url",
        {"json": {"url": "http://169.254.169.254/latest/"}},
        {422},
    ),
    (
        "from-url 10 MB url",
        "post",
        "/sources/from-url",
        raw(b'{"url": "http://a.example/' + b"a" * 10_000_000 + b'"}'),
        {413},
    ),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # Smaller limits than the defaults, so the limit cases stay fast; they are named in the messages.
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("hostile"),
        max_text_bytes=200_000,
        max_claims_per_source=500,
        max_query_chars=5_000,
        multilingual=False,  # the extra multilingual encoder is slow to load and not under test here
    )
    app = create_app(encoder=HashingEncoder())
    app.dependency_overrides[get_settings] = lambda: settings
    with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as test_client:
        assert test_client.post("/sources", json={"text": ARTICLE + " It cost 410 million euros."}).status_code == 201
        yield test_client


def snapshot(client: TestClient) -> str:
    """Every stored row of every table, as `crosscheck export` writes them, plus the index size."""
    rows = "\n".join(export_rows(client.app.state.engine, {}))  # type: ignore[attr-defined]
    return f"{rows}\nindex={len(client.app.state.index)}"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "method", "path", "kwargs", "accepted"), CASES, ids=[c[0] for c in CASES])
def test_hostile_input(client: TestClient, name: str, method: str, path: str, kwargs: dict, accepted: set[int]) -> None:
    before = snapshot(client)
    started = time.monotonic()
    response = client.request(method.upper(), path, **kwargs)
    elapsed = time.monotonic() - started
    assert response.status_code in accepted, f"{name}: {response.status_code} {response.text[:300]}"
    assert response.status_code < 500
    assert elapsed < TIME_LIMIT_S, f"{name} took {elapsed:.1f} s"
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    if response.status_code >= 400:
        assert set(body) == {"detail"} and body["detail"], body
        assert snapshot(client) == before, f"{name}: a refused request changed the store"
    if response.status_code == 413:
        assert "CROSSCHECK_" in body["detail"], "a 413 names the setting that raises the limit"
    if response.status_code == 201:
        detail = client.get(f"/sources/{body['id']}").json()
        assert detail["claims"]
        for claim in detail["claims"]:
            assert detail["text"][claim["start"] : claim["end"]] == claim["text"]
        health = client.get("/health").json()
        assert health["claims"] == health["index_size"]


def test_every_limit_message_names_its_setting(client: TestClient) -> None:
    limits = {
        "CROSSCHECK_MAX_TEXT_BYTES": client.post("/sources", json={"text": "word " * 60_000}),
        "CROSSCHECK_MAX_CLAIMS_PER_SOURCE": client.post(
            "/sources", json={"text": " ".join(f"Claim {i} was made on a Friday." for i in range(501))}
        ),
        "CROSSCHECK_MAX_QUERY_CHARS": client.post("/claims/match", json={"text": "w" * 5_001}),
    }
    for setting, response in limits.items():
        assert response.status_code == 413, (setting, response.text)
        assert setting in response.json()["detail"]
    fixed = client.post("/claims/match", json={"text": "bridge", "k": 101})
    assert fixed.status_code == 422 and "less than or equal to 100" in fixed.text


def test_cases_cover_the_issue_list() -> None:
    names = " ".join(c[0] for c in CASES)
    for topic in ("utf-8", "NUL", "control", "zero-width", "right-to-left", "10 MB", "nested", "huge", "negative"):
        assert topic in names, topic
    for topic in ("text is a number", "unknown field", "HTML", "empty article", "no sentences", "100k"):
        assert topic in names, topic
