"""Settings, read from CROSSCHECK_* environment variables (and DATABASE_URL)."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "CROSSCHECK_"
# `crosscheck keys create` prints entries of this form: key id, scope, salt, salted SHA-256 of the secret.
API_KEY_ENTRY = re.compile(r"^[0-9a-f]{8,32}:(read|write):[0-9a-f]{32}:[0-9a-f]{64}$")


def _comma_list(value: Any) -> Any:
    """Lists in the environment are comma-separated (`a,b`); blanks are dropped."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """Every knob the service reads. The README's configuration table lists them."""

    # hide_input_in_errors: a mistyped setting may hold a secret (a pasted API key, a database password).
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", hide_input_in_errors=True)

    data_dir: Path = Field(default=Path("data"), description="Folder for the SQLite file and the FAISS index.")
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "CROSSCHECK_DATABASE_URL"),
        description="SQLAlchemy URL; default is a SQLite file in data_dir.",
    )
    model: str | None = Field(
        default=None, description="Local sentence-transformers model directory; default: packaged all-MiniLM-L6-v2."
    )
    # onnx is the default because CLEF2020 dev MAP@5 held (dense -0.002, hybrid +0.002 vs torch) at about
    # 3x the speed and a cold start without torch (bench/onnx_encoder.py); both share one vector space.
    encoder_backend: Literal["torch", "onnx"] = Field(
        default="onnx",
        description="How the model runs: onnx (int8 graph on onnxruntime, made once into the user cache; "
        "embeddings/onnx.py) or torch (sentence-transformers). Stores work with either.",
    )
    max_text_bytes: int = Field(default=1_000_000, ge=1, description="Largest article text accepted (UTF-8 bytes).")
    max_claims_per_source: int = Field(default=5_000, ge=1, description="Articles with more claims are refused.")
    max_query_chars: int = Field(default=5_000, ge=1, description="Longest claim text accepted by match.")
    log_level: str = Field(default="info", description="Log level of the service.")
    multilingual: bool = Field(
        default=True,
        description="Also encode claims with the multilingual USE model (own FAISS index) for cross-lingual matches.",
    )
    ukrainian_mt: bool = Field(
        default=True,
        description="The multilingual encoder reads Ukrainian sentences rewritten in Russian by Apertium's ukr-rus "
        "pair when it is installed (apt-get install apertium apertium-rus-ukr); false: the letter fold alone.",
    )
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated salted key hashes from `crosscheck keys create`; none: loopback only, no auth.",
    )
    reads_require_key: bool = Field(default=False, description="Reads need a key too (read or write scope).")
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Without API keys, host names (comma-separated) a request may be addressed to besides localhost, "
        "127.0.0.1 and [::1] (the Host header): a web page cannot reach the keyless API through a name of its own.",
    )
    fetch_allow_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated CIDRs that POST /sources/from-url may fetch from although they are not public.",
    )
    webhook_allow_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated CIDRs a watch's callback URL may point into although they are not public "
        "(an intranet receiver; 127.0.0.0/8 for one on this machine).",
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120, description="Budget of one alert delivery.")
    webhook_retry_hours: float = Field(
        default=24.0, gt=0, le=24 * 14, description="How long an alert's delivery is retried before it is failed."
    )
    organization_name: str | None = Field(
        default=None,
        max_length=512,
        description="Your newsroom's name: the author of the ClaimReview GET /claims/{id}/claimreview publishes.",
    )
    organization_url: str | None = Field(default=None, max_length=2048, description="Your newsroom's home page.")
    fetch_timeout_seconds: float = Field(default=15.0, gt=0, le=300, description="Budget of one URL fetch.")
    fetch_max_bytes: int = Field(default=5_000_000, ge=1, description="Largest page POST /sources/from-url reads.")
    fetch_max_redirects: int = Field(default=5, ge=0, le=20, description="Redirects followed by a URL fetch.")
    index_kind: Literal["auto", "flat", "hnsw"] = Field(
        default="auto",
        description="FAISS index: flat (exact, float32), hnsw (approximate, 8-bit vectors) or auto (flat below "
        "index_threshold claims, hnsw above; embeddings/index.py).",
    )
    index_threshold: int = Field(default=30_000, ge=1, description="Claims from which index_kind=auto uses HNSW.")
    index_mmap: bool = Field(
        default=True,
        description="Memory-map saved indexes at start-up instead of reading them (1M claims: 0.07 s instead of 0.5 s "
        "per index); the first write copies the index into memory.",
    )
    sync_interval_seconds: float = Field(
        default=1.0,
        ge=0,
        le=3600,
        description="Seconds between reads of the change log by which instances sharing a database pick up each "
        "other's new and deleted claims (service/sync.py); 0 turns the sync thread off.",
    )
    change_log_keep: int = Field(
        default=100_000,
        ge=1_000,
        description="Newest change-log rows kept; an instance further behind does a full comparison instead.",
    )

    @field_validator("api_keys", "fetch_allow_networks", "allowed_hosts", "webhook_allow_networks", mode="before")
    @classmethod
    def _split_lists(cls, value: Any) -> Any:
        return _comma_list(value)

    @field_validator("api_keys")
    @classmethod
    def _check_keys(cls, value: list[str]) -> list[str]:
        for position, entry in enumerate(value, start=1):
            if not API_KEY_ENTRY.match(entry):
                raise ValueError(
                    f"CROSSCHECK_API_KEYS entry {position} is not `id:scope:salt:hash` "
                    "(make entries with `crosscheck keys create`; never put the secret itself here)"
                )
        return value

    @field_validator("fetch_allow_networks", "webhook_allow_networks")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"CROSSCHECK_FETCH_ALLOW_NETWORKS: {entry!r} is not a CIDR network ({exc})") from exc
        return value

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

    @property
    def lexical_path(self) -> Path:
        """The local FTS5 sidecar that serves lexical search when the database is not SQLite."""
        return self.data_dir / "lexical.sqlite"

    def encoder_index_path(self, encoder: str) -> Path:
        """The FAISS file of an additional encoder's index, next to the default one."""
        return self.index_path.with_name(f"claims.{encoder}.faiss")


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
