"""Shared by the crash and load benchmarks: a real server subprocess on 127.0.0.1, and generated articles."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_ready(
    process: subprocess.Popen[bytes],
    probe: Callable[[], bool],
    *,
    started: float,
    timeout: float,
    interval: float,
    name: str,
    log_path: Path,
) -> float | None:
    """Seconds from `started` until `probe()` is true, or None after `timeout`; a connection refused is "not yet".

    Raises:
        RuntimeError: If the process exits first.
    """
    while time.monotonic() < started + timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}; see {log_path}")
        try:
            if probe():
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(interval)
    return None


class ServerProcess:
    """`bench/server.py` as a subprocess: the production app and uvicorn, listening on 127.0.0.1 only."""

    def __init__(
        self,
        data_dir: Path,
        *,
        encoder: str = "hashing",
        env: dict[str, str] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.encoder = encoder
        self.extra_env = env or {}
        self.log_path = log_path or data_dir.parent / "server.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, *, timeout: float = 120.0, env: dict[str, str] | None = None) -> float:
        """Starts the server and waits until /health answers; returns the seconds that took."""
        self.port = free_port()
        environment = {
            **os.environ,
            "CROSSCHECK_DATA_DIR": str(self.data_dir),
            "CROSSCHECK_LOG_LEVEL": "warning",
            # The optional multilingual encoder takes seconds to load; off unless asked for.
            "CROSSCHECK_MULTILINGUAL": "false",
            "PYTHONPATH": str(REPO),
            **self.extra_env,
            **(env or {}),
        }
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    str(REPO / "bench" / "server.py"),
                    "--port",
                    str(self.port),
                    "--encoder",
                    self.encoder,
                ],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )
        with httpx.Client(base_url=self.base_url, timeout=2.0, trust_env=False) as client:
            ready = wait_ready(
                self.process,
                lambda: client.get("/health").status_code == 200,
                started=started,
                timeout=timeout,
                interval=0.05,
                name="server",
                log_path=self.log_path,
            )
        if ready is None:
            self.kill()
            raise TimeoutError(f"server not ready after {timeout} s; see {self.log_path}")
        return ready

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, like a power cut for the process."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.wait()

    def terminate(self, *, kill_after: float | None = None, timeout: float = 30.0) -> None:
        """SIGTERM (graceful: in-flight requests finish, the index is saved), optionally SIGKILL after a delay."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        if kill_after is not None:
            time.sleep(kill_after)
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGKILL)
        self.wait(timeout)

    def wait(self, timeout: float = 30.0) -> int | None:
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout)


_SUBJECTS = [
    "The harbour authority",
    "The city council",
    "The health ministry",
    "A spokesperson for the army",
    "The regional governor",
    "The central bank",
    "Local police",
    "The energy regulator",
    "The football federation",
    "The university hospital",
    "The port operator",
    "The weather service",
]
_VERBS = ["said", "confirmed", "reported", "announced", "denied", "estimated", "warned", "stated"]
_OBJECTS = [
    "soldiers were sent to the border region",
    "new flats were approved for the old docks",
    "patients were treated after the heatwave",
    "jobs would be cut at the steel plant",
    "tonnes of grain left the port last month",
    "households lost power during the storm",
    "tickets were sold for the final",
    "kilometres of rail line will be rebuilt",
    "million euros were added to the budget",
    "cases of measles were recorded in the spring",
    "families were moved out of the flood zone",
    "buses will run on the new night routes",
]
_WHEN = ["on Monday", "on Tuesday", "last week", "in March", "this year", "on Friday evening", "overnight"]


def article(rng: random.Random, serial: int) -> str:
    """A unique article of 3 to 7 claim-like sentences with numbers, subjects and dates that vary."""
    sentences = []
    for _ in range(rng.randint(3, 7)):
        number = rng.choice([rng.randint(2, 99), rng.randint(100, 999) * 10, rng.randint(1, 40) * 1000])
        sentences.append(
            f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_WHEN)} that {number:,} {rng.choice(_OBJECTS)}."
        )
    sentences.append(f"The report was filed as item {serial} by the {rng.choice(['wire', 'desk', 'bureau'])}.")
    paragraphs = [" ".join(sentences[i : i + 2]) for i in range(0, len(sentences), 2)]
    return "\n\n".join(paragraphs)


def query(rng: random.Random) -> str:
    return f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} that {rng.randint(2, 40) * 1000:,} {rng.choice(_OBJECTS)}"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One POST a `WebhookReceiver` got."""

    headers: dict[str, str]  # names in lower case
    body: str
    at: float  # time.time() of its arrival
    status: int  # what the receiver answered


class WebhookReceiver:
    """An HTTP receiver of alert deliveries on 127.0.0.1 (benches and tests): records each POST, answers the
    statuses queued in ``answers`` first, 503 while ``failing``, else 204."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.received: list[Delivery] = []
        self.answers: list[int] = []
        self.failing = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status = receiver.answers.pop(0) if receiver.answers else (503 if receiver.failing else 204)
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.received.append(Delivery(headers, body.decode("utf-8"), time.time(), status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.url = f"http://{LOOPBACK}:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ids(self, *, accepted: bool = False) -> list[str]:
        """The webhook-id of every POST (``accepted``: only those answered 2xx), in arrival order."""
        return [d.headers.get("webhook-id", "") for d in self.received if not accepted or 200 <= d.status < 300]

    def arrivals(self) -> dict[str, float]:
        """When each webhook-id was first accepted."""
        first: dict[str, float] = {}
        for d in self.received:
            if 200 <= d.status < 300:
                first.setdefault(d.headers.get("webhook-id", ""), d.at)
        return first

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
