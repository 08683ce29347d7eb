"""Relations benchmark on the claim-pair set in tests/data/relations/: prints one JSON object.

Same code and arguments as `crosscheck bench relations`; see `service/bench_relations.py`.
    python bench/relations.py [--pairs DIR] [--errors] [--no-speed]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service import bench_relations


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_relations.add_arguments(parser)
    return bench_relations.main(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
