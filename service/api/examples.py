"""Realistic OpenAPI response examples: real answers of the service on the sample articles of seeds/ (made with
`make demo` and trimmed), kept in service/data/openapi_examples.json so that the Swagger UI shows what a
match, a source and a cross-reference report look like instead of a "string"/0 skeleton."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

EXAMPLES_PATH = Path(__file__).resolve().parents[1] / "data" / "openapi_examples.json"


@cache
def _examples() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLES_PATH.read_text(encoding="utf-8"))
    return data


def example(name: str, *, without: tuple[str, ...] = ()) -> dict[str, Any]:
    """A `responses=` entry for a 2xx answer showing the stored example `name` (minus some fields)."""
    value = {key: item for key, item in _examples()[name].items() if key not in without}
    return {"content": {"application/json": {"example": value}}}
