"""Claim-extraction benchmark on the gold set in tests/data/extraction/: prints one JSON object.

Same code and arguments as `crosscheck bench extraction`; see `service/bench_extraction.py`.
    python bench/extraction.py [--errors] [--seconds 3] [--no-checkworthiness]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service import bench_extraction


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_extraction.add_arguments(parser)
    return bench_extraction.main(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
