"""The retrieval benchmark end to end on a tiny CLEF-format corpus (fast encoder, temp cache)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bench import retrieval as bench_retrieval
from service.config import Settings
from service.db import make_engine
from service.models import Claim
from tests.helpers import HashingEncoder

CORPUS = [
    ("10", "The harbour bridge in Velmont opened after four years of work.", "Velmont bridge opens"),
    ("11", "Quarry workers in Dunmore voted to strike over pay.", "Dunmore quarry strike"),
    ("12", "A storm warning was issued for the Halden coast on Sunday.", "Storm warning for Halden"),
    ("13", "The central bank of Estmark held its interest rate at four percent.", "Estmark holds rates"),
]
QUERIES = [
    ("1", "Velmont's harbour bridge is finally open https://t.co/x #Velmont — Ann Lee (@ann) May 2, 2025"),
    ("2", "Estmark central bank keeps interest rate at 4 percent"),
    ("3", "storm warning Halden coast"),
]
QRELS = [("1", "10"), ("2", "13"), ("3", "12")]


def _dataset(root: Path) -> Path:
    (root / "dev").mkdir(parents=True)
    docs = "\tvclaim\ttitle\n" + "".join(f"{i}\t{t}\t{title}\n" for i, t, title in CORPUS)
    (root / "verified_claims.docs.tsv").write_text(docs, encoding="utf-8")
    queries = "\ttweet_content\n" + "".join(f"{i}\t{t}\n" for i, t in QUERIES)
    (root / "dev" / "tweets.queries.tsv").write_text(queries, encoding="utf-8")
    (root / "dev" / "tweet-vclaim-pairs.qrels").write_text("".join(f"{q}\t0\t{d}\t1\n" for q, d in QRELS))
    return root / "verified_claims.docs.tsv"


def _args(corpus: Path, tmp_path: Path, **overrides: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    bench_retrieval.add_arguments(parser)
    args = parser.parse_args(["--corpus", str(corpus), "--cache-dir", str(tmp_path / "cache"), "--quiet"])
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


def test_benchmark_reports_metrics_writes_the_run_and_reuses_its_store(tmp_path: Path) -> None:
    corpus = _dataset(tmp_path / "data")
    run_path = tmp_path / "run.tsv"
    encoder = HashingEncoder()
    first = bench_retrieval.run_benchmark(_args(corpus, tmp_path, run_out=run_path), encoder=encoder, extra_encoders={})
    assert first["n_queries"] == 3 and first["corpus_size"] == 4 and not first["store_cached"]
    assert first["map@5"] == 1.0 and first["recall@10"] == 1.0, first
    assert {"map@1", "mrr", "recall@100", "ms_p50", "ms_p95", "index_build_s"} <= set(first)
    json.dumps(first)

    lines = [line.split() for line in run_path.read_text().splitlines()]
    assert {line[0] for line in lines} == {"1", "2", "3"}
    assert next(line[2] for line in lines if line[0] == "2") == "13"  # the dataset's ids come back out
    assert all(line[1] == "Q0" and line[5] == "crosscheck-hybrid" for line in lines)

    encoded = encoder.documents_encoded
    again = bench_retrieval.run_benchmark(
        _args(corpus, tmp_path, mode="lexical", limit_queries=2), encoder=encoder, extra_encoders={}
    )
    assert again["store_cached"] and encoder.documents_encoded == encoded  # nothing re-encoded
    assert again["n_queries"] == 2 and again["mode"] == "lexical"


def test_scaled_store_copies_rows_with_noisy_vectors(tmp_path: Path) -> None:
    corpus = _dataset(tmp_path / "data")
    report = bench_retrieval.run_benchmark(
        _args(corpus, tmp_path, scale=3, mode="dense"), encoder=HashingEncoder(), extra_encoders={}
    )
    assert report["corpus_size"] == 12


def test_an_extra_encoder_gets_its_vectors_once_and_the_table_has_every_component(tmp_path: Path) -> None:
    corpus = _dataset(tmp_path / "data")
    encoder, extra = HashingEncoder(), HashingEncoder(dim=32)  # the extra one stands in for the multilingual USE
    first = bench_retrieval.run_benchmark(_args(corpus, tmp_path), encoder=encoder, extra_encoders={})
    assert "table" not in first and first["rankers"] == ["dense", "lexical"]
    # The cached store gains the extra encoder's vectors the first time it is asked for, then keeps them.
    report = bench_retrieval.run_benchmark(
        _args(corpus, tmp_path, table=True), encoder=encoder, extra_encoders={"use": extra}
    )
    assert report["store_cached"] and extra.documents_encoded == len(CORPUS)
    assert report["rankers"] == ["dense", "lexical", "use"]
    rows = {row["component"]: row for row in report["table"]}
    assert list(rows) == [name for name, _, _ in bench_retrieval.COMPONENTS]
    assert rows["dense"]["rankers"] == ["dense"] and not rows["dense"]["clean_query"]
    assert rows["+clean-up"]["clean_query"] and rows["+clean-up"]["rankers"] == ["dense", "lexical"]
    assert rows["+USE (rank fusion)"]["rankers"] == ["dense", "lexical", "use"]
    assert all(0.0 <= row["map@5"] <= 1.0 and row["ms_p50"] > 0 for row in rows.values())
    again = bench_retrieval.run_benchmark(
        _args(corpus, tmp_path, mode="dense", no_use=True), encoder=encoder, extra_encoders={"use": extra}
    )
    assert extra.documents_encoded == len(CORPUS) and again["rankers"] == ["dense"]


def test_neighbouring_lines_of_one_document_are_each_others_context() -> None:
    queries = {
        "debate_a_0010": "first",
        "debate_a_0012": "second",
        "debate_a_0020": "far away",
        "debate_b_0011": "other debate",
        "tweet-7": "no line number",
    }
    contexts = bench_retrieval.neighbour_contexts(queries, window=3)
    assert contexts == {"debate_a_0010": ["second"], "debate_a_0012": ["first"]}
    assert bench_retrieval.neighbour_contexts(queries, window=10)["debate_a_0020"] == ["first", "second"]


def _debate(root: Path) -> Path:
    """The dataset with two lines of one "debate" as its dev queries: the second alone points at the quarry strike;
    the first says it is the bridge."""
    corpus = _dataset(root)
    queries = (
        "\ttweet_content\n"
        + "d_0001\tVelmont harbour bridge finally open\nd_0002\tIt was a strike of luck, workers said\n"
    )
    (root / "dev" / "tweets.queries.tsv").write_text(queries, encoding="utf-8")
    (root / "dev" / "tweet-vclaim-pairs.qrels").write_text("d_0001\t0\t10\t1\nd_0002\t0\t10\t1\n")
    return corpus


def test_the_bench_sends_the_context_and_reports_it(tmp_path: Path) -> None:
    corpus = _debate(tmp_path / "data")
    plain = bench_retrieval.run_benchmark(
        _args(corpus, tmp_path, mode="dense"), encoder=HashingEncoder(), extra_encoders={}
    )
    with_context = bench_retrieval.run_benchmark(
        _args(corpus, tmp_path, mode="dense", context_window=1), encoder=HashingEncoder(), extra_encoders={}
    )
    assert "context" not in plain
    assert with_context["context"] == {"window": 1, "queries_with_context": 2}
    assert with_context["map@1"] == 1.0 and plain["map@1"] < 1.0


def test_the_lines_of_one_document_are_rescored_together(tmp_path: Path) -> None:
    assert bench_retrieval.documents(["d_0012", "tweet-7", "d_0002", "e_0001"]) == {
        "d": [(2, "d_0002"), (12, "d_0012")],
        "e": [(1, "e_0001")],
    }
    # The first line is about the bridge, and so, with cohesion, is the second.
    corpus = _debate(tmp_path / "data")
    plain = bench_retrieval.run_benchmark(
        _args(corpus, tmp_path, mode="dense"), encoder=HashingEncoder(), extra_encoders={}
    )
    together = bench_retrieval.run_benchmark(
        _args(corpus, tmp_path, mode="dense", cohesion=1.0), encoder=HashingEncoder(), extra_encoders={}
    )
    assert "cohesion" not in plain and together["cohesion"] == {"weight": 1.0, "documents": 1}
    assert together["map@1"] == 1.0 and plain["map@1"] < 1.0
    with pytest.raises(ValueError, match="--cohesion"):
        bench_retrieval.run_benchmark(
            _args(corpus, tmp_path, mode="dense", cohesion=2.0), encoder=HashingEncoder(), extra_encoders={}
        )


def test_a_query_file_with_part_of_the_split_is_scored_on_its_own_queries(tmp_path: Path) -> None:
    corpus = _dataset(tmp_path / "data")
    part = tmp_path / "part.jsonl"  # a translation's format: JSON lines of tweet_id and text
    part.write_text(json.dumps({"tweet_id": "2", "text": QUERIES[1][1]}) + "\n", encoding="utf-8")
    report = bench_retrieval.run_benchmark(
        _args(corpus, tmp_path, queries=part), encoder=HashingEncoder(), extra_encoders={}
    )
    # The split's qrels name three queries; the file holds one, found first: its MAP is 1, not a third.
    assert report["n_queries"] == 1 and report["map@5"] == 1.0, report
    assert report["queries"] == str(part)  # the report names the file it scored


def test_the_translation_sample_is_fixed_and_split_in_two(tmp_path: Path) -> None:
    queries = {str(i): f"tweet {i}" for i in range(1, 401)}
    first = bench_retrieval.write_translation_sample(queries, tmp_path / "a")
    again = bench_retrieval.write_translation_sample(dict(reversed(list(queries.items()))), tmp_path / "b")
    assert [p.name for p in first] == ["source.part1.jsonl", "source.part2.jsonl"]
    assert [p.read_text() for p in first] == [p.read_text() for p in again]  # the same sample, however listed
    parts = [list(bench_retrieval.read_queries(p)) for p in first]
    assert [len(p) for p in parts] == [160, 160] and not set(parts[0]) & set(parts[1])
    ids = [int(i) for i in parts[0] + parts[1]]
    assert ids == sorted(ids) and ids != list(range(1, 321))  # a shuffled pick, back in id order
    assert bench_retrieval.read_queries(first[0])[parts[0][0]] == f"tweet {parts[0][0]}"
    bad = tmp_path / "bad.jsonl"
    for line in ('{"id": "1", "text": "no tweet_id"}', "not json"):
        bad.write_text(line + "\n", encoding="utf-8")
        with pytest.raises(ValueError, match="tweet_id and text"):
            bench_retrieval.read_queries(bad)


def test_translated_corpus_rows_are_stored_in_their_language(tmp_path: Path) -> None:
    corpus = _dataset(tmp_path / "data")
    translations = tmp_path / "translations"
    translations.mkdir()
    french = {"vclaim_id": "13", "vclaim": "La banque centrale d'Estmark a maintenu son taux à 4 %.", "title": ""}
    (translations / "fr.jsonl").write_text(json.dumps(french, ensure_ascii=False) + "\n", encoding="utf-8")

    rows = {row.doc_id: row for row in bench_retrieval.read_corpus(corpus, translations)}
    assert (rows["13"].text, rows["13"].title, rows["13"].language) == (french["vclaim"], None, "fr")
    assert rows["10"].language == "en" and rows["10"].text == CORPUS[0][1]

    plain = bench_retrieval.run_benchmark(_args(corpus, tmp_path), encoder=HashingEncoder(), extra_encoders={})
    report = bench_retrieval.run_benchmark(
        _args(corpus, tmp_path, corpus_translations=translations), encoder=HashingEncoder(), extra_encoders={}
    )
    assert report["store"] != plain["store"] and not report["store_cached"]  # a store of its own
    engine = make_engine(Settings(data_dir=Path(report["store"])))
    try:
        with Session(engine) as session:
            stored = {c.text: c.language for c in session.exec(select(Claim))}
    finally:
        engine.dispose()
    assert stored[french["vclaim"]] == "fr" and stored[CORPUS[0][1]] == "en" and len(stored) == 4


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("fr.jsonl", '{"vclaim_id": "99", "vclaim": "x"}', "not in"),
        ("fr.jsonl", '{"id": "13", "vclaim": "x"}', "vclaim_id and vclaim"),
        ("french.jsonl", '{"vclaim_id": "13", "vclaim": "x"}', "language code"),
    ],
)
def test_a_bad_corpus_translation_is_refused_with_its_reason(
    tmp_path: Path, name: str, line: str, message: str
) -> None:
    corpus = _dataset(tmp_path / "data")
    translations = tmp_path / "translations"
    translations.mkdir()
    (translations / name).write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        bench_retrieval.read_corpus(corpus, translations)
