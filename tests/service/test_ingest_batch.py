"""Batch ingest (`ingest_many`, the path of `crosscheck ingest`) stores exactly what article-by-article ingest
(`ingest_source`, the API's POST /sources) stores: same claims, spans, vectors, scores and copy groups.

The articles below are invented for these tests (a fictional river port, its council and its newspapers).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlmodel import Session, col, select

from embeddings import TextEncoder
from service import cli, ingest, runtime, syndication
from service.config import Settings, get_settings
from service.ingest import BatchItem
from service.models import Claim, ClaimVector, Source
from service.runtime import Runtime
from service.schemas import SourceCreate
from tests.helpers import HashingEncoder, seed_files

PORT_PARAGRAPHS = [
    "The harbour authority of Velden closed the river port to cargo barges on Monday after the water level "
    "fell to 78 centimetres, the lowest reading since records began in 1921.",
    "Port director Anneke Smit said about 40 barges were waiting downstream and that shippers had been told "
    "to expect delays of at least ten days.",
    "The regional water board said rain forecast for the weekend would not be enough to lift the river by the "
    "half metre that loaded barges need.",
    '"We have never seen the quay walls this dry in October," Smit told the Velden Courier on Tuesday.',
    "Two grain mills on the east bank said they had switched deliveries to lorries, which cost them roughly "
    "three times as much per tonne.",
    "The council will hold an emergency meeting on Thursday to discuss dredging the main channel, a spokesman said.",
]
MARKET_PARAGRAPHS = [
    "The Velden covered market will reopen on Saturday after an eight-month renovation that cost 6.5 million euros, "
    "the city council said on Wednesday.",
    "Its 120 stalls got new cold rooms, a glass roof and lifts, and the council said rents would rise by no more "
    "than four percent next year.",
    "Traders who had moved to a temporary hall by the station said business there had fallen by about a third.",
]


def article(title: str, paragraphs: Sequence[str], url: str | None = None) -> str:
    body = "\n\n".join(paragraphs)
    tail = f"\n\nOriginal url:\n\n<{url}>\n" if url else "\n"
    return f"# {title}\n\n{body}{tail}"


ORIGINAL = article("Velden Port Shut to Barges as River Sinks", PORT_PARAGRAPHS, "https://courier.example/port")
# A reprint: new headline and URL, the last paragraph trimmed, one small edit.
REPRINT = article(
    "Record Low River Closes Velden Port",
    [PORT_PARAGRAPHS[0].replace("on Monday", "Monday"), *PORT_PARAGRAPHS[1:5]],
    "https://rivernews.example/velden-port",
)
# An own article that pastes one sentence of the wire story word for word.
COLUMN = article(
    "Why Velden's Market Matters",
    [MARKET_PARAGRAPHS[2], PORT_PARAGRAPHS[1], "The columnist argues that the city should help its traders more."],
)
MARKET = article("Velden Market Reopens After Renovation", MARKET_PARAGRAPHS, "https://courier.example/market")


def corpus() -> list[str]:
    """Seed articles plus invented ones: reprints, pasted sentences, repeats of the same text."""
    seeds = [path.read_text(encoding="utf-8") for path in seed_files()]
    return [ORIGINAL, *seeds[:5], REPRINT, MARKET, COLUMN, *seeds[5:], ORIGINAL, REPRINT.replace("\n", "\r\n")]


@pytest.fixture
def open_runtime(tmp_path: Path) -> Iterator[Any]:
    """`open_runtime(name, encoder=..., extra=..., **settings)`: a Runtime on its own data dir, closed at the end."""
    opened: list[Runtime] = []

    def factory(
        name: str,
        encoder: TextEncoder | None = None,
        extra: dict[str, TextEncoder] | None = None,
        **overrides: Any,
    ) -> Runtime:
        settings = Settings(data_dir=tmp_path / name, multilingual=False, **overrides)
        rt = Runtime.open(settings, encoder=encoder or HashingEncoder(), extra_encoders=extra or {})
        opened.append(rt)
        return rt

    yield factory
    for rt in opened:
        rt.close()


def snapshot(rt: Runtime) -> dict[str, Any]:
    """Everything ingest stores, with ids replaced by their rank (two stores number rows alike only by luck)."""
    with Session(rt.engine) as session:
        sources = list(session.exec(select(Source).order_by(col(Source.id))))
        claims = list(session.exec(select(Claim).order_by(col(Claim.id))))
        vectors = list(session.exec(select(ClaimVector).order_by(col(ClaimVector.claim_id))))
    source_rank = {s.id: rank for rank, s in enumerate(sources)}
    claim_rank = {c.id: rank for rank, c in enumerate(claims)}
    return {
        "sources": [
            (
                s.url,
                s.title,
                s.outlet,
                s.author,
                s.published_at,
                s.language,
                s.content_hash,
                source_rank[s.copy_group_id],
            )
            for s in sources
        ],
        "claims": [
            (
                source_rank[c.source_id],
                c.text,
                c.start,
                c.end,
                c.position,
                c.speaker,
                c.context_text,
                None if c.copy_group_id is None else source_rank[c.copy_group_id],
            )
            for c in claims
        ],
        "scores": np.asarray([c.checkworthiness for c in claims], dtype=np.float64),
        "embeddings": [np.frombuffer(c.embedding, dtype="<f4") for c in claims],
        "vectors": [(claim_rank[v.claim_id], v.encoder, np.frombuffer(v.vector, dtype="<f4")) for v in vectors],
        "index": len(rt.index),
        "extra_index": {key: len(extra.index) for key, extra in rt.extras.items()},
    }


def assert_same_store(one: dict[str, Any], other: dict[str, Any], *, vector_atol: float = 0.0) -> None:
    """Equal stores; `vector_atol` > 0 allows encoders whose vectors depend on the batch in the last bits (and
    check-worthiness, computed from them, in its last rounded digit)."""
    assert one["sources"] == other["sources"]
    assert one["claims"] == other["claims"]
    np.testing.assert_allclose(one["scores"], other["scores"], rtol=0, atol=1e-4 if vector_atol else 0)
    for a, b in zip(one["embeddings"], other["embeddings"], strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=vector_atol)
    assert [v[:2] for v in one["vectors"]] == [v[:2] for v in other["vectors"]]
    for (_, _, a), (_, _, b) in zip(one["vectors"], other["vectors"], strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=vector_atol)
    assert one["index"] == other["index"] and one["extra_index"] == other["extra_index"]


def summary_of_single(rt: Runtime, texts: Sequence[str]) -> list[tuple[bool, int]]:
    results = [rt.ingest(SourceCreate(text=text)) for text in texts]
    return [(r.created, len(r.claims)) for r in results]


def summary_of_batch(items: Sequence[BatchItem]) -> list[tuple[bool, int]]:
    assert all(item.error is None for item in items)
    return [(item.created, len(item.claim_ids)) for item in items]


@pytest.mark.parametrize(("batch", "max_claims"), [(1, 2048), (4, 2048), (64, 2048), (64, 7)])
def test_batch_stores_what_article_by_article_ingest_stores(open_runtime, monkeypatch, batch, max_claims) -> None:
    # max_claims: a batch of long articles is stored in parts (each article whole).
    monkeypatch.setattr(runtime, "MAX_BATCH_CLAIMS", max_claims)
    texts = corpus()
    single = open_runtime("single", extra={"second": HashingEncoder(dim=32)})
    batched = open_runtime("batched", extra={"second": HashingEncoder(dim=32)})
    expected = summary_of_single(single, texts)
    got = summary_of_batch(list(batched.ingest_many([SourceCreate(text=t) for t in texts], batch=batch)))
    assert got == expected
    one, other = snapshot(single), snapshot(batched)
    assert_same_store(one, other)
    # The corpus exercises what the batch path must reproduce: a reprint joins the original's group, a pasted
    # sentence joins it claim by claim, repeated texts are stored once.
    groups = [s[-1] for s in other["sources"]]
    assert len(set(groups)) < len(groups)
    assert any(c[-1] is not None for c in other["claims"])
    assert [created for created, _ in got].count(False) == 2


def test_batch_copies_of_stored_articles_join_their_groups(open_runtime) -> None:
    """Reprints and pasted sentences of articles stored in earlier batches are found through the index."""
    single, batched = open_runtime("single"), open_runtime("batched")
    first, second = [ORIGINAL, MARKET], [REPRINT, COLUMN, ORIGINAL]
    expected = summary_of_single(single, first + second)
    got = summary_of_batch(list(batched.ingest_many([SourceCreate(text=t) for t in first])))
    got += summary_of_batch(list(batched.ingest_many([SourceCreate(text=t) for t in second])))
    assert got == expected
    assert_same_store(snapshot(single), snapshot(batched))
    with Session(batched.engine) as session:
        reprint = session.exec(select(Source).where(Source.url == "https://rivernews.example/velden-port")).one()
        original = session.exec(select(Source).where(Source.url == "https://courier.example/port")).one()
    assert reprint.copy_group_id == original.id


def test_duplicates_in_a_batch_and_in_the_store_answer_with_the_stored_copy(open_runtime) -> None:
    encoder = HashingEncoder()
    rt = open_runtime("d", encoder=encoder)
    [stored] = rt.ingest_many([SourceCreate(text=MARKET)])
    assert stored.created and stored.source_id is not None and len(stored.claim_ids) == 3
    items = list(
        rt.ingest_many(
            [
                SourceCreate(text=ORIGINAL),
                SourceCreate(text=ORIGINAL + "\n\n"),  # the same text (surrounding whitespace ignored)
                SourceCreate(text=MARKET),  # stored by the earlier batch
                # Another text under a URL stored earlier in this batch: the first article with that URL.
                SourceCreate(text=COLUMN, url="https://courier.example/port"),
                # ... and under a URL stored before: that copy.
                SourceCreate(text=REPRINT, url="https://courier.example/market"),
                # No URL at all: the text alone makes it the same article.
                SourceCreate(text=COLUMN),
                SourceCreate(text=COLUMN.replace("\n", "\r\n"), outlet="Another Desk"),
            ]
        )
    )
    first, column = items[0], items[5]
    assert first.created and first.error is None and column.created
    assert [(i.created, i.source_id, i.claim_ids) for i in items[1:]] == [
        (False, first.source_id, first.claim_ids),
        (False, stored.source_id, stored.claim_ids),
        (False, first.source_id, first.claim_ids),
        (False, stored.source_id, stored.claim_ids),
        (True, column.source_id, column.claim_ids),
        (False, column.source_id, column.claim_ids),
    ]
    total = len(first.claim_ids) + len(column.claim_ids) + 3
    with Session(rt.engine) as session:
        assert len(session.exec(select(Source)).all()) == 3
        assert len(session.exec(select(Claim)).all()) == total
    assert len(rt.index) == total
    # Found before encoding, in one pass: each stored claim was encoded once (no retry article by article).
    assert encoder.documents_encoded == total


def test_a_bad_article_is_refused_alone(open_runtime) -> None:
    rt = open_runtime("b", max_text_bytes=3_000, max_claims_per_source=5)
    huge = article("Too Long", [PORT_PARAGRAPHS[0]] * 40)
    items = list(
        rt.ingest_many(
            [
                SourceCreate(text=MARKET),
                SourceCreate(text=huge),
                SourceCreate(text="# Only a heading\n"),
                SourceCreate(text=ORIGINAL),  # six claims: over the limit of five
                SourceCreate(text=COLUMN),
            ],
            batch=64,
        )
    )
    assert [i.created for i in items] == [True, False, False, False, True]
    errors = [type(i.error).__name__ if i.error else None for i in items]
    assert errors == [None, "PayloadTooLargeError", "UnprocessableError", "PayloadTooLargeError", None]
    assert "CROSSCHECK_MAX_TEXT_BYTES" in items[1].error.message  # type: ignore[union-attr]
    assert "no claim-like sentences" in items[2].error.message  # type: ignore[union-attr]
    assert "CROSSCHECK_MAX_CLAIMS_PER_SOURCE" in items[3].error.message  # type: ignore[union-attr]
    # The same answers as the single-article path gives (which raises them).
    for item, text in zip(items[1:4], [huge, "# Only a heading\n", ORIGINAL], strict=True):
        with pytest.raises(type(item.error)) as raised:  # type: ignore[arg-type]
            rt.ingest(SourceCreate(text=text))
        assert raised.value.message == item.error.message  # type: ignore[union-attr]
    with Session(rt.engine) as session:
        assert sorted(s.title for s in session.exec(select(Source))) == [
            "Velden Market Reopens After Renovation",
            "Why Velden's Market Matters",
        ]


def test_an_article_stored_concurrently_is_answered_with_that_copy(open_runtime, monkeypatch) -> None:
    """Another writer stores one of the batch's articles after the batch looked: the batch's bulk insert fails
    on the unique text hash, nothing of it is half-written, and each article then goes the single way."""
    rt = open_runtime("c")
    real = syndication.find_groups_many
    other: list[int] = []

    def racing(**kwargs: Any) -> list[syndication.Grouping]:
        if not other:
            result = rt.ingest(SourceCreate(text=MARKET, outlet="Someone Else"))
            other.append(result.source.id or 0)
        return real(**kwargs)

    monkeypatch.setattr(syndication, "find_groups_many", racing)
    items = list(rt.ingest_many([SourceCreate(text=ORIGINAL), SourceCreate(text=MARKET)]))
    assert items[0].created and not items[1].created and items[1].source_id == other[0]
    with Session(rt.engine) as session:
        assert len(session.exec(select(Source)).all()) == 2
        outlets = {s.content_hash: s.outlet for s in session.exec(select(Source))}
    assert "Someone Else" in outlets.values()
    assert len(rt.index) == len(items[0].claim_ids) + len(items[1].claim_ids)


def index_matches_database(rt: Runtime) -> bool:
    """Every stored claim vector is in the index, bit for bit, and nothing else is."""
    with Session(rt.engine) as session:
        rows = session.exec(select(Claim.id, Claim.embedding)).all()
    ids = np.asarray([r[0] for r in rows], dtype=np.int64)
    found, vectors = rt.index.vectors(ids)
    stored = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f4").reshape(len(rows), -1)
    return (
        set(rt.index.ids().tolist()) == set(ids.tolist()) and len(found) == len(ids) and np.array_equal(vectors, stored)
    )


def test_a_crash_after_the_commit_is_repaired_at_the_next_start(open_runtime, monkeypatch) -> None:
    """The batch is committed before the index adds: an index that missed them is caught up from the database."""
    encoder = HashingEncoder()
    rt = open_runtime("x", encoder=encoder, extra={"second": HashingEncoder(dim=32)})
    list(rt.ingest_many([SourceCreate(text=MARKET)]))
    rt.save_index()  # the index files as of before the batch below

    def crash(*_args: Any) -> None:
        raise RuntimeError("killed between the commit and the index update")

    monkeypatch.setattr(rt.index, "add", crash)
    with pytest.raises(RuntimeError, match="killed"):
        list(rt.ingest_many([SourceCreate(text=t) for t in (ORIGINAL, REPRINT, COLUMN)]))
    rt.engine.dispose()  # the process died: nothing saved on the way out
    reopened = open_runtime("x", encoder=encoder, extra={"second": HashingEncoder(dim=32)})
    assert reopened.index_report.state == "synced" and reopened.index_report.added > 0
    assert index_matches_database(reopened)
    assert reopened.extras["second"].report is not None and reopened.extras["second"].report.state == "synced"
    with Session(reopened.engine) as session:
        assert len(session.exec(select(Source)).all()) == 4
        stored_claims = len(session.exec(select(Claim)).all())
    assert len(reopened.extras["second"].index) == stored_claims
    # The batch's articles are stored, so sending them again stores nothing new.
    again = list(reopened.ingest_many([SourceCreate(text=t) for t in (ORIGINAL, REPRINT, COLUMN)]))
    assert [i.created for i in again] == [False, False, False]


def test_a_failure_before_the_commit_stores_nothing_of_the_batch(open_runtime, monkeypatch) -> None:
    rt = open_runtime("f")
    [first] = rt.ingest_many([SourceCreate(text=MARKET)])

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest.store, "vector_to_bytes", broken)  # fails while the claim rows are built
    with pytest.raises(RuntimeError, match="disk full"):
        list(rt.ingest_many([SourceCreate(text=t) for t in (ORIGINAL, REPRINT)]))
    monkeypatch.undo()
    with Session(rt.engine) as session:
        assert [s.id for s in session.exec(select(Source))] == [first.source_id]
        assert len(session.exec(select(Claim)).all()) == 3
    assert index_matches_database(rt)
    # Nothing was left half-done: the same batch goes through afterwards.
    assert [i.created for i in rt.ingest_many([SourceCreate(text=t) for t in (ORIGINAL, REPRINT)])] == [True, True]
    assert index_matches_database(rt)


def test_real_encoders_store_the_same_vectors_in_batches(open_runtime, real_encoder, use_encoder) -> None:
    """MiniLM encodes one sentence per forward pass, so its vectors do not depend on the batch; USE's may
    differ in the last bits."""
    texts = [ORIGINAL, MARKET, REPRINT, COLUMN, *(p.read_text(encoding="utf-8") for p in seed_files()[:4])]
    single = open_runtime("rs", encoder=real_encoder, extra={"use": use_encoder})
    batched = open_runtime("rb", encoder=real_encoder, extra={"use": use_encoder})
    expected = summary_of_single(single, texts)
    got = summary_of_batch(list(batched.ingest_many([SourceCreate(text=t) for t in texts])))
    assert got == expected
    assert_same_store(snapshot(single), snapshot(batched), vector_atol=1e-5)


# --- crosscheck ingest ---


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CROSSCHECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CROSSCHECK_MULTILINGUAL", "false")
    encoder = HashingEncoder()
    monkeypatch.setattr(runtime, "load_encoder", lambda *_a, **_k: encoder)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_cli_ingest_of_a_folder_in_batches(cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    folder = cli_env / "articles"
    folder.mkdir()
    for number, text in enumerate([ORIGINAL, MARKET, REPRINT, ORIGINAL]):
        (folder / f"{number:02d}.md").write_text(text, encoding="utf-8")
    (folder / "04.txt").write_bytes(b"\xff\xfe not utf-8")
    (folder / "05.md").write_text("# Just a title\n", encoding="utf-8")
    (folder / "06.jsonl").write_text(
        "\n".join(
            [
                json.dumps({"text": COLUMN, "outlet": "Velden Weekly"}),
                json.dumps({"text": MARKET}),
                json.dumps({"text": "A sentence.", "colour": "red"}),
                "[1, 2]",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    # Batches of three: rejections still print in file order, the counts add up across batches.
    monkeypatch.setattr(Runtime.ingest_many, "__kwdefaults__", {"batch": 3})
    assert cli.main(["ingest", "-q", str(folder)]) == 1
    out = capsys.readouterr().out
    new = 4  # ORIGINAL, MARKET, REPRINT, COLUMN
    assert f"new: {new} (" in out and "already present: 2, rejected: 4" in out
    lines = [line.strip() for line in out.splitlines() if line.strip().startswith("rejected ")]
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"rejected {folder / '04.txt'}",
        f"rejected {folder / '05.md'}",
        f"rejected {folder / '06.jsonl'}:3",
        f"rejected {folder / '06.jsonl'}:4",
    ]
    assert "cannot read file" in lines[0] and "no claim-like sentences" in lines[1]
    assert "colour: Extra inputs are not permitted" in lines[2] and "must be a JSON object" in lines[3]
    claims = int(out.split("(", 1)[1].split(" claims", 1)[0])
    rt = Runtime.open(get_settings(), encoder=HashingEncoder(), extra_encoders={})
    try:
        with Session(rt.engine) as session:
            assert len(session.exec(select(Claim)).all()) == claims == len(rt.index)
            outlets = {s.outlet for s in session.exec(select(Source))}
        assert "Velden Weekly" in outlets
    finally:
        rt.close()
    # A second run finds everything stored.
    assert cli.main(["ingest", "-q", str(folder)]) == 1
    assert "new: 0 (0 claims), already present: 6, rejected: 4" in capsys.readouterr().out
