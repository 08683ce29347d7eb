"""API keys: hashing, 401 vs 403, reads open or keyed, the loopback-only rule without keys."""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

import pytest
from pydantic import ValidationError

from service import cli
from service.config import Settings, get_settings
from service.security import LoopbackGuard, authenticate, bind_refusal, create_key, is_loopback_host, parse_keys
from tests.helpers import HashingEncoder

FAST = {"multilingual": False}  # the extra multilingual encoder is slow to load and not under test here
ARTICLE = "The harbour bridge opened to traffic on Friday after four years of construction work."

WRITE_TOKEN, WRITE_KEY = create_key("write")
READ_TOKEN, READ_KEY = create_key("read")
KEYS = [WRITE_KEY.entry(), READ_KEY.entry()]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_keys_hash_round_trip_and_hold_no_secret() -> None:
    keys = parse_keys(tuple(KEYS))
    assert authenticate(WRITE_TOKEN, keys) == WRITE_KEY
    assert authenticate(READ_TOKEN, keys) == READ_KEY
    assert authenticate(WRITE_TOKEN[:-1] + ("A" if WRITE_TOKEN[-1] != "A" else "B"), keys) is None
    assert authenticate("", keys) is None
    secret = WRITE_TOKEN.split("_", 2)[2]
    assert secret not in WRITE_KEY.entry() and len(secret) >= 40
    # Same secret, another salt: another hash.
    other_token, other = create_key("write")
    assert other.salt != WRITE_KEY.salt and other_token != WRITE_TOKEN


def test_every_key_is_compared_whatever_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    """No early exit: the time taken does not depend on which key (if any) matched."""
    calls: list[int] = []
    real = hmac.compare_digest

    def counting(a: Any, b: Any) -> bool:
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    keys = parse_keys(tuple(KEYS))
    for token in (WRITE_TOKEN, READ_TOKEN, "cck_nope_nope"):
        calls.clear()
        authenticate(token, keys)
        assert len(calls) == len(keys)


def test_settings_read_comma_separated_keys_and_reject_bad_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSCHECK_API_KEYS", f" {KEYS[0]} , {KEYS[1]},")
    assert Settings().api_keys == KEYS
    monkeypatch.setenv("CROSSCHECK_API_KEYS", WRITE_TOKEN)  # the secret pasted by mistake
    with pytest.raises(ValidationError) as error:
        Settings()
    assert "CROSSCHECK_API_KEYS" in str(error.value) and "keys create" in str(error.value)
    assert WRITE_TOKEN not in str(error.value)  # never echoed into logs


def test_writes_need_a_write_key(make_client) -> None:
    with make_client(HashingEncoder(), api_keys=KEYS, **FAST) as client:
        missing = client.post("/sources", json={"text": ARTICLE})
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer" in missing.json()["detail"]
        wrong = client.post("/sources", json={"text": ARTICLE}, headers=bearer("cck_00000000_guess"))
        assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers["www-authenticate"]
        basic = client.post("/sources", json={"text": ARTICLE}, headers={"Authorization": "Basic dXNlcjpwdw=="})
        assert basic.status_code == 401
        read_only = client.post("/sources", json={"text": ARTICLE}, headers=bearer(READ_TOKEN))
        assert read_only.status_code == 403 and READ_KEY.key_id in read_only.json()["detail"]
        url = client.post("/sources/from-url", json={"url": "http://news.example/"}, headers=bearer(READ_TOKEN))
        assert url.status_code == 403
        assert client.get("/sources").json()["count"] == 0  # nothing stored by a refused request

        created = client.post("/sources", json={"text": ARTICLE}, headers=bearer(WRITE_TOKEN))
        assert created.status_code == 201
        source_id = created.json()["id"]
        # Reads are open by default, POST /claims/match included (a search, not a write).
        assert client.get(f"/sources/{source_id}").status_code == 200
        assert client.post("/claims/match", json={"text": "bridge opened"}).status_code == 200
        assert client.delete(f"/sources/{source_id}").status_code == 401
        assert client.delete(f"/sources/{source_id}", headers=bearer(READ_TOKEN)).status_code == 403
        assert client.get(f"/sources/{source_id}").status_code == 200
        assert client.delete(f"/sources/{source_id}", headers=bearer(WRITE_TOKEN)).status_code == 204


def test_reads_can_require_a_key(make_client) -> None:
    with make_client(HashingEncoder(), api_keys=KEYS, reads_require_key=True, **FAST) as client:
        assert client.get("/sources").status_code == 401
        assert client.post("/claims/match", json={"text": "bridge"}).status_code == 401
        assert client.get("/health", headers=bearer("cck_bad_bad")).status_code == 401
        assert client.get("/sources", headers=bearer(READ_TOKEN)).status_code == 200
        assert client.get("/sources", headers=bearer(WRITE_TOKEN)).status_code == 200
        assert client.post("/claims/match", json={"text": "bridge"}, headers=bearer(READ_TOKEN)).status_code == 200
        # The documentation stays reachable; the data behind it does not.
        assert client.get("/docs").status_code == 200
        assert client.get("/openapi.json").status_code == 200


def test_no_keys_means_open_api(make_client) -> None:
    with make_client(HashingEncoder(), **FAST) as client:
        assert client.post("/sources", json={"text": ARTICLE}).status_code == 201


def test_openapi_declares_the_bearer_scheme(make_client) -> None:
    with make_client(HashingEncoder(), **FAST) as client:
        spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["APIKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["APIKey"]["description"],
    }
    assert {"401", "403"} <= set(spec["paths"]["/sources"]["post"]["responses"])


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("example.org", False),
        ("198.51.100.7", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
    refusal = bind_refusal(host, Settings())
    assert (refusal is None) is loopback
    if refusal:
        assert "CROSSCHECK_API_KEYS" in refusal and "keys create" in refusal
    assert bind_refusal(host, Settings(api_keys=KEYS)) is None


def test_serve_refuses_a_public_bind_without_keys(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import uvicorn

    def no_run(*args: object, **kwargs: object) -> None:
        pytest.fail("uvicorn.run was called: the server bound an address")

    monkeypatch.setattr(uvicorn, "run", no_run)
    monkeypatch.delenv("CROSSCHECK_API_KEYS", raising=False)
    get_settings.cache_clear()
    try:
        assert cli.main(["serve", "--host", "0.0.0.0", "--port", "8999"]) == 2
    finally:
        get_settings.cache_clear()
    assert "CROSSCHECK_API_KEYS" in capsys.readouterr().err


def test_loopback_guard_refuses_requests_arriving_on_other_addresses() -> None:
    """For a server started without `crosscheck serve` (e.g. uvicorn --host 0.0.0.0) and no keys."""
    reached: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["server"][0])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def call(settings: Settings, server: tuple[str, int]) -> int:
        sent: list[dict[str, Any]] = []

        async def receive() -> Any:
            return {"type": "http.request", "body": b""}

        async def send(message: Any) -> None:
            sent.append(message)

        guard = LoopbackGuard(app, settings=lambda: settings)
        scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "server": server}
        asyncio.run(guard(scope, receive, send))
        return int(sent[0]["status"])

    # The ASGI `server` entry is the local address the connection arrived on; nothing is connected here.
    assert call(Settings(), ("198.51.100.7", 8000)) == 403
    assert call(Settings(), ("127.0.0.1", 8000)) == 200
    assert call(Settings(), ("testserver", 80)) == 200
    assert call(Settings(api_keys=KEYS), ("198.51.100.7", 8000)) == 200
    assert reached == ["127.0.0.1", "testserver", "198.51.100.7"]


@pytest.mark.parametrize(
    ("host", "allowed", "answered"),
    [
        ("localhost:8000", [], True),
        ("127.0.0.1:8000", [], True),
        ("[::1]:8000", [], True),
        ("LOCALHOST", [], True),
        ("evil.example:8000", [], False),  # a rebound name pointing at 127.0.0.1
        ("192.168.1.5:8000", [], False),
        ("crosscheck.newsroom.internal", ["crosscheck.newsroom.internal"], True),
        ("crosscheck.newsroom.internal:8000", ["Crosscheck.Newsroom.Internal"], True),
        ("other.newsroom.internal", ["crosscheck.newsroom.internal"], False),
    ],
)
def test_keyless_server_answers_only_loopback_host_names(
    make_client, host: str, allowed: list[str], answered: bool
) -> None:
    """DNS rebinding: without keys, a request addressed to any other name is refused with a clear 403."""
    with make_client(HashingEncoder(), allowed_hosts=allowed) as client:
        response = client.get("/health", headers={"host": host})
        written = client.post("/sources", json={"text": ARTICLE}, headers={"host": host})
        if answered:
            assert response.status_code == 200 and written.status_code == 201
        else:
            assert response.status_code == 403 and written.status_code == 403
            assert "CROSSCHECK_ALLOWED_HOSTS" in response.json()["detail"]
            assert client.get("/sources").json()["count"] == 0


def test_with_keys_any_host_name_is_served(make_client) -> None:
    with make_client(HashingEncoder(), api_keys=KEYS) as client:
        assert client.get("/health", headers={"host": "crosscheck.example.org"}).status_code == 200
