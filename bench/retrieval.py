"""Retrieval benchmark (CLEF2020-CheckThat! Task 2 by default): prints one JSON object.

Same code and arguments as `crosscheck bench retrieval`; see `service/bench_retrieval.py`.
    python bench/retrieval.py [--split dev|train] [--mode hybrid|dense|lexical] [--run-out run.tsv]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service import bench_retrieval


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_retrieval.add_arguments(parser)
    return bench_retrieval.main(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
