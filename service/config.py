"""Settings, read from CROSSCHECK_* environment variables (and DATABASE_URL)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "CROSSCHECK_"


class Settings(BaseSettings):
    """Every knob the service reads. The README's configuration table lists them."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Folder for the SQLite file and the FAISS index.")
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "CROSSCHECK_DATABASE_URL"),
        description="SQLAlchemy URL; default is a SQLite file in data_dir.",
    )
    model: str | None = Field(
        default=None, description="Local sentence-transformers model directory; default: packaged all-MiniLM-L6-v2."
    )
    max_text_bytes: int = Field(default=1_000_000, ge=1, description="Largest article text accepted (UTF-8 bytes).")
    max_claims_per_source: int = Field(default=5_000, ge=1, description="Articles with more claims are refused.")
    max_query_chars: int = Field(default=5_000, ge=1, description="Longest claim text accepted by match.")
    log_level: str = Field(default="info", description="Log level of the service.")

    @property
    def max_body_bytes(self) -> int:
        """Whole request body cap: the text limit plus room for JSON escaping and the other fields."""
        return self.max_text_bytes * 2 + 65_536

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'crosscheck.db').resolve()}"

    @property
    def index_path(self) -> Path:
        return self.data_dir / "index" / "claims.faiss"


def env_var_names() -> set[str]:
    """Every environment variable `Settings` reads (used to check deployment files)."""
    names: set[str] = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice) for choice in alias.choices)
        else:
            names.add(f"{ENV_PREFIX}{name}".upper())
    return names


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests replace it through `app.dependency_overrides`."""
    return Settings()
