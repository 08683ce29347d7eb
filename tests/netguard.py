"""A fixture that fails the test if anything tries to reach an address other than 127.0.0.1.

Tests of URL ingestion and of the servers under load must never leave this machine: the fixture replaces
`socket.connect`, `socket.connect_ex` and `socket.getaddrinfo` so that a connection to any other address,
or a name lookup of anything but localhost/127.0.0.1, raises before a packet is sent.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

ALLOWED_HOSTS = frozenset({"127.0.0.1", "localhost"})


class ForbiddenConnection(AssertionError):
    """Raised (and recorded) when code under test tries to reach a non-loopback address."""


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Yields the list of refused attempts; the test fails at teardown if it is not empty."""
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if host != "127.0.0.1":
                attempts.append(f"connect {address!r}")
                raise ForbiddenConnection(f"test tried to connect to {address!r}: only 127.0.0.1 is allowed")

    def connect(sock: socket.socket, address: Any) -> None:
        check(sock, address)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(sock, address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name not in ALLOWED_HOSTS:
            attempts.append(f"getaddrinfo {name!r}")
            raise ForbiddenConnection(f"test tried to resolve {name!r}: only localhost is allowed")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert not attempts, f"forbidden network attempts: {attempts}"
