"""The real crosscheck server for the crash and load benchmarks, on 127.0.0.1 only.

    python bench/server.py --port 8123 [--encoder hashing|real]

Settings come from the environment as for `crosscheck serve` (CROSSCHECK_DATA_DIR, ...). This is the same
app (`service.main.create_app`), lifespan, uvicorn server and data path as production; the only difference
is the encoder passed to `create_app(encoder=...)`: `hashing` is the small deterministic test encoder of
`tests/helpers.py` (starts in a second and lets a checker recompute every vector exactly), `real` the
configured sentence-transformers model. No setting of the service can select the test encoder: it exists
only in this launcher, which is not part of the installed package.

For the crash benchmark, `CROSSCHECK_BENCH_CRASH_HOOK` makes the process SIGKILL itself at chosen points:
  commit:P   with probability P per database commit, a few milliseconds after the commit starts
             (so the kill lands inside SQLite's commit and fsync, or just after it, before the answer);
  save:P     with probability P per index-file write during the shutdown save: before the temp file is
             renamed, or between writing the index and its manifest.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def install_crash_hooks(spec: str, seed: int, armed: threading.Event) -> None:
    """Test-only fault injection (see the module docstring); commit kills only once `armed` is set."""
    rng = random.Random(seed)
    kind, _, raw_probability = spec.partition(":")
    probability = float(raw_probability or "1")
    if kind == "commit":
        from sqlalchemy.orm import Session

        real_commit = Session.commit

        def commit(self: Session) -> None:
            if armed.is_set() and rng.random() < probability:
                delay = rng.uniform(0.0, 0.004)
                threading.Timer(delay, _die).start()
            real_commit(self)

        Session.commit = commit  # type: ignore[method-assign]
    elif kind == "save":
        from embeddings import index as index_module

        real_write = index_module._atomic_write

        def atomic_write(path: Path, data: bytes) -> None:
            if rng.random() < probability:
                if rng.random() < 0.5:
                    # The first half of a save: the temp file written and fsynced; death before the rename.
                    path.parent.mkdir(parents=True, exist_ok=True)
                    fd, _tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
                    with os.fdopen(fd, "wb") as fh:
                        fh.write(data)
                        fh.flush()
                        os.fsync(fh.fileno())
                    _die()
                elif path.name.endswith(".manifest.json"):
                    _die()  # the index file is already the new one, its manifest still the old one
            real_write(path, data)

        index_module._atomic_write = atomic_write
    elif kind:
        raise SystemExit(f"unknown crash hook {spec!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--encoder", choices=["hashing", "real"], default="hashing")
    args = parser.parse_args()

    import uvicorn

    from service.main import create_app

    hook = os.environ.get("CROSSCHECK_BENCH_CRASH_HOOK", "")
    # Armed by the first write request, so that the start-up's own commits never trigger a kill.
    armed = threading.Event()
    if hook:
        install_crash_hooks(hook, seed=int(os.environ.get("CROSSCHECK_BENCH_SEED", str(time.time_ns()))), armed=armed)
    encoder = None
    if args.encoder == "hashing":
        from tests.helpers import HashingEncoder

        encoder = HashingEncoder()
    inner = create_app(encoder=encoder)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] != "GET":
            armed.set()
        await inner(scope, receive, send)

    # Loopback only, whatever the environment says: benchmarks never listen on another address.
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", timeout_graceful_shutdown=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
