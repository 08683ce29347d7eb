"""API keys: how they are made, stored, checked, and which requests need one.

A key is a random secret the client sends as ``Authorization: Bearer cck_<id>_<secret>``. The server only
ever holds a salted hash of it, configured as ``CROSSCHECK_API_KEYS`` entries ``<id>:<scope>:<salt>:<hash>``
that ``crosscheck keys create`` prints (the secret itself is printed once and stored nowhere).

The hash is HMAC-SHA256 keyed with a per-key random salt, not a slow password hash: the secrets carry 256
random bits, so there is nothing to gain from key stretching, and every request can afford the check.

Policy, with at least one key configured:
- writes (any method but GET/HEAD/OPTIONS, unless the route is marked :func:`read_only`) need a ``write`` key;
- reads are open, or need a ``read`` or ``write`` key when ``CROSSCHECK_READS_REQUIRE_KEY`` is set;
- no usable credentials: 401 with ``WWW-Authenticate: Bearer``; a valid key without the scope: 403.

With no key configured the API is open, and it must then only be reachable from this machine:
``crosscheck serve`` refuses to bind anything but loopback, and :class:`LoopbackGuard` refuses requests that
arrive on any other local address (a server started some other way, e.g. ``uvicorn --host 0.0.0.0``).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Final, Literal, TypeVar

from fastapi import Depends, HTTPException, Request, status
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from service.config import Settings, get_settings

KeyScope = Literal["read", "write"]
TOKEN_PREFIX: Final = "cck_"
SETTING: Final = "CROSSCHECK_API_KEYS"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_ACCESS_ATTR: Final = "__crosscheck_access__"
_F = TypeVar("_F", bound=Callable[..., object])


@dataclass(frozen=True, slots=True)
class StoredKey:
    """One configured key: its public id, scope, salt and the salted hash of the whole token."""

    key_id: str
    scope: KeyScope
    salt: bytes
    digest: bytes

    @classmethod
    def parse(cls, entry: str) -> StoredKey:
        key_id, raw_scope, salt, digest = entry.split(":")
        if raw_scope not in ("read", "write"):
            raise ValueError(f"unknown key scope {raw_scope!r}")
        scope: KeyScope = "read" if raw_scope == "read" else "write"
        return cls(key_id=key_id, scope=scope, salt=bytes.fromhex(salt), digest=bytes.fromhex(digest))

    def entry(self) -> str:
        return f"{self.key_id}:{self.scope}:{self.salt.hex()}:{self.digest.hex()}"


def hash_token(salt: bytes, token: str) -> bytes:
    """HMAC-SHA256 of the token under the key's salt."""
    return hmac.new(salt, token.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def create_key(scope: KeyScope = "write") -> tuple[str, StoredKey]:
    """A new key: the secret token to hand to the client (shown once) and the entry to configure."""
    key_id = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    salt = secrets.token_bytes(16)
    return token, StoredKey(key_id=key_id, scope=scope, salt=salt, digest=hash_token(salt, token))


@lru_cache(maxsize=32)
def parse_keys(entries: tuple[str, ...]) -> tuple[StoredKey, ...]:
    """The configured keys (Settings has already checked each entry's format)."""
    return tuple(StoredKey.parse(entry) for entry in entries)


def authenticate(token: str, keys: tuple[StoredKey, ...]) -> StoredKey | None:
    """The key this token belongs to, or None.

    Every configured key is hashed and compared with `hmac.compare_digest`, without stopping at the first
    match, so the time taken does not tell an attacker which key id or how many leading bytes were right.
    """
    found: StoredKey | None = None
    for key in keys:
        if hmac.compare_digest(hash_token(key.salt, token), key.digest):
            found = key
    return found


REVIEW_COOKIE: Final = "crosscheck_key"  # the review pages' key (service/api/review.py); only /review reads it


def public_route(endpoint: _F) -> _F:
    """Marks a route that needs no key although its method is not GET: it changes nothing on the server (the
    review page's key form only sets the visitor's own cookie)."""
    setattr(endpoint, _ACCESS_ATTR, "none")
    return endpoint


def read_only(endpoint: _F) -> _F:
    """Marks a route that does not change state although its method is not GET (e.g. a POST search)."""
    setattr(endpoint, _ACCESS_ATTR, "read")
    return endpoint


def required_access(request: Request) -> KeyScope | None:
    """What a request needs: "read", "write", or None for the documentation pages."""
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and not route.include_in_schema and not route.path.startswith("/review"):
        return None  # /docs, /redoc: static pages; the data behind them is checked when fetched
    endpoint = request.scope.get("endpoint")
    marked = getattr(endpoint, _ACCESS_ATTR, None)
    if marked == "none":
        return None
    if request.method in SAFE_METHODS:
        return "read"
    # Default-deny: a state-changing method is a write unless its route says otherwise.
    return "read" if marked == "read" else "write"


bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="APIKey",
    description=f"An API key from `crosscheck keys create`: `Authorization: Bearer {TOKEN_PREFIX}...`. "
    "Writes need a write key when keys are configured; reads only if CROSSCHECK_READS_REQUIRE_KEY is set.",
)


def _unauthorized(detail: str, *, error: str | None = None) -> HTTPException:
    challenge = f'Bearer error="{error}"' if error else "Bearer"
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": challenge})


def authorize(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> StoredKey | None:
    """App-wide dependency: lets the request through or answers 401/403; returns the key used, if any."""
    keys = parse_keys(tuple(settings.api_keys))
    if not keys:
        return None  # no keys: open API, reachable from loopback only (see LoopbackGuard)
    access = required_access(request)
    if access is None:
        return None
    token = credentials.credentials if credentials is not None else None
    if token is None and request.url.path.startswith("/review"):
        token = request.cookies.get(REVIEW_COOKIE)  # the review pages send the key they were given
    if token is None:
        if access == "read" and not settings.reads_require_key:
            return None
        what = "writing" if access == "write" else "reading"
        raise _unauthorized(f"{what} needs an API key: send `Authorization: Bearer <key>` ({SETTING} is set)")
    key = authenticate(token, keys)
    if key is None:
        raise _unauthorized("API key not recognised (is it listed in CROSSCHECK_API_KEYS?)", error="invalid_token")
    if access == "write" and key.scope != "write":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"API key {key.key_id} may only read; writing needs a key made with "
            "`crosscheck keys create --scope write`",
        )
    request.state.key_id = key.key_id  # who did it (a reviewer's judgment records it)
    return key


def is_loopback_host(host: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1, ::ffff:127.x); any other name is not."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def bind_refusal(host: str, settings: Settings) -> str | None:
    """Why `crosscheck serve` must not bind `host` (None if it may)."""
    if settings.api_keys or is_loopback_host(host):
        return None
    return (
        f"refusing to listen on {host}: no API key is configured, so anyone who can reach {host} could add and "
        f"delete sources. Create a key with `crosscheck keys create` and set {SETTING}, or listen on 127.0.0.1."
    )


def host_of(header: str) -> str:
    """The host name of a Host header, without its port: "[::1]:8000" -> "::1", "Localhost:80" -> "localhost"."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def host_refusal(header: str, settings: Settings) -> str | None:
    """Why a keyless server refuses a request addressed to this Host, or None if it may answer."""
    host = host_of(header)
    if not host or is_loopback_host(host) or host in {h.lower() for h in settings.allowed_hosts}:
        return None
    return (
        f"this server has no API keys, so it answers only requests addressed to localhost, 127.0.0.1 or [::1], "
        f"not to {header!r} (a web page could otherwise reach it through a name that points here); to serve "
        f"that name, add it to CROSSCHECK_ALLOWED_HOSTS, or configure API keys"
    )


class LoopbackGuard:
    """Without API keys, answers 403 to requests that arrived on a non-loopback local address or that are
    addressed (Host header) to a name other than the loopback ones and `CROSSCHECK_ALLOWED_HOSTS`.

    `crosscheck serve` already refuses such a bind; this covers servers started another way. The ASGI
    `server` entry is the local address the connection came in on, so a server bound to 0.0.0.0 still
    answers on 127.0.0.1. Non-IP entries (unix sockets) are local. The Host check stops DNS rebinding: a page
    at evil.example whose name is made to point at 127.0.0.1 reaches the port, but with Host: evil.example.
    """

    def __init__(self, app: ASGIApp, *, settings: Callable[[], Settings]) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server")
        if scope["type"] == "http" and server and not self.settings().api_keys:
            host = str(server[0])
            try:
                ipaddress.ip_address(host)
            except ValueError:
                pass  # not an IP address: unix socket or test client
            else:
                if not is_loopback_host(host):
                    await _refuse(send, bind_refusal(host, self.settings()))
                    return
            header = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), "")
            refusal = host_refusal(header, self.settings())
            if refusal is not None:
                await _refuse(send, refusal)
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, detail: str | None) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 403, "headers": headers})
    await send({"type": "http.response.body", "body": body})
