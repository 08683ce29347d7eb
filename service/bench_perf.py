"""`crosscheck bench perf`: the end-to-end performance bench (issue 7), implemented in `bench/perf.py`.

The bench starts real server processes through `bench/server.py` and builds its corpus with `bench/corpus.py`,
so it needs a source checkout (the `bench/` folder next to this package); the arguments are declared here so
that `crosscheck bench perf --help` works everywhere.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = "10000,100000,1000000"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="corpus sizes in claims, comma-separated")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients of the throughput run")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON report to this file")
    parser.add_argument("--modes", default="hybrid,dense", help="match modes measured, comma-separated")
    parser.add_argument("--queries", type=int, default=200, help="single-client matches per mode and size")
    parser.add_argument("--concurrent-requests", type=int, default=800, help="requests of each concurrent run")
    parser.add_argument("--concurrent-seconds", type=float, default=30.0, help="time cap of each concurrent run")
    parser.add_argument("-k", type=int, default=10, help="matches asked per query")
    parser.add_argument("--ingest-articles", type=int, default=100, help="articles of the ingest part (0: skip it)")
    parser.add_argument(
        "--encoder",
        choices=["real", "hashing"],
        default="real",
        help="real: the configured models; hashing: the tests' fast fake encoder (smoke runs only)",
    )
    parser.add_argument(
        "--multilingual",
        choices=["true", "false"],
        default=None,
        help="enable the multilingual USE encoder (default: CROSSCHECK_MULTILINGUAL, i.e. the service default)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="setting for the build and the servers, e.g. CROSSCHECK_INDEX_KIND=hnsw (repeatable)",
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help="default: data/bench/perf")
    parser.add_argument("--work-dir", type=Path, default=None, help="keep server logs here (default: a temp dir)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the empty-store server (memory baseline)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached corpus stores")
    parser.add_argument("--build-only", action="store_true", help="only build (or check) the cached stores")
    parser.add_argument("--pool-limit", type=int, default=None, help="only the first N pool sentences (tests)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> int:
    if not (REPO_ROOT / "bench" / "perf.py").exists():
        print("error: the perf bench needs a source checkout (bench/perf.py next to the service)", file=sys.stderr)
        return 2
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    perf = importlib.import_module("bench.perf")
    code: int = perf.run_cli(args)
    return code
