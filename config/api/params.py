"""Query parameters a list endpoint does not know are an error, not silently ignored
(`?search=` on an endpoint that filters with `q` would otherwise return everything)."""

from __future__ import annotations

from collections.abc import Iterable

from rest_framework import exceptions

ALWAYS_KNOWN = ("page", "format")


def reject_unknown_params(request, known: Iterable[str]) -> None:
    """400 naming the unknown parameters and listing the known ones."""
    allowed = sorted({*known, *ALWAYS_KNOWN})
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        raise exceptions.ValidationError(
            {
                "non_field_errors": [
                    f"Unknown query parameter{'s' if len(unknown) > 1 else ''}: "
                    f"{', '.join(unknown)}. Known: {', '.join(allowed)}."
                ],
                "unknown": unknown,
                "known": allowed,
            }
        )
