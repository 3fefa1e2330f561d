"""Which registered API a call to a catch-all route is (an HTTP API's ``$default`` route).

A call to a named route carries its template (``GET /orders/{id}``) and is looked up by it.
A call to the catch-all route carries only its path: the API is the gateway's registered one
whose method (or ``ANY``) and path template match it, ``{name}`` standing for one segment and
``{name+}`` for the rest (one segment or more), the most specific first (CONTRACT.md 3.4).
Pure, and on the authorizer's cold-start path: NamedTuples, no regular expressions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from chalicelib.domain.objects import Route

# The resource of a call that names no template: its path decides.
CATCH_ALL = "$default"
ANY_METHOD = "ANY"

_LITERAL, _PARAMETER, _GREEDY = 2, 1, 0


class RouteTemplate(NamedTuple):
    """A registered API as the catch-all route matches it."""

    method: str  # upper case, or ANY
    path: str  # the template, e.g. /orders/{id}
    route: Route


def _kind(segment: str) -> int:
    if segment.startswith("{") and segment.endswith("}") and len(segment) > 2:
        return _GREEDY if segment.endswith("+}") and len(segment) > 3 else _PARAMETER
    return _LITERAL


def specificity(template: str, path: str) -> tuple[int, ...] | None:
    """How closely ``template`` matches ``path`` (greater is more specific), or None.

    Compared segment by segment: a literal beats ``{name}``, which beats ``{name+}``.
    """
    wanted = template.split("/")
    given = path.split("/")
    ranks: list[int] = []
    for index, segment in enumerate(wanted):
        kind = _kind(segment)
        if kind == _GREEDY:
            rest = given[index:]
            if index != len(wanted) - 1 or not rest or not any(rest):
                return None
            ranks.append(kind)
            return tuple(ranks)
        if index >= len(given):
            return None
        if kind == _LITERAL and segment != given[index]:
            return None
        if kind == _PARAMETER and not given[index]:
            return None
        ranks.append(kind)
    if len(given) != len(wanted):
        return None
    # A full match outranks any greedy one that shares its prefix.
    return (*ranks, 3)


_DOT_SEGMENTS = frozenset({".", ".."})


def has_dot_segment(path: str) -> bool:
    """Whether a segment is ``.`` or ``..``, also percent-encoded (``%2e``): a backend that
    resolves it serves another path than the one matched (``/public/../admin``)."""
    for segment in path.split("/"):
        if segment in _DOT_SEGMENTS or (
            "%" in segment and segment.lower().replace("%2e", ".") in _DOT_SEGMENTS
        ):
            return True
    return False


def match_route(method: str, path: str, templates: Iterable[RouteTemplate]) -> Route | None:
    """The most specific registered API matching ``method`` and ``path``; None if none does.

    Between equally specific templates, the exact method wins over ``ANY``. A path with a dot
    segment matches nothing: which API it reaches depends on the backend, not on the template.
    """
    if has_dot_segment(path):
        return None
    method = method.upper()
    best: tuple[tuple[int, ...], int] | None = None
    found: Route | None = None
    for template in templates:
        if template.method not in (method, ANY_METHOD):
            continue
        rank = specificity(template.path, path)
        if rank is None:
            continue
        key = (rank, 1 if template.method == method else 0)
        if best is None or key > best:
            best, found = key, template.route
    return found
