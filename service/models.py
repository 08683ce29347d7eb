"""Database tables. The database is the source of truth: it holds every claim's vector too."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, LargeBinary, Text
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Source(SQLModel, table=True):
    """One ingested article."""

    id: int | None = Field(default=None, primary_key=True)
    url: str | None = Field(default=None, index=True, max_length=2048)
    title: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    outlet: str | None = Field(default=None, index=True, max_length=256)
    author: str | None = Field(default=None, max_length=512)
    published_at: dt.date | None = Field(default=None, index=True)
    language: str | None = Field(default=None, max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(unique=True, index=True, max_length=64)
    ingested_at: dt.datetime = Field(default_factory=utcnow)


class Claim(SQLModel, table=True):
    """A sentence-level claim; `source.text[start:end] == text`."""

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True, ondelete="CASCADE")
    text: str = Field(sa_column=Column(Text, nullable=False))
    start: int
    end: int
    position: int
    speaker: str | None = Field(default=None, max_length=512)
    # float32 little-endian, unit length, of the model named in StoreInfo("embedding_model").
    embedding: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class StoreInfo(SQLModel, table=True):
    """Key/value facts about the store, e.g. which model its embeddings come from."""

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=1024)
