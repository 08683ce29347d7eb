"""The `crosscheck` command line: ingest folders and JSONL, match, reindex."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service import cli, reindex, runtime
from service.config import get_settings
from tests.helpers import SEEDS, seed_files


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_encoder):
    monkeypatch.setenv("CROSSCHECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    # The CLI loads the configured model; hand it the session's already-loaded copy instead.
    monkeypatch.setattr(runtime, "load_encoder", lambda *_a, **_k: real_encoder)
    monkeypatch.setattr(reindex, "load_encoder", lambda *_a, **_k: real_encoder)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_ingest_match_reindex(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feed = cli_env / "feed.jsonl"
    feed.write_text(
        "\n".join(
            [
                json.dumps({"text": "The city opened a new tram line on Friday, the mayor said.", "outlet": "Desk"}),
                "{broken json",
                json.dumps({"text": "   "}),
                json.dumps(["not", "an", "object"]),
            ]
        )
        + "\n"
    )
    assert cli.main(["ingest", "-q", str(SEEDS), str(feed)]) == 1  # some lines are rejected
    out = capsys.readouterr().out
    assert f"new: {len(seed_files()) + 1} " in out
    assert "rejected: 3" in out
    assert "feed.jsonl:2: not valid JSON" in out
    assert "feed.jsonl:3: text: Value error, text is empty" in out
    assert "feed.jsonl:4: each line must be a JSON object" in out

    assert cli.main(["ingest", "-q", str(SEEDS)]) == 0
    assert f"already present: {len(seed_files())}" in capsys.readouterr().out

    assert cli.main(["match", "North Korea sent more than 10,000 soldiers to Kursk", "-k", "3", "--json"]) == 0
    response = json.loads(capsys.readouterr().out)
    assert len(response["matches"]) == 3
    assert all("Kursk" in m["claim"]["text"] or "North" in m["claim"]["text"] for m in response["matches"])
    # By default one claim per independent source; --no-per-source lists every claim, several per article.
    query = "North Korea sent more than 10,000 soldiers to Kursk"
    assert cli.main(["match", query, "-k", "10", "--json"]) == 0
    groups = [m["copy_group"] for m in json.loads(capsys.readouterr().out)["matches"]]
    assert len(groups) == len(set(groups))
    assert cli.main(["match", query, "-k", "10", "--no-per-source", "--json"]) == 0
    sources = [m["source"]["id"] for m in json.loads(capsys.readouterr().out)["matches"]]
    assert len(sources) == 10 and len(set(sources)) < len(sources)

    assert cli.main(["match", "tram line opened", "-k", "1"]) == 0
    assert "tram line" in capsys.readouterr().out

    assert cli.main(["reindex"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["reencoded"] == 0 and report["index_size"] > 100


def test_ingest_missing_path_and_bad_k(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ingest", str(cli_env / "nope")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert cli.main(["match", "anything", "-k", "0"]) == 2
    assert "greater than or equal to 1" in capsys.readouterr().err
