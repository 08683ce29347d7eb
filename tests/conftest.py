"""Shared fixtures: the real packaged model (loaded once per test session), a fast fake encoder, app clients,
and the database every test runs on.

Database: SQLite files in each test's temp dir by default. With ``CROSSCHECK_TEST_DATABASE_URL`` set to a
PostgreSQL URL (``make test`` and CI set it to a throwaway cluster, see ``.ci/postgres``), the whole suite runs
on PostgreSQL instead: every test gets fresh schemas of that database through ``DATABASE_URL`` (in-process
settings, the CLI and the servers that benchmarks start alike; one schema per data dir, see `database_url`),
dropped after the test. Tests that need SQLite itself (they open or damage the SQLite file) are marked
``sqlite_only`` or listed in `SQLITE_ONLY` and skip there, with the reason.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL, make_url

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
        with TestClient(app, base_url="http://localhost") as client:
            yield client

    return factory


# --- The database under test ---

TEST_DATABASE_URL_ENV = "CROSSCHECK_TEST_DATABASE_URL"
TEST_DATABASE_URL = os.environ.get(TEST_DATABASE_URL_ENV) or None
_SCHEMA_PREFIX = "cct_"

# Tests of other modules that depend on SQLite itself (they open the SQLite file): skipped on PostgreSQL.
SQLITE_ONLY: dict[str, str] = {
    "tests/service/test_hybrid.py::test_lexical_index_follows_ingest_and_delete": (
        "runs FTS5's integrity check on the SQLite file (the sidecar's: tests/service/test_postgres.py)"
    ),
    "tests/service/test_hybrid.py::test_triggers_hold_for_cascades_and_title_edits": (
        "edits the SQLite file directly (edits reaching the sidecar: tests/service/test_postgres.py)"
    ),
    "tests/service/test_syndication.py::test_store_from_before_copy_groups_gets_the_columns": (
        "migrates a SQLite file made by hand"
    ),
    "tests/service/test_hybrid.py::test_hybrid_falls_back_to_dense_without_fts5": (
        "ends with FTS5's integrity check on the SQLite file (the sidecar's: tests/service/test_postgres.py)"
    ),
    "tests/bench/test_crash.py::test_sigkill_loses_nothing_acknowledged": (
        "bench/crash.py checks SQLite's own durability against copies of the database file"
    ),
    "tests/bench/test_crash.py::test_alerts_pending_at_a_kill_are_raised_and_delivered_after_the_restart": (
        "bench/crash.py's server keeps its store in its own work folder (a SQLite file)"
    ),
    "tests/bench/test_perf.py::test_store_is_a_working_crosscheck_store_and_is_cached": (
        "the perf bench's cached corpus store is a SQLite file"
    ),
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only(reason): needs SQLite itself; skipped on PostgreSQL")


def pytest_report_header() -> str:
    if TEST_DATABASE_URL is None:
        return "database: SQLite (a file per test)"
    return f"database: PostgreSQL, a schema per test ({make_url(TEST_DATABASE_URL).render_as_string()})"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if TEST_DATABASE_URL is None:
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        reason = marker.args[0] if marker and marker.args else None
        for prefix, why in SQLITE_ONLY.items():
            if item.nodeid == prefix or item.nodeid.startswith(prefix + "["):
                reason = why
        if marker is not None or reason is not None:
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason or 'needs SQLite'}"))


class PostgresSchemas:
    """Creates and drops throwaway schemas in the test database (one admin connection for the whole run)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.base = make_url(url)
        self._conn = psycopg.connect(self.base.set(drivername="postgresql").render_as_string(hide_password=False))
        self._conn.autocommit = True
        self._names = itertools.count(1)
        self._drop_stale()

    def _drop_stale(self) -> None:
        """Schemas left by runs that died (their pid is gone) would only pile up."""
        rows = self._conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (_SCHEMA_PREFIX + "%",)
        ).fetchall()
        for (name,) in rows:
            pid = name.removeprefix(_SCHEMA_PREFIX).split("_")[0]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                self.drop(name)

    def url(self, schema: str, *, client: str | None = None) -> str:
        """A URL whose connections use `schema`; `client` (application_name) tells its connections apart."""
        query = {"options": f"-csearch_path={schema}", "application_name": client or schema}
        return self.base.update_query_dict(query).render_as_string(hide_password=False)

    def create(self) -> str:
        name = f"{_SCHEMA_PREFIX}{os.getpid()}_{next(self._names)}"
        self._conn.execute(f'CREATE SCHEMA "{name}"')
        return name

    def drop(self, name: str) -> None:
        # Connections a test left open (a server it killed, an engine it did not dispose) would hold locks.
        self._conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE (application_name = %s OR application_name LIKE %s) AND pid <> pg_backend_pid()",
            (name, name + ".%"),
        )
        self._conn.execute("SET lock_timeout = '20s'")
        self._conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')

    def close(self) -> None:
        self._conn.close()


@pytest.fixture(scope="session")
def postgres_schemas() -> Iterator[PostgresSchemas | None]:
    if TEST_DATABASE_URL is None:
        yield None
        return
    schemas = PostgresSchemas(TEST_DATABASE_URL)
    yield schemas
    schemas.close()


@pytest.fixture(autouse=True)
def database_url(postgres_schemas: PostgresSchemas | None) -> Iterator[str | None]:
    """The database of this test: None for SQLite in the data dir, else the URL of a fresh PostgreSQL schema.

    On PostgreSQL, settings that take the database from the environment get one schema per data dir, as each
    data dir has its own SQLite file: the first data dir this process uses is the test's schema (the one the
    servers a test starts use too, through DATABASE_URL), every other data dir a fresh schema. A test that
    passes this URL explicitly shares the test's schema between data dirs (several instances, one database).
    """
    # Its own MonkeyPatch: a test that calls `monkeypatch.undo()` must not undo the database choice.
    with pytest.MonkeyPatch.context() as patch:
        yield from _use_database(postgres_schemas, patch)


def _use_database(postgres_schemas: PostgresSchemas | None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str | None]:
    monkeypatch.delenv("CROSSCHECK_DATABASE_URL", raising=False)
    get_settings.cache_clear()  # a cached Settings would carry the previous test's database
    if postgres_schemas is None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
        yield None
        get_settings.cache_clear()
        return
    schemas = postgres_schemas
    main = schemas.create()
    # The same schema under two spellings: the environment's, mapped per data dir, and the explicit one.
    from_env = schemas.url(main, client=f"{main}.env")
    stores: dict[Path, str] = {}
    extra: list[str] = []
    plain_url = Settings.sqlalchemy_url

    def sqlalchemy_url(settings: Settings) -> str:
        if settings.database_url != from_env:
            url: str = plain_url.fget(settings)  # type: ignore[attr-defined]
            return url
        key = settings.data_dir.resolve()
        if key not in stores:
            if stores:
                extra.append(schemas.create())
                stores[key] = schemas.url(extra[-1])
            else:
                stores[key] = from_env
        return stores[key]

    monkeypatch.setattr(Settings, "sqlalchemy_url", property(sqlalchemy_url))
    monkeypatch.setenv("DATABASE_URL", from_env)
    try:
        yield schemas.url(main)
    finally:
        get_settings.cache_clear()
        for schema in [main, *extra]:
            schemas.drop(schema)


@pytest.fixture
def new_database_url(postgres_schemas: PostgresSchemas | None, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """`new_database_url()`: the URL of another empty database (a fresh schema, or a SQLite file)."""
    made: list[str] = []
    files = itertools.count(1)

    def factory() -> str:
        if postgres_schemas is None:
            path = tmp_path / f"extra-{next(files)}" / "crosscheck.db"
            path.parent.mkdir(parents=True, exist_ok=True)
            return URL.create("sqlite", database=str(path)).render_as_string()
        made.append(postgres_schemas.create())
        return postgres_schemas.url(made[-1])

    yield factory
    for schema in made:
        assert postgres_schemas is not None
        postgres_schemas.drop(schema)
