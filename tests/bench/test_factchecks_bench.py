"""`crosscheck bench factchecks` end to end on a tiny CLEF-format corpus (fast encoder): the DataFeed goes through
POST /fact-checks, the queries through POST /claims/match, and the malformed feed's ten defects are each named."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench import factchecks as bench_factchecks
from bench.retrieval import CorpusRow
from service import factchecks
from tests.bench.test_retrieval import _dataset
from tests.helpers import HashingEncoder


def _args(root: Path, **overrides: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    bench_factchecks.add_arguments(parser)
    args = parser.parse_args(["--dataset", str(root), "--plain", "3", "--malformed", "0"])
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


def test_the_corpus_as_fact_checks_is_found_through_the_api(tmp_path: Path) -> None:
    root = _dataset(tmp_path / "clef").parent
    report = bench_factchecks.run(_args(root), encoder=HashingEncoder(), extra_encoders={})
    assert report["import"]["stored"] == 4 and report["import"]["rejected"] == 0
    # The hashing encoder shares words: each query's own row comes first.
    assert report["retrieval"]["map@5"] == 1.0
    assert report["plain_ingest"]["stored"] == 3


def test_the_malformed_feed_breaks_ten_items_in_ten_ways() -> None:
    rows = [CorpusRow(str(i), f"Claim number {i} about the river ferry fares.", None) for i in range(100)]
    feed, broken = bench_factchecks.malformed_feed(rows, 100)
    assert len(broken) == 10 == len(set(broken))
    parsed = factchecks.parse_feed(feed)
    assert len(parsed.reviews) == 90
    assert [r.index for r in parsed.rejected] == broken
    assert len({r.detail for r in parsed.rejected}) == 10
