"""service.client against the real app served by uvicorn on 127.0.0.1: every call the README's curl examples make."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.client import AsyncClient, Client, CrosscheckError
from service.config import Settings, get_settings
from service.main import create_app
from service.schemas import MatchResponse
from tests.helpers import REPO, HashingEncoder, seed_files, serve
from tests.netguard import loopback_only

__all__ = ["loopback_only"]


@pytest.fixture
def server(tmp_path: Path, loopback_only: list[str]) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path / "data", multilingual=False, sync_interval_seconds=0)
    app = create_app(encoder=HashingEncoder(), extra_encoders={})
    app.dependency_overrides[get_settings] = lambda: settings
    with serve(app) as base_url:
        yield base_url


def test_client_does_what_the_readme_curl_examples_do(server: str) -> None:
    seeds = seed_files()[:4]
    with Client(server) as cc:
        stored = [cc.ingest(p.read_text(encoding="utf-8")) for p in seeds]
        assert all(s.claims for s in stored) and stored[0].outlet == "Baltic Wire Service"
        again = cc.ingest(seeds[0].read_text(encoding="utf-8"))
        assert again.id == stored[0].id and stored[0].created and not again.created  # the same text: the stored copy
        found = cc.match("North Korea sent more than 10,000 soldiers to Kursk", k=5, per_source=True)
        assert isinstance(found, MatchResponse) and found.matches
        assert all(0 <= m.score <= 1 for m in found.matches)
        filtered = cc.match("Kim sent troops to Kursk", mode="dense", outlets=["Baltic Wire Service"])
        assert filtered.matches and {m.source.id for m in filtered.matches} == {stored[0].id}
        dated = cc.match("Kim sent troops to Kursk", published_after=stored[1].published_at, languages=["en"])
        assert all(m.source.published_at >= stored[1].published_at for m in dated.matches)  # type: ignore[operator]
        detail = cc.source(stored[0].id)
        assert detail.text[detail.claims[0].start : detail.claims[0].end] == detail.claims[0].text
        report = cc.report(stored[0].id, k=3)
        assert report.source.id == stored[0].id and report.claims
        assert {s.id for s in cc.sources()} == {s.id for s in stored}
        assert cc.health().claims == sum(len(s.claims) for s in stored)
        cc.delete(stored[3].id)
        with pytest.raises(CrosscheckError) as missing:
            cc.source(stored[3].id)
        assert missing.value.status == 404 and "source" in str(missing.value.detail).lower()
        with pytest.raises(CrosscheckError) as invalid:
            cc.match("bridge", k=0)
        assert invalid.value.status == 422 and isinstance(invalid.value.detail, list)
        with pytest.raises(CrosscheckError) as refused:
            cc.ingest_url("http://127.0.0.1:9/article")  # loopback: refused before anything is fetched
        assert refused.value.status == 422 and "loopback" in str(refused.value.detail)


def test_async_client_pages_and_matches(server: str) -> None:
    async def scenario() -> tuple[int, int, int]:
        async with AsyncClient(server) as cc:
            for p in seed_files()[:3]:
                await cc.ingest(p.read_text(encoding="utf-8"))
            found = await cc.match("troops in Kursk", k=3)
            listed = [s async for s in cc.sources()]
            return len(found.matches), len(listed), (await cc.health()).claims

    matches, listed, claims = asyncio.run(scenario())
    assert matches == 3 and listed == 3 and claims > 0


def test_importing_the_client_loads_no_numeric_stack() -> None:
    code = (
        "import sys; import service.client; "
        "print(sorted(m for m in ('torch', 'faiss', 'onnxruntime', 'numpy', 'sqlalchemy') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_cli_match_report_and_ingest_against_a_running_server(
    server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from service import cli

    # No data dir is opened: the CLI talks to the server only (its own data dir would be this empty folder).
    monkeypatch.setenv("CROSSCHECK_DATA_DIR", str(tmp_path / "unused"))
    get_settings.cache_clear()
    assert cli.main(["ingest", "--server", server, *[str(p) for p in seed_files()[:3]]]) == 0
    assert "new: 3" in capsys.readouterr().out
    assert cli.main(["ingest", "--server", server, str(seed_files()[0])]) == 0
    assert "already present: 1" in capsys.readouterr().out
    monkeypatch.setenv("CROSSCHECK_SERVER", server)
    assert cli.main(["match", "North Korea sent troops to Kursk", "-k", "3", "--json"]) == 0
    answer = MatchResponse.model_validate_json(capsys.readouterr().out)
    assert len(answer.matches) == 3
    url = answer.matches[0].source.url
    assert url and cli.main(["report", url, "-k", "2"]) == 0
    assert "corroborat" in capsys.readouterr().out.lower()
    assert cli.main(["report", "999999"]) == 1
    assert "404" in capsys.readouterr().err
    assert not (tmp_path / "unused").exists()
    get_settings.cache_clear()
