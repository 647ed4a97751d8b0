"""Page numbers for lists that may hold tens of thousands of rows.

Django's ``Paginator`` counts every row (``COUNT(*)`` of the whole table, on every
page). :class:`CappedPaginator` counts at most ``cap`` + 1 rows (a ``COUNT(*)`` over a
``LIMIT``, which an index-only scan answers) and shows a larger list as "more than
10,000": the pages past the cap are not offered (a filter or a search narrows the
list first). A list of at most ``cap`` rows is counted and paged exactly as before.
The API's lists use it too (:class:`CappedPageNumberPagination`): their ``count`` is
``cap`` + 1 for "more than ``cap``".
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

# Rows counted before a list says "more than": 200 pages of 50.
LIST_CAP = 10_000


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, cap: int = LIST_CAP, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        """The number of rows, or ``cap`` + 1 for "more than ``cap``"."""
        counted = self.object_list[: self.cap + 1]
        return counted.count() if isinstance(counted, QuerySet) else len(counted)

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        """Pages up to the cap (a page past it would need the rows counted)."""
        if self.capped:
            return -(-self.cap // self.per_page)
        return super().num_pages

    @property
    def count_label(self) -> str:
        return f"more than {self.cap:,}" if self.capped else f"{self.count:,}"


class CappedPageNumberPagination(PageNumberPagination):
    """The API's pages (REST_FRAMEWORK's default): ``count`` stops at ``LIST_CAP`` + 1."""

    django_paginator_class = CappedPaginator
