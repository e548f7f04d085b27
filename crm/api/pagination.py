from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    """Every list pages with an opaque cursor (`next`, `previous`): stable while rows are added, and as fast on
    page 1,000 as on page 1. Views name their `ordering` (its first field should be indexed)."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-pk"
