"""Shared fixtures: the real packaged model (loaded once per test session), a fast fake encoder, app clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from embeddings import Encoder, TextEncoder
from embeddings.use import MultilingualEncoder
from service.config import Settings, get_settings
from service.main import create_app
from tests.helpers import HashingEncoder


@pytest.fixture(scope="session")
def real_encoder() -> Encoder:
    """The packaged all-MiniLM-L6-v2, loaded once for the whole run."""
    return Encoder()


@pytest.fixture(scope="session")
def use_encoder() -> MultilingualEncoder:
    """The packaged multilingual USE, loaded once for the whole run (tests that want it pass it explicitly)."""
    return MultilingualEncoder()


@pytest.fixture
def fake_encoder() -> HashingEncoder:
    return HashingEncoder()


@pytest.fixture
def make_client(tmp_path: Path) -> Callable[..., object]:
    """`with make_client(encoder, **settings) as client:` runs the app's lifespan on a temp data dir.

    The multilingual encoder is off unless a test passes `extra_encoders` (e.g. `{"use": use_encoder}`), so
    the many tests with a fake encoder do not each load it.
    """

    @contextmanager
    def factory(
        encoder: TextEncoder,
        data_dir: Path | None = None,
        extra_encoders: Mapping[str, TextEncoder] | None = None,
        **overrides: object,
    ) -> Iterator[TestClient]:
        overrides.setdefault("multilingual", extra_encoders is not None)
        settings = Settings(data_dir=data_dir or tmp_path / "data", **overrides)  # type: ignore[arg-type]
        app = create_app(encoder=encoder, extra_encoders=extra_encoders or {})
        app.dependency_overrides[get_settings] = lambda: settings
        with TestClient(app) as client:
            yield client

    return factory
