"""`crosscheck bench transcript_alerts`: sentences grouped into transcripts by debate and line, and a run end to
end on a tiny 2B-format set through the API (fast encoder), where only the neighbours name what "it" is."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench import transcript_alerts
from tests.helpers import HashingEncoder


def test_sentences_become_transcripts_by_document_and_line_gap() -> None:
    queries = {
        "20200101_debate_0010": "a",
        "20200101_debate_0012": "b",
        "20200101_debate_0020": "c",
        "20200102_rally_0003": "d",
        "loose": "e",
    }
    runs = transcript_alerts.transcripts(queries, gap=3)
    assert sorted(runs) == [
        ["20200101_debate_0010", "20200101_debate_0012"],
        ["20200101_debate_0020"],
        ["20200102_rally_0003"],
        ["loose"],
    ]
    assert len(transcript_alerts.transcripts(queries, gap=10)) == 3  # 0010, 0012 and 0020 in one transcript


def _write(path: Path, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_a_run_through_the_api(tmp_path: Path) -> None:
    root = tmp_path / "2b"
    _write(
        root / "corpus.tsv",
        [
            "\tvclaim\ttitle",
            "vc-1\tThe Velmont harbour bridge reopened after two years of repairs.\tBridge reopened",
            "vc-2\tFerry fares to the Dunmore islands tripled in one year.\tFerry fares",
            "vc-3\tThe stone works in Dunmore closed after the strike.\tQuarry",
        ],
    )
    _write(
        root / "dev" / "queries.tsv",
        [
            "\ttweet_content",
            "20200101_council_0010\tThe harbour bridge in Velmont was closed for two years of repairs.",
            "20200101_council_0011\tAnd now it has reopened, I am proud to say, after all that work.",
            "20200101_council_0040\tFerry fares to the islands have tripled in a single year.",
        ],
    )
    _write(
        root / "dev" / "qrels.tsv",
        ["20200101_council_0010\t0\tvc-1\t1", "20200101_council_0011\t0\tvc-1\t1", "20200101_council_0040\t0\tvc-2\t1"],
    )
    parser = argparse.ArgumentParser()
    transcript_alerts.add_arguments(parser)
    report = transcript_alerts.run(
        parser.parse_args(["--dataset", str(root), "--window", "1", "--cohesion", "0.5"]), encoder=HashingEncoder()
    )
    assert report["corpus"] == 3 and report["sentences"] == 3
    assert report["sources"] == 2 and report["sources_with_several_sentences"] == 1
    assert report["sentences_alerted"] == 3
    for window in ("window_0", "window_1", "window_1_cohesion_0.5"):
        assert 0.0 <= report[window]["right_at_1"] <= 1.0
    assert report["window_1"]["right_at_1"] == 1.0  # "it" read with the line before it finds the bridge
