"""Cross-lingual benchmark on tests/data/crosslingual/: prints one JSON object.

Same code and arguments as `crosscheck bench crosslingual`; see `service/bench_crosslingual.py`.
    python bench/crosslingual.py [--per-language] [--fit] [--no-product]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service import bench_crosslingual


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_crosslingual.add_arguments(parser)
    return bench_crosslingual.main(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
