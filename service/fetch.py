"""Fetching a web page for `POST /sources/from-url` without becoming a proxy into the newsroom's network.

Every hop (the URL, then each redirect) goes through the same steps before any byte is sent:

1. the URL must be http(s), at most `MAX_URL_CHARS` long, with a host and without credentials;
2. the host is resolved once, and *every* address it resolves to must be public unicast: loopback, private,
   link-local (169.254.0.0/16, where cloud metadata services live), multicast, reserved, unspecified,
   carrier-grade NAT, and their IPv6 counterparts (::1, fe80::/10, fc00::/7, ff00::/8, site-local,
   IPv4-mapped/-compatible, NAT64 and 6to4 addresses that embed a refused IPv4 address, Teredo) are refused
   unless a network in `CROSSCHECK_FETCH_ALLOW_NETWORKS` contains them;
3. the connection is made to the checked address itself (the URL's host is replaced by the IP, with the
   `Host` header and TLS SNI/certificate check still using the name), so a DNS answer that changes between
   the check and the connection (DNS rebinding) cannot redirect it.

Then: a 2xx answer of an HTML or plain-text type, read as a stream and cut off past `fetch_max_bytes`
(counted after decompression), all hops within `fetch_timeout_seconds`, at most `fetch_max_redirects`
redirects. Proxies and credentials from the environment (`HTTP_PROXY`, `.netrc`) are never used.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import httpx

from service.config import Settings
from service.errors import CrossCheckError, PayloadTooLargeError, UnprocessableError
from service.schemas import MAX_URL_CHARS

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses it resolves to. Tests pass a fake one; the default asks the system resolver.
Resolver = Callable[[str, int], Sequence[str]]

ACCEPTED_TYPES: Final = ("text/html", "application/xhtml+xml", "text/plain")
USER_AGENT: Final = "crosscheck/0.1 (+claim cross-referencing; fetches one page per request)"
METADATA_MAX_CHARS: Final = 512
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})

_SHARED_NAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_METADATA = ipaddress.ip_address("169.254.169.254")
_LEGACY_IPV4 = re.compile(r"[0-9a-fA-FxX.]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class UrlRefusedError(UnprocessableError):
    """The URL (or a redirect) is not fetchable: wrong scheme, unresolvable, or a non-public address."""


class FetchTooLargeError(PayloadTooLargeError):
    """The page is larger than `fetch_max_bytes`."""


class UpstreamError(CrossCheckError):
    """The remote site failed: connection error, TLS error, or a non-2xx answer."""

    status_code = 502


class UpstreamTimeoutError(CrossCheckError):
    """The fetch did not finish within `fetch_timeout_seconds`."""

    status_code = 504


def classify(address: IPAddress) -> str | None:
    """Why an address may not be fetched from ("loopback", "private", ...), or None for public unicast."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded: ipaddress.IPv4Address | None = None
        via = ""
        if address.ipv4_mapped is not None:
            embedded, via = address.ipv4_mapped, "IPv4-mapped"
        elif address in _NAT64_LOCAL:
            return "NAT64 local-use"
        elif address in _NAT64_WELL_KNOWN:
            embedded, via = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), "NAT64"
        elif address.sixtofour is not None:
            embedded, via = address.sixtofour, "6to4"
        elif address.teredo is not None:
            return "Teredo tunnel"
        elif address in _IPV4_COMPATIBLE and int(address) > 1:
            embedded, via = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), "IPv4-compatible"
        if embedded is not None:
            reason = classify(embedded)
            return f"{via} {reason}" if reason else None
        if address.is_site_local:
            return "site-local"
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local (cloud metadata service)" if address == _METADATA else "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED_NAT:
        return "carrier-grade NAT"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "unique local" if address.version == 6 and address in _UNIQUE_LOCAL else "private"
    if not address.is_global:
        return "not globally routable"
    return None


def system_resolver(timeout: float) -> Resolver:
    """`getaddrinfo` with a time limit (the call itself has none; the lookup thread is left to finish)."""

    def resolve(host: str, port: int) -> Sequence[str]:
        result: list[str] = []
        failure: list[BaseException] = []

        def lookup() -> None:
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                result.extend(dict.fromkeys(str(info[4][0]) for info in infos))
            except OSError as exc:
                failure.append(exc)

        thread = threading.Thread(target=lookup, name="crosscheck-resolve", daemon=True)
        thread.start()
        thread.join(timeout)
        if thread.is_alive():
            raise UpstreamTimeoutError(f"resolving {host} took longer than {timeout:g} s")
        if failure:
            # The host may be fine and the name service down: a failure upstream (502), not a bad request.
            raise UpstreamError(f"cannot resolve host {host}: {failure[0]}")
        return result

    return resolve


def _address_literal(host: str) -> IPAddress | None:
    """The address a host names by itself, including legacy IPv4 forms ("127.1", "0x7f.1", "2130706433")
    that the system resolver would turn into an address without asking DNS."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


@dataclass(frozen=True, slots=True)
class FetchedPage:
    url: str  # after redirects
    content_type: str
    body: bytes
    charset: str | None


@dataclass(frozen=True, slots=True)
class Article:
    """What `trafilatura` found on a page; `text` has one paragraph per blank-line-separated block."""

    url: str
    text: str
    title: str | None
    author: str | None
    site_name: str | None
    published_at: dt.date | None


class Fetcher:
    """Fetches one page per call under the policy in the module docstring.

    Args:
        settings: Limits and the allowlist (`fetch_*` settings).
        resolver: Host name resolution; default the system resolver.
        transport: httpx transport; default a real one without connection reuse. Tests pass a mock.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        resolver: Resolver | None = None,
        transport: httpx.BaseTransport | None = None,
        allow_networks: Sequence[str] | None = None,
        allow_setting: str = "CROSSCHECK_FETCH_ALLOW_NETWORKS",
    ) -> None:
        self.settings = settings
        networks = settings.fetch_allow_networks if allow_networks is None else allow_networks
        self.allowed = [ipaddress.ip_network(n, strict=False) for n in networks]
        self.allow_setting = allow_setting
        self.resolver = resolver or system_resolver(settings.fetch_timeout_seconds)
        # No keep-alive: a pooled connection is keyed by IP, and must never carry another host's request.
        self.transport = transport or httpx.HTTPTransport(retries=0, limits=httpx.Limits(max_keepalive_connections=0))

    def check_address(self, address: IPAddress) -> None:
        """Raises UrlRefusedError unless the address is public or allowlisted."""
        candidates = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        if any(a in net for a in candidates for net in self.allowed if a.version == net.version):
            return
        reason = classify(address)
        if reason is not None:
            raise UrlRefusedError(
                f"refusing to connect to {address}: a {reason} address, not a public one "
                f"(add its network to {self.allow_setting} to allow it)"
            )

    def check_url(self, raw: str) -> httpx.URL:
        """Parses and checks a URL's form (not yet its addresses)."""
        if len(raw) > MAX_URL_CHARS:
            raise UrlRefusedError(f"URL is {len(raw):,} characters; the limit is {MAX_URL_CHARS:,}")
        try:
            url = httpx.URL(raw.strip())
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise UrlRefusedError(f"not a valid URL: {exc}") from exc
        if url.scheme not in ("http", "https"):
            raise UrlRefusedError(f"only http and https URLs can be fetched, not {url.scheme or 'a relative URL'!r}")
        if not url.host:
            raise UrlRefusedError("the URL has no host")
        if url.userinfo:
            raise UrlRefusedError("URLs with a user name or password are not fetched")
        return url.copy_with(fragment=None)

    def resolve(self, url: httpx.URL) -> IPAddress:
        """Every address of the URL's host, checked; returns the one to connect to."""
        host = url.raw_host.decode("ascii")
        port = url.port or (443 if url.scheme == "https" else 80)
        literal = _address_literal(url.host)
        if literal is not None:
            addresses = [literal]
        else:
            addresses = []
            for value in self.resolver(host, port):
                try:
                    addresses.append(ipaddress.ip_address(value.split("%", 1)[0]))
                except ValueError as exc:
                    raise UrlRefusedError(f"host {host} resolved to something that is not an address") from exc
        if not addresses:
            raise UrlRefusedError(f"host {host} has no address")
        # All of them: a name with one public and one private address could be connected to either.
        for address in addresses:
            self.check_address(address)
        return addresses[0]

    def fetch(self, raw_url: str) -> FetchedPage:
        """Fetches a page, following at most `fetch_max_redirects` redirects, each checked like the first URL."""
        settings = self.settings
        deadline = time.monotonic() + settings.fetch_timeout_seconds
        url = self.check_url(raw_url)
        with httpx.Client(transport=self.transport, follow_redirects=False, trust_env=False) as client:
            for hop in range(settings.fetch_max_redirects + 1):
                address = self.resolve(url)
                response = self._send(client, url, address, deadline)
                try:
                    if response.status_code in _REDIRECTS and "location" in response.headers:
                        if hop == settings.fetch_max_redirects:
                            raise UrlRefusedError(
                                f"more than {settings.fetch_max_redirects} redirects "
                                "(set CROSSCHECK_FETCH_MAX_REDIRECTS to change it)"
                            )
                        try:
                            url = self.check_url(str(url.join(response.headers["location"])))
                        except (httpx.InvalidURL, ValueError) as exc:
                            raise UrlRefusedError(f"redirect to an invalid URL: {exc}") from exc
                        continue
                    return self._read(response, url, deadline)
                finally:
                    response.close()
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _send(self, client: httpx.Client, url: httpx.URL, address: IPAddress, deadline: float) -> httpx.Response:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise UpstreamTimeoutError(self._timeout_message())
        headers = {
            "Host": url.netloc.decode("ascii"),
            "User-Agent": USER_AGENT,
            "Accept": "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.5",
            "Accept-Encoding": "gzip, deflate",
        }
        extensions = {"sni_hostname": url.raw_host.decode("ascii")} if url.scheme == "https" else {}
        # Pinned: connect to the address that was checked, never to a second DNS answer.
        request = client.build_request(
            "GET", url.copy_with(host=str(address)), headers=headers, extensions=extensions, timeout=remaining
        )
        try:
            return client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise UpstreamTimeoutError(self._timeout_message()) from exc
        except httpx.HTTPError as exc:
            raise UpstreamError(f"could not fetch {url}: {type(exc).__name__}: {exc}") from exc

    def post(self, raw_url: str, body: bytes, headers: Mapping[str, str], *, timeout: float) -> int:
        """POSTs a body to a checked URL, pinned to the checked address; never follows a redirect.

        Returns:
            The answer's status code.

        Raises:
            UrlRefusedError: The URL or its address may not be reached.
            UpstreamError / UpstreamTimeoutError: The receiver could not be reached in time.
        """
        url = self.check_url(raw_url)
        address = self.resolve(url)
        extensions = {"sni_hostname": url.raw_host.decode("ascii")} if url.scheme == "https" else {}
        sent = {"Host": url.netloc.decode("ascii"), "User-Agent": USER_AGENT, "Content-Type": "application/json"}
        # Not `with httpx.Client(...)`: closing the client closes its transport, which the alert deliverers of
        # this process share across threads; without keep-alive each connection closes with its answer anyway.
        client = httpx.Client(transport=self.transport, follow_redirects=False, trust_env=False)
        request = client.build_request(
            "POST",
            url.copy_with(host=str(address)),
            headers={**sent, **headers},
            content=body,
            extensions=extensions,
            timeout=timeout,
        )
        try:
            response = client.send(request)
        except httpx.TimeoutException as exc:
            raise UpstreamTimeoutError(f"{url} did not answer within {timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise UpstreamError(f"could not reach {url}: {type(exc).__name__}: {exc}") from exc
        response.close()
        return response.status_code

    def _timeout_message(self) -> str:
        return (
            f"fetching the page took longer than {self.settings.fetch_timeout_seconds:g} s "
            "(set CROSSCHECK_FETCH_TIMEOUT_SECONDS to change it)"
        )

    def _read(self, response: httpx.Response, url: httpx.URL, deadline: float) -> FetchedPage:
        limit = self.settings.fetch_max_bytes
        too_large = FetchTooLargeError(
            f"the page is over the limit of {limit:,} bytes (set CROSSCHECK_FETCH_MAX_BYTES to change it)"
        )
        if not 200 <= response.status_code < 300:
            raise UpstreamError(f"{url} answered HTTP {response.status_code}")
        content_type = response.headers.get("content-type", "")
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type not in ACCEPTED_TYPES:
            raise UnprocessableError(
                f"{url} is not a web page: its content type is {media_type or 'missing'} "
                f"(accepted: {', '.join(ACCEPTED_TYPES)})"
            )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        try:
            # iter_bytes decompresses: the limit applies to what is held in memory, so a gzip bomb stops early.
            # No chunk size: each network read is handed over at once, so a server that drips a byte at a time
            # meets the deadline check after every read instead of after 64 KB.
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise too_large
                if time.monotonic() > deadline:
                    raise UpstreamTimeoutError(self._timeout_message())
                chunks.append(chunk)
        except httpx.TimeoutException as exc:
            raise UpstreamTimeoutError(self._timeout_message()) from exc
        except httpx.HTTPError as exc:
            raise UpstreamError(f"could not read {url}: {type(exc).__name__}: {exc}") from exc
        return FetchedPage(
            url=str(url), content_type=media_type, body=b"".join(chunks), charset=response.charset_encoding
        )


def _clean(value: str | None, max_chars: int | None = METADATA_MAX_CHARS) -> str | None:
    """Drops control characters (the API refuses them) and trims metadata to what the schema accepts."""
    if value is None:
        return None
    cleaned = _CONTROL.sub(" ", value).strip()
    if max_chars is not None:
        cleaned = cleaned[:max_chars].strip()
    return cleaned or None


def _decode(page: FetchedPage) -> str:
    try:
        return page.body.decode(page.charset or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name in the header
        return page.body.decode("utf-8", errors="replace")


def extract_article(page: FetchedPage) -> Article:
    """Main text and metadata of a fetched page (trafilatura for HTML; plain text as it is)."""
    if page.content_type == "text/plain":
        text = _clean(_decode(page), max_chars=None) or ""
        return Article(url=page.url, text=text, title=None, author=None, site_name=None, published_at=None)

    import trafilatura  # imported here: it is only needed by this route, and loads lxml and friends

    # Bytes when the header names no charset, so trafilatura can read the page's own <meta charset>.
    document = trafilatura.bare_extraction(
        _decode(page) if page.charset else page.body,
        url=page.url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        favor_precision=True,
    )
    if document is None:
        raise UnprocessableError(f"no article text found at {page.url}")
    raw_text = getattr(document, "text", None) or ""
    # trafilatura puts one paragraph per line; the claim extractor wants blank lines between paragraphs.
    paragraphs = [line.strip() for line in _CONTROL.sub(" ", raw_text).splitlines() if line.strip()]
    published: dt.date | None = None
    raw_date = getattr(document, "date", None)
    if raw_date:
        try:
            published = dt.date.fromisoformat(str(raw_date)[:10])
        except ValueError:
            published = None
    return Article(
        url=page.url,
        text="\n\n".join(paragraphs),
        title=_clean(getattr(document, "title", None)),
        author=_clean(getattr(document, "author", None)),
        site_name=_clean(getattr(document, "sitename", None)),
        published_at=published,
    )


def json_ld(page: FetchedPage) -> list[object]:
    """Every JSON-LD document a page embeds (``<script type="application/ld+json">``, read with lxml's HTML parser,
    not regexes); a script that is not valid JSON is skipped."""
    if page.content_type == "text/plain" or not page.body:
        return []
    import lxml.html  # with trafilatura: only this route needs it

    try:
        root = lxml.html.document_fromstring(_decode(page) if page.charset else page.body)
    except (ValueError, lxml.etree.ParserError):
        return []
    found: list[object] = []
    for script in root.iter("script"):
        if (script.get("type") or "").split(";")[0].strip().lower() != "application/ld+json":
            continue
        try:
            found.append(json.loads(script.text_content()))
        except ValueError:
            continue
    return found
