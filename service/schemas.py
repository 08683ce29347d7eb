"""Request and response shapes of the HTTP API (never the table models themselves)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from embeddings import ModelId

SEED_EXAMPLE_TEXT = (
    "# Pyongyang Sends Troops to Kursk\n\nBy [Example Wire](#)\n\nApril 29, 2025\n\n"
    "North Korea has sent more than 10,000 soldiers to fight alongside Russian forces in the Kursk region, "
    "officials said on Tuesday.\n\nOriginal url:\n\n<https://news.example/2025/04/29/kursk>"
)

ShortStr = Annotated[str, StringConstraints(strip_whitespace=True, max_length=512)]
MAX_K = 100


class _Strict(BaseModel):
    # Unknown fields are an error: a typo such as "outet" should not be silently dropped.
    model_config = ConfigDict(extra="forbid")


class SourceCreate(_Strict):
    """An article to ingest. Only `text` is required; metadata in the text is read when fields are absent."""

    text: str = Field(description="The article: plain text, markdown, or the seed format with title/byline/date/url.")
    title: ShortStr | None = None
    url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048)] | None = None
    outlet: ShortStr | None = None
    author: ShortStr | None = None
    published_at: dt.date | None = Field(default=None, description="ISO date, e.g. 2025-04-28.")
    language: Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)] | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": SEED_EXAMPLE_TEXT, "outlet": "Example Wire"}]},
    )

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty: send the article's text")
        return value


class ClaimPublic(BaseModel):
    id: int
    source_id: int
    text: str
    start: int
    end: int
    position: int
    speaker: str | None


class SourceBrief(BaseModel):
    id: int
    title: str | None
    outlet: str | None
    url: str | None
    published_at: dt.date | None


class SourcePublic(BaseModel):
    id: int
    title: str | None
    url: str | None
    outlet: str | None
    author: str | None
    published_at: dt.date | None
    language: str | None
    ingested_at: dt.datetime
    claims: list[ClaimPublic]


class SourceDetail(SourcePublic):
    text: str = Field(description="The stored article text; every claim is text[start:end].")


class SourceSummary(BaseModel):
    id: int
    title: str | None
    url: str | None
    outlet: str | None
    author: str | None
    published_at: dt.date | None
    language: str | None
    ingested_at: dt.datetime
    claim_count: int


class SourcesPublic(BaseModel):
    data: list[SourceSummary]
    count: int


class MatchQuery(_Strict):
    """A claim to look up among the ingested sources."""

    text: str = Field(description="The claim, one or two sentences.")
    k: int = Field(default=10, ge=1, le=MAX_K, description="How many matches to return (1..100).")
    min_score: float | None = Field(default=None, ge=-1.0, le=1.0, description="Drop matches below this cosine.")
    exclude_source_ids: list[int] = Field(default_factory=list, max_length=10_000)
    per_source: bool = Field(default=False, description="Keep only the best claim of each source.")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"text": "North Korea sent more than 10,000 soldiers to Kursk", "k": 5, "per_source": True}]
        },
    )

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty: send the claim to match")
        return value


class Match(BaseModel):
    rank: int
    score: float = Field(description="Cosine similarity of the query and the claim, -1..1.")
    claim: ClaimPublic
    source: SourceBrief


class MatchResponse(BaseModel):
    query: str
    matches: list[Match]


class ClaimCrossReference(BaseModel):
    claim: ClaimPublic
    matches: list[Match]


class CrossReferenceReport(BaseModel):
    source: SourceBrief
    claims: list[ClaimCrossReference]


class Health(BaseModel):
    status: str
    model: str
    dim: int
    claims: int
    index_size: int
    database: str

    @classmethod
    def build(cls, *, model_id: ModelId, claims: int, index_size: int, database: str) -> Health:
        ok = database == "ok" and claims == index_size
        return cls(
            status="ok" if ok else "degraded",
            model=model_id.name,
            dim=model_id.dim,
            claims=claims,
            index_size=index_size,
            database=database,
        )
