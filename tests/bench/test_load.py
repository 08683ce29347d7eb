"""bench/load.py, briefly: concurrent matches and ingests against the real server on 127.0.0.1, no errors.

The issue's figures (32 clients for 60 s, real model) come from running `python bench/load.py`; this smoke
run keeps the script working: 8 clients, 4 s, hashing encoder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load import run
from tests.netguard import loopback_only

__all__ = ["loopback_only"]


@pytest.mark.slow
@pytest.mark.usefixtures("loopback_only")
def test_load_smoke(tmp_path: Path) -> None:
    report = run(clients=8, duration=4.0, match_ratio=0.7, encoder="hashing", work_dir=tmp_path)
    assert report["error_count"] == 0, report["errors"]
    assert report["consistency"]["ok"], report["consistency"]
    assert report["by_kind"]["match"]["count"] > 0 and report["by_kind"]["ingest"]["count"] > 0
    assert report["requests"] == report["ok_requests"] > 0
    assert 0 < report["latency_ms"]["p50"] <= report["latency_ms"]["p95"] <= report["latency_ms"]["p99"]


def test_load_refuses_a_non_loopback_target() -> None:
    with pytest.raises(SystemExit, match="only targets a server on this machine"):
        run(url="http://198.51.100.7:8000", duration=1.0)


@pytest.mark.slow
@pytest.mark.usefixtures("loopback_only")
def test_load_with_active_watches(tmp_path: Path) -> None:
    report = run(clients=4, duration=3.0, match_ratio=0.5, encoder="hashing", work_dir=tmp_path, watches=25)
    assert report["error_count"] == 0 and report["consistency"]["ok"]
    assert report["watches"]["active"] == 25 and report["watches"]["pending_at_end"] == 0
