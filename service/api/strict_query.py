"""Unknown or repeated query parameters are an error, as unknown body fields are: `?limt=5` must not silently
mean 50, nor `?limit=5&limit=9` mean 9."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

_KNOWN_ATTR = "_crosscheck_query_names"


def _query_names(dependant: Dependant) -> Iterator[str]:
    for param in dependant.query_params:
        yield param.alias
    for sub in dependant.dependencies:
        yield from _query_names(sub)


def _known_parameters(route: APIRoute) -> frozenset[str]:
    # Routes are fixed once the app is built; the dependency tree is walked once per route. Kept on the route
    # itself: a table keyed by id(route) would hand a new route the names of a collected one that had its id.
    known: frozenset[str] | None = getattr(route, _KNOWN_ATTR, None)
    if known is None:
        known = frozenset(_query_names(route.dependant))
        setattr(route, _KNOWN_ATTR, known)
    return known


def reject_unknown_query(request: Request) -> None:
    """App-wide dependency: 422 for a query parameter the route does not declare."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not route.include_in_schema:
        return
    params = request.query_params
    repeated = sorted({name for name in params if len(params.getlist(name)) > 1})
    if repeated:  # every declared parameter takes one value: `?rating=a&rating=b` must not silently mean b
        raise RequestValidationError(
            [
                {"type": "too_long", "loc": ("query", name), "msg": "Given more than once; send it once", "input": None}
                for name in repeated
            ]
        )
    unknown = sorted(set(params.keys()) - _known_parameters(route))
    if unknown:
        raise RequestValidationError(
            [
                {"type": "extra_forbidden", "loc": ("query", name), "msg": "Unknown query parameter", "input": None}
                for name in unknown
            ]
        )
