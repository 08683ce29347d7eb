"""The OpenAPI response examples are real answers that still fit the response models."""

from __future__ import annotations

from typing import Any

from service.api.examples import _examples
from service.main import create_app
from service.schemas import CrossReferenceReport, MatchResponse, SourceDetail
from tests.helpers import HashingEncoder


def _without_none(value: Any) -> Any:
    """The spec leaves out null fields of an example."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def test_examples_fit_the_models_and_are_in_the_spec() -> None:
    examples = _examples()
    match = MatchResponse.model_validate(examples["match"])
    source = SourceDetail.model_validate(examples["source"])
    report = CrossReferenceReport.model_validate(examples["report"])
    assert match.matches and all(0 <= m.score <= 1 for m in match.matches)
    assert all(source.text[c.start : c.end] == c.text for c in source.claims)
    assert report.claims and report.source.id == source.id
    spec = create_app(encoder=HashingEncoder(), extra_encoders={}).openapi()
    shown = {
        ("/claims/match", "post", "200"): "match",
        ("/sources", "post", "201"): "source",
        ("/sources/{source_id}", "get", "200"): "source",
        ("/sources/{source_id}/cross-references", "get", "200"): "report",
    }
    for (path, method, status), name in shown.items():
        example = spec["paths"][path][method]["responses"][status]["content"]["application/json"]["example"]
        assert example["id" if name == "source" else ("query" if name == "match" else "source")] is not None
        expected = {k: v for k, v in examples[name].items() if not (status == "201" and k == "text")}
        assert example == _without_none(expected)
