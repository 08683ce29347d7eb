"""Fill in the character spans of the extraction gold set from the claim texts, and check them.

Annotators write each claim's exact text (plus speaker, context_text, checkworthy) in
tests/data/extraction/NN_name.json; this computes "start"/"end" by finding each text in the article
after the previous claim, fills a missing "context_text" with the claim's own normalised text, and
verifies that every span slices out its claim. Nobody counts characters by hand.

    python bench/gold_spans.py            # rewrite the JSON files in place
    python bench/gold_spans.py --check    # only verify; exit 1 on any mismatch
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.extraction import GOLD_DIR, fill_annotation


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=GOLD_DIR)
    parser.add_argument("--check", action="store_true", help="verify only, write nothing")
    args = parser.parse_args()
    failures = 0
    for md in sorted(args.gold.glob("*.md")):
        if md.name.lower() == "readme.md":
            continue
        path = md.with_suffix(".json")
        text = md.read_text(encoding="utf-8")
        annotation = json.loads(path.read_text(encoding="utf-8"))
        try:
            filled = fill_annotation(text, annotation)
        except ValueError as exc:
            print(f"{path.name}: {exc}", file=sys.stderr)
            failures += 1
            continue
        for claim in filled["claims"]:
            assert text[claim["start"] : claim["end"]] == claim["text"]
        rendered = json.dumps(filled, ensure_ascii=False, indent=1) + "\n"
        if args.check:
            if rendered != path.read_text(encoding="utf-8"):
                print(f"{path.name}: spans or defaults are not up to date (run without --check)", file=sys.stderr)
                failures += 1
        else:
            path.write_text(rendered, encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
