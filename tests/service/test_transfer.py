"""`crosscheck export` / `crosscheck import`: every row comes back exactly, vectors are not re-encoded."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from service import cli
from service.config import Settings, get_settings
from service.db import make_engine
from service.transfer import TransferError, export_rows, import_store
from tests.helpers import HashingEncoder, seed_files

FAST = {"multilingual": False}  # the extra multilingual encoder is slow to load and not under test here
ODD = (
    "Ein Zeuge sagte am Montag: \u201eDie Br\u00fccke ist offen.\u201c The\u200b mayor said 40% of the \U0001f309 "
    "budget was spent.\r\n\r\nA second paragraph says the\ttunnel will open in 2027, officials said."
)
QUERIES = ["North Korea sent more than 10,000 soldiers to Kursk", "budget of the bridge", "tunnel will open"]


def rows(data_dir: Path) -> dict[str, list[tuple]]:
    """Every row of every table, straight from the database."""
    engine = make_engine(Settings(data_dir=data_dir, **FAST))  # type: ignore[arg-type]
    try:
        with engine.connect() as conn:
            return {
                table.name: [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns))]
                for table in SQLModel.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def run_cli(monkeypatch: pytest.MonkeyPatch, data_dir: Path, *argv: str) -> int:
    monkeypatch.setenv("CROSSCHECK_DATA_DIR", str(data_dir))
    monkeypatch.setenv("CROSSCHECK_MULTILINGUAL", "false")
    get_settings.cache_clear()
    try:
        return cli.main(list(argv))
    finally:
        get_settings.cache_clear()


@pytest.fixture
def source_store(make_client, tmp_path: Path) -> tuple[Path, dict[str, list]]:
    """A store with the seeds, an article with odd characters, and a deleted source (a gap in the ids)."""
    data = tmp_path / "a"
    with make_client(HashingEncoder(), data_dir=data, **FAST) as client:
        ids = [client.post("/sources", json={"text": p.read_text(encoding="utf-8")}).json()["id"] for p in seed_files()]
        client.post("/sources", json={"text": ODD, "title": "Br\u00fccke \u202eRTL", "published_at": "2025-04-28"})
        assert client.delete(f"/sources/{ids[3]}").status_code == 204
        answers = {q: client.post("/claims/match", json={"text": q, "k": 10}).json() for q in QUERIES}
    return data, answers


def test_round_trip_is_exact_and_needs_no_encoder(source_store, make_client, monkeypatch, tmp_path: Path) -> None:
    data, answers = source_store
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    assert run_cli(monkeypatch, data, "export", str(first)) == 0
    restored = tmp_path / "b"
    # No encoder is loaded by import: the vectors travel in the file (the model would take seconds to load).
    monkeypatch.setattr("embeddings.Encoder.__init__", lambda *a, **k: pytest.fail("import loaded a model"))
    assert run_cli(monkeypatch, restored, "import", str(first)) == 0
    assert run_cli(monkeypatch, restored, "export", str(second)) == 0
    assert first.read_bytes() == second.read_bytes()
    original, copy = rows(data), rows(restored)
    assert original == copy
    assert len(original["source"]) == len(seed_files()) and len(original["claim"]) > 100

    encoder = HashingEncoder()
    with make_client(encoder, data_dir=restored, **FAST) as client:
        assert client.app.state.runtime.index_report.state == "loaded"  # import saved the index
        for q, expected in answers.items():
            assert client.post("/claims/match", json={"text": q, "k": 10}).json() == expected
        assert encoder.documents_encoded == 0
        # New ids continue after the imported ones; a deleted id is not handed out again.
        new = client.post("/sources", json={"text": "The port reopened on Sunday after the strike, the union said."})
        assert new.json()["id"] > max(r[0] for r in original["source"])


def test_import_refuses_a_store_that_is_not_empty(source_store, monkeypatch, tmp_path: Path, capsys) -> None:
    data, _ = source_store
    export = tmp_path / "x.jsonl"
    assert run_cli(monkeypatch, data, "export", str(export)) == 0
    before = rows(data)
    assert run_cli(monkeypatch, data, "import", str(export)) == 1
    assert "not empty" in capsys.readouterr().err
    assert rows(data) == before


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda lines: lines[:-1], "truncated"),
        (lambda lines: lines[: len(lines) // 2], "truncated"),
        (lambda lines: [*lines[:5], "{not json", *lines[5:]], "not valid JSON"),
        (lambda lines: ['{"format": "something-else", "version": 1}', *lines[1:]], "not a crosscheck-export"),
        (lambda lines: [lines[0].replace('"title"', '"headline"'), *lines[1:]], "does not know"),
        (lambda lines: [*lines, lines[2]], "after the end marker"),
        (lambda lines: [lines[0], lines[1].replace('"id": 1', '"id": "one"'), *lines[2:]], "line 2"),
    ],
)
def test_a_damaged_file_imports_nothing(source_store, tmp_path: Path, damage, message: str) -> None:
    data, _ = source_store
    engine = make_engine(Settings(data_dir=data, **FAST))  # type: ignore[arg-type]
    try:
        lines = list(export_rows(engine, {}))
    finally:
        engine.dispose()
    target = Settings(data_dir=tmp_path / "t", **FAST)  # type: ignore[arg-type]
    with pytest.raises(TransferError, match=message):
        import_store(target, io.StringIO("\n".join(damage(lines)) + "\n"))
    assert all(not table_rows for name, table_rows in rows(tmp_path / "t").items() if name != "storeinfo")


def test_vectors_of_another_model_are_refused(source_store, tmp_path: Path) -> None:
    data, _ = source_store
    engine = make_engine(Settings(data_dir=data, **FAST))  # type: ignore[arg-type]
    try:
        lines = list(export_rows(engine, {}))
    finally:
        engine.dispose()
    target = Settings(data_dir=tmp_path / "t", **FAST)  # type: ignore[arg-type]
    other = make_engine(target)
    with other.begin() as conn:
        conn.exec_driver_sql("INSERT INTO storeinfo (key, value) VALUES ('embedding_model', 'other-model@384')")
    other.dispose()
    with pytest.raises(TransferError, match="other-model@384"):
        import_store(target, io.StringIO("\n".join(lines) + "\n"))


def test_export_lists_every_column_of_every_table(source_store, tmp_path: Path) -> None:
    """Columns other code adds later are carried without changes to the export code."""
    data, _ = source_store
    engine = make_engine(Settings(data_dir=data, **FAST))  # type: ignore[arg-type]
    try:
        header = json.loads(next(iter(export_rows(engine, {}))))
    finally:
        engine.dispose()
    expected = {t.name: [c.name for c in t.columns] for t in SQLModel.metadata.sorted_tables}
    assert header["tables"] == expected
    assert "embedding" in header["tables"]["claim"]


def test_import_saves_every_encoders_index(make_client, monkeypatch, tmp_path: Path) -> None:
    """The additional encoder's index is saved by the import too: the next start loads it, builds nothing."""
    data, restored, export = tmp_path / "a", tmp_path / "b", tmp_path / "x.jsonl"
    extra = {"use": HashingEncoder(dim=32)}
    with make_client(HashingEncoder(), data_dir=data, extra_encoders=extra) as client:
        for path in seed_files()[:3]:
            assert client.post("/sources", json={"text": path.read_text(encoding="utf-8")}).status_code == 201
    assert run_cli(monkeypatch, data, "export", str(export)) == 0
    assert run_cli(monkeypatch, restored, "import", str(export)) == 0
    settings = Settings(data_dir=restored)
    assert settings.index_path.is_file() and settings.encoder_index_path("use").is_file()
    with make_client(HashingEncoder(), data_dir=restored, extra_encoders=extra) as client:
        runtime = client.app.state.runtime
        assert runtime.index_report.state == "loaded"
        assert runtime.extras["use"].report.state == "loaded"
        assert client.get("/health").json()["indexes"] == {"use": runtime.index.__len__()}
