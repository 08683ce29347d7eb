"""POST /sources/from-url: the SSRF policy, pinning, redirects, limits, extraction.

No test here connects anywhere but 127.0.0.1 (the `loopback_only` fixture fails any test that tries):
refusals are tested with a fake resolver and an httpx MockTransport that fails the test if a request for a
refused address even reaches it; the one end-to-end test fetches from a local server on 127.0.0.1, which
that test allowlists. Addresses of the documentation range 198.51.100.0/24 stand in for "a public site" in
MockTransport tests: MockTransport never opens a socket.
"""

from __future__ import annotations

import gzip
import http.server
import ipaddress
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from service.api.deps import get_fetcher
from service.config import Settings
from service.fetch import Fetcher, FetchTooLargeError, UpstreamError, UpstreamTimeoutError, UrlRefusedError, classify
from tests.helpers import HashingEncoder
from tests.netguard import loopback_only

pytestmark = pytest.mark.usefixtures("loopback_only")
__all__ = ["loopback_only"]

SITE = "198.51.100.7"  # stands for a public site; allowlisted in these tests, never connected to
SITE_NET = "198.51.100.0/24"
PAGE = (Path(__file__).parent / "pages" / "bridge_article.html").read_bytes()
# The app's extra multilingual encoder takes seconds to load and is not what these tests are about.
FAST = {"multilingual": False}

# One address per refused class, IPv4 and IPv6 (the classes the issue names and their IPv6 counterparts).
REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.255.0.9", "loopback"),
    ("::1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.5.4", "private"),
    ("192.168.0.10", "private"),
    ("169.254.169.254", "link-local (cloud metadata service)"),
    ("169.254.10.20", "link-local"),
    ("fe80::1", "link-local"),
    ("224.0.0.251", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("100.64.1.1", "carrier-grade NAT"),
    ("fc00::1", "unique local"),
    ("fd00:ec2::254", "unique local"),
    ("fec0::1", "site-local"),
    ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
    ("::ffff:169.254.169.254", "IPv4-mapped link-local (cloud metadata service)"),
    ("::ffff:10.0.0.1", "IPv4-mapped private"),
    ("64:ff9b::a9fe:a9fe", "NAT64 link-local (cloud metadata service)"),
    ("64:ff9b::7f00:1", "NAT64 loopback"),
    ("64:ff9b:1::1", "NAT64 local-use"),
    ("2002:7f00:1::", "6to4 loopback"),
    ("2002:c0a8:1::", "6to4 private"),
    ("::127.0.0.1", "IPv4-compatible loopback"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo tunnel"),
    ("2001:db8::1", "private"),
    ("192.0.2.1", "private"),
]


def fail_transport(request: httpx.Request) -> httpx.Response:
    pytest.fail(f"a request reached the transport although it should have been refused: {request.url}")


def fake_resolver(table: dict[str, Sequence[str]], calls: list[str] | None = None) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in table:
            raise UpstreamError(f"cannot resolve host {host}")
        return list(table[host])

    return resolve


def make_fetcher(
    resolver: Callable[[str, int], Sequence[str]],
    handler: Callable[[httpx.Request], httpx.Response] = fail_transport,
    *,
    allow: Sequence[str] = (SITE_NET,),
    **settings: object,
) -> Fetcher:
    config = Settings(fetch_allow_networks=list(allow), **settings)  # type: ignore[arg-type]
    return Fetcher(config, resolver=resolver, transport=httpx.MockTransport(handler))


def html(body: bytes = PAGE, **headers: str) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/html; charset=utf-8", **headers}, content=body)


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_every_refused_address_class_is_named(address: str, reason: str) -> None:
    assert classify(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"])
def test_public_addresses_pass(address: str) -> None:
    assert classify(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_refused_before_any_connection(address: str, reason: str) -> None:
    """A host resolving to a refused address never reaches the transport; the message says why."""
    fetcher = make_fetcher(fake_resolver({"news.example": [address]}), allow=())
    with pytest.raises(UrlRefusedError) as refused:
        fetcher.fetch("http://news.example/article")
    assert reason in str(refused.value) and "CROSSCHECK_FETCH_ALLOW_NETWORKS" in str(refused.value)
    # An address literal in the URL is checked the same way, without any resolver.
    literal = f"[{address}]" if ":" in address else address
    fetcher = make_fetcher(fake_resolver({}), allow=())
    with pytest.raises(UrlRefusedError):
        fetcher.fetch(f"https://{literal}:8443/x")


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "127.1", "0177.0.0.1", "017700000001"])
def test_legacy_ipv4_forms_are_addresses_not_names(host: str) -> None:
    calls: list[str] = []
    fetcher = make_fetcher(fake_resolver({}, calls), allow=())
    with pytest.raises(UrlRefusedError, match=r"loopback|not a valid URL"):  # httpx itself rejects some forms
        fetcher.fetch(f"http://{host}/")
    assert calls == []


def test_a_single_refused_address_among_public_ones_refuses_the_host() -> None:
    fetcher = make_fetcher(fake_resolver({"news.example": [SITE, "10.0.0.8"]}))
    with pytest.raises(UrlRefusedError, match=r"10\.0\.0\.8"):
        fetcher.fetch("http://news.example/a")


def test_allowlist_admits_exactly_its_networks() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return html()

    fetcher = make_fetcher(fake_resolver({"intranet.example": ["10.20.30.40"]}), handler, allow=["10.20.30.0/24"])
    # Allowlisted by CIDR: the request goes out, to the checked address.
    # (MockTransport: nothing is connected; the URL shows where a real transport would connect.)
    page = fetcher.fetch("http://intranet.example/a")
    assert seen == ["http://10.20.30.40/a"] and page.url == "http://intranet.example/a"
    other = make_fetcher(fake_resolver({"intranet.example": ["10.20.31.1"]}), allow=["10.20.30.0/24"])
    with pytest.raises(UrlRefusedError):
        other.fetch("http://intranet.example/a")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://news.example/a",
        "gopher://news.example/",
        "http://user:secret@news.example/a",
        "http:///no-host",
        "/relative/path",
        "javascript:alert(1)",
        "http://news.example/" + "a" * 2100,
    ],
)
def test_urls_of_the_wrong_form_are_refused_without_resolving(url: str) -> None:
    calls: list[str] = []
    fetcher = make_fetcher(fake_resolver({"news.example": [SITE]}, calls))
    with pytest.raises(UrlRefusedError):
        fetcher.fetch(url)
    assert calls == []


def test_connection_is_pinned_to_the_checked_address() -> None:
    """DNS rebinding: the name is resolved once per hop and the connection goes to that address."""
    answers = iter([[SITE], ["127.0.0.1"], ["169.254.169.254"]])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return html()

    fetcher = make_fetcher(rebinding, handler)
    fetcher.fetch("https://news.example/story?id=7")
    assert calls == ["news.example"]
    [request] = requests
    assert request.url.host == SITE and request.url.path == "/story" and request.url.query == b"id=7"
    assert request.headers["host"] == "news.example"
    # TLS still checks the certificate against the name, not the address.
    assert request.extensions["sni_hostname"] == "news.example"


def test_redirects_are_each_revalidated() -> None:
    calls: list[str] = []
    requests: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(f"{request.headers['host']}{request.url.path}")
        if request.url.path == "/short":
            return httpx.Response(302, headers={"location": "https://www.news.example/long"})
        if request.url.path == "/long":
            return httpx.Response(301, headers={"location": "http://metadata.internal/latest/meta-data/"})
        pytest.fail(f"unexpected request {request.url}")

    resolver = fake_resolver(
        {"news.example": [SITE], "www.news.example": ["198.51.100.8"], "metadata.internal": ["169.254.169.254"]}, calls
    )
    fetcher = make_fetcher(resolver, handler)
    with pytest.raises(UrlRefusedError, match="cloud metadata"):
        fetcher.fetch("http://news.example/short")
    assert calls == ["news.example", "www.news.example", "metadata.internal"]
    assert requests == ["news.example/short", "www.news.example/long"]
    # A redirect to an address literal is refused the same way.
    direct = make_fetcher(
        fake_resolver({"news.example": [SITE]}),
        lambda r: httpx.Response(307, headers={"location": "http://[::ffff:10.0.0.1]/"}),
    )
    with pytest.raises(UrlRefusedError, match="IPv4-mapped private"):
        direct.fetch("http://news.example/")


def test_redirect_limit() -> None:
    requests: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request.url.path)
        return httpx.Response(302, headers={"location": f"/hop{len(requests)}"})

    fetcher = make_fetcher(fake_resolver({"news.example": [SITE]}), handler, fetch_max_redirects=3)
    with pytest.raises(UrlRefusedError, match=r"more than 3 redirects.*CROSSCHECK_FETCH_MAX_REDIRECTS"):
        fetcher.fetch("http://news.example/start")
    assert requests == ["/start", "/hop1", "/hop2", "/hop3"]


def test_size_limit_declared_streamed_and_compressed() -> None:
    resolver = fake_resolver({"news.example": [SITE]})
    big = b"<p>" + b"x" * 20_000 + b"</p>"
    cases = [
        lambda r: html(big),  # Content-Length over the limit
        lambda r: httpx.Response(200, headers={"content-type": "text/html"}, content=iter([big[:8000]] * 3)),
        # 10 MB of zeros gzip-compressed to ~10 KB: the limit counts decompressed bytes.
        lambda r: html(gzip.compress(b"0" * 10_000_000), **{"content-encoding": "gzip"}),
    ]
    for handler in cases:
        fetcher = make_fetcher(resolver, handler, fetch_max_bytes=10_000)
        with pytest.raises(FetchTooLargeError, match=r"10,000 bytes.*CROSSCHECK_FETCH_MAX_BYTES"):
            fetcher.fetch("http://news.example/a")


@pytest.mark.parametrize(
    ("response", "error", "message"),
    [
        (httpx.Response(200, headers={"content-type": "application/pdf"}, content=b"%PDF"), "422", "not a web page"),
        (httpx.Response(200, content=b"<p>no type</p>"), "422", "missing"),
        (httpx.Response(404, headers={"content-type": "text/html"}, content=b"gone"), "502", "answered HTTP 404"),
        (httpx.Response(500, headers={"content-type": "text/html"}, content=b"oops"), "502", "answered HTTP 500"),
    ],
)
def test_upstream_answers(response: httpx.Response, error: str, message: str) -> None:
    fetcher = make_fetcher(fake_resolver({"news.example": [SITE]}), lambda r: response)
    with pytest.raises(Exception, match=message) as raised:
        fetcher.fetch("http://news.example/a")
    assert str(getattr(raised.value, "status_code", None)) == error


def test_upstream_timeout_and_connection_errors() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    resolver = fake_resolver({"news.example": [SITE]})
    with pytest.raises(UpstreamTimeoutError, match="CROSSCHECK_FETCH_TIMEOUT_SECONDS"):
        make_fetcher(resolver, slow).fetch("http://news.example/a")
    with pytest.raises(UpstreamError, match="ConnectError"):
        make_fetcher(resolver, refused).fetch("http://news.example/a")


def test_system_resolver_result_for_localhost_is_refused() -> None:
    """The real resolver (localhost only, answered from /etc/hosts) feeds the same check."""
    fetcher = Fetcher(Settings(), transport=httpx.MockTransport(fail_transport))
    with pytest.raises(UrlRefusedError, match="loopback"):
        fetcher.fetch("http://localhost:9/")


# ----------------------------------------------------------------------------------------- through the API


def api_fetcher(client, fetcher: Fetcher) -> None:
    client.app.dependency_overrides[get_fetcher] = lambda: fetcher


def test_api_refusal_is_422_and_stores_nothing(make_client) -> None:
    with make_client(HashingEncoder(), **FAST) as client:
        api_fetcher(client, make_fetcher(fake_resolver({"metadata.example": ["169.254.169.254"]}), allow=()))
        response = client.post("/sources/from-url", json={"url": "http://metadata.example/latest/meta-data/"})
        assert response.status_code == 422, response.text
        assert "cloud metadata" in response.json()["detail"]
        assert client.get("/sources").json()["count"] == 0


@pytest.mark.parametrize(
    ("resolver", "handler", "status", "words"),
    [
        (fake_resolver({}), fail_transport, 502, "cannot resolve host"),
        (fake_resolver({"news.example": [SITE]}), "refused", 502, "ConnectError"),
        (fake_resolver({"news.example": [SITE]}), "timeout", 504, "CROSSCHECK_FETCH_TIMEOUT_SECONDS"),
    ],
)
def test_api_upstream_failures_are_502_and_504_and_store_nothing(make_client, resolver, handler, status, words) -> None:
    def failing(request: httpx.Request) -> httpx.Response:
        if handler == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        raise httpx.ConnectTimeout("no answer", request=request)

    with make_client(HashingEncoder(), **FAST) as client:
        api_fetcher(client, make_fetcher(resolver, failing if isinstance(handler, str) else handler))
        response = client.post("/sources/from-url", json={"url": "http://news.example/a"})
        assert response.status_code == status, response.text
        assert words in response.json()["detail"]
        assert client.get("/sources").json()["count"] == 0


def test_api_ingests_a_mocked_page_with_its_metadata(make_client) -> None:
    with make_client(HashingEncoder(), **FAST) as client:
        api_fetcher(client, make_fetcher(fake_resolver({"city.example": [SITE]}), lambda r: html()))
        response = client.post("/sources/from-url", json={"url": "https://city.example/bridge#top"})
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["title"] == "Harbour bridge opens after four years"
        assert body["author"] == "Jane Doe" and body["outlet"] == "City Desk"
        assert body["published_at"] == "2025-04-25" and body["url"] == "https://city.example/bridge"
        texts = [c["text"] for c in body["claims"]]
        assert any("410 million euros" in t for t in texts)
        assert not any("alert" in t or "tracking" in t or "Copyright" in t for t in texts)
        # The same URL again: answered from the store, nothing fetched (the fetcher would fail the test).
        api_fetcher(client, make_fetcher(fake_resolver({})))
        again = client.post("/sources/from-url", json={"url": "https://city.example/bridge"})
        assert again.status_code == 200 and again.json()["id"] == body["id"]


def test_api_body_validation(make_client) -> None:
    bodies = [{"url": ""}, {"url": "x" * 3000}, {"url": 42}, {"url": "http://a.example", "unknown": 1}, {}]
    with make_client(HashingEncoder(), **FAST) as client:
        api_fetcher(client, make_fetcher(fake_resolver({})))
        for body in bodies:
            response = client.post("/sources/from-url", json=body)
            assert response.status_code == 422, (body, response.text)


# ------------------------------------------------------------------------------ a real local web server


class _Pages(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/article")
            self.end_headers()
        elif self.path == "/to-private":
            self.send_response(302)
            self.send_header("Location", "http://10.0.0.1/admin")
            self.end_headers()
        elif self.path == "/article":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_site() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    handler = type("Pages", (_Pages,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def test_end_to_end_from_a_local_server(make_client, local_site, tmp_path: Path) -> None:
    base, hits = local_site
    with make_client(HashingEncoder(), fetch_allow_networks=["127.0.0.1/32"], **FAST) as client:
        response = client.post("/sources/from-url", json={"url": f"{base}/moved", "outlet": "Desk"})
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["url"] == f"{base}/article" and body["outlet"] == "Desk"
        assert body["claims"] and hits == ["/moved", "/article"]
        # A redirect from the allowlisted server into a private range is refused before connecting.
        response = client.post("/sources/from-url", json={"url": f"{base}/to-private"})
        assert response.status_code == 422 and "10.0.0.1" in response.json()["detail"]
        assert client.get("/sources").json()["count"] == 1
    # Without the allowlist, loopback is refused and the server sees no request at all.
    hits.clear()
    with make_client(HashingEncoder(), data_dir=tmp_path / "fresh", **FAST) as client:
        response = client.post("/sources/from-url", json={"url": f"{base}/article"})
        assert response.status_code == 422 and "loopback" in response.json()["detail"]
    assert hits == []


def test_a_dripping_server_meets_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """A body sent a few bytes at a time, each within the read timeout, still stops at the total budget."""
    clock = [0.0]
    monkeypatch.setattr("service.fetch.time.monotonic", lambda: clock[0])

    def drip() -> Iterator[bytes]:
        for _ in range(1_000):
            clock[0] += 1.0  # one second per read
            yield b"<p>a</p>"

    fetcher = make_fetcher(
        fake_resolver({"news.example": [SITE]}),
        lambda r: httpx.Response(200, headers={"content-type": "text/html"}, content=drip()),
        fetch_timeout_seconds=10,
    )
    with pytest.raises(UpstreamTimeoutError, match="10 s"):
        fetcher.fetch("http://news.example/a")
    assert clock[0] <= 12
