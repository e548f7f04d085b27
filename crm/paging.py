"""Long lists that cost the same on page 1 and page 1,000, with a count that does not read every row.

Keyset pagination: a page is "the next 25 after this row" in the list's order, found by walking the sort
key's index from that row (`WHERE (key, pk) > (…)`), where an OFFSET reads and discards every row before it.
The cursor in a link holds the boundary row's sort key and id, so ties in the key (two customers of one name,
complaints received the same minute) are broken by the id and no row is skipped or shown twice. A page number
cannot be known without counting what lies before, so the pager offers first, previous and next, as the API's
cursor pagination (crm/api/pagination.py) does; an old `?page=N` link is still served, by OFFSET.

Counting: a list PostgreSQL's planner expects to hold up to COUNT_EXACT_UP_TO rows is counted exactly (it
reads about as many index entries); above it the number is the planner's estimate, shown as "about 14,600".
"""

import base64
import binascii
import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.db.models import F, Q, QuerySet, Value
from django.db.models.expressions import BaseExpression
from django.utils.functional import cached_property

COUNT_EXACT_UP_TO = 1000
SORT_KEY = "paging_sort_key"  # the annotation the cursor reads its key from


@dataclass(frozen=True)
class Order:
    """A list's sort: one key (a field name or an expression) and its direction, then the id the same way.

    Ascending puts empty keys last and descending first, PostgreSQL's own orders, so one index serves both."""

    key: str | BaseExpression
    descending: bool = False
    nullable: bool = False
    parse: Callable = str  # a cursor's key (JSON text) back to the key's type: a field's to_python

    def reversed(self):
        return replace(self, descending=not self.descending)

    def order_by(self):
        key = F(SORT_KEY)
        if self.descending:
            return [key.desc(nulls_first=True), F("pk").desc()]
        return [key.asc(nulls_last=True), F("pk").asc()]

    def after(self, value, pk) -> Q:
        """The rows that come after (value, pk) in this order."""
        if self.descending:
            if value is None:
                return Q(**{f"{SORT_KEY}__isnull": False}) | Q(**{f"{SORT_KEY}__isnull": True, "pk__lt": pk})
            # key <= value first: the index range starts at the cursor; the rest picks out the ties.
            return Q(**{f"{SORT_KEY}__lte": value}) & (Q(**{f"{SORT_KEY}__lt": value}) | Q(pk__lt=pk))
        if value is None:
            return Q(**{f"{SORT_KEY}__isnull": True, "pk__gt": pk})
        later = Q(**{f"{SORT_KEY}__gte": value}) & (Q(**{f"{SORT_KEY}__gt": value}) | Q(pk__gt=pk))
        return later | Q(**{f"{SORT_KEY}__isnull": True}) if self.nullable else later


@dataclass
class KeysetPage:
    """One page of a keyset-paginated list: its rows and the cursors of the pages beside it."""

    object_list: list
    next_cursor: str = ""
    previous_cursor: str = ""
    is_first: bool = False
    extra: dict = field(default_factory=dict)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def has_next(self):
        return bool(self.next_cursor)

    @property
    def has_previous(self):
        return bool(self.previous_cursor) or not self.is_first

    @property
    def has_other_pages(self):
        return self.has_next or self.has_previous


class _KeyEncoder(DjangoJSONEncoder):
    """A key as its field's to_python reads it back, to the microsecond (DjangoJSONEncoder stops at the
    millisecond: complaints received within one millisecond would be skipped)."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.date | datetime.time):
            return o.isoformat()
        return super().default(o)


def encode_cursor(value, pk) -> str:
    text = json.dumps([value, pk], cls=_KeyEncoder, ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, to_python):
    """(value, pk) of a cursor made by encode_cursor, or None for anything else (a mangled link: page 1)."""
    try:
        value, pk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk < 2**63:
            return None
        return (None if value is None else to_python(value)), pk
    except (ValueError, TypeError, binascii.Error, ValidationError):
        return None


def keyset_page(queryset: QuerySet, order: Order, *, params, size: int) -> KeysetPage:
    """The page `params` (a request's GET) asks for: `after`/`before` a cursor, an old `page` number, or the
    first. One statement; two for a `page` beyond the end (then the last page is shown) or a previous page with
    nothing left before it (rows deleted since: the first page)."""
    rows = queryset.annotate(**{SORT_KEY: order.key if isinstance(order.key, BaseExpression) else F(order.key)})
    after = decode_cursor(params.get("after", ""), order.parse) if params.get("after") else None
    before = decode_cursor(params.get("before", ""), order.parse) if params.get("before") else None
    if before:
        found = list(rows.filter(order.reversed().after(*before)).order_by(*order.reversed().order_by())[: size + 1])
        more_before = len(found) > size
        found = found[:size][::-1]
        if found:
            return _page(found, order, has_more=True, has_previous=more_before, is_first=not more_before)
    ordered = rows.order_by(*order.order_by())  # also when nothing is left before the cursor: the first page
    if after and not before:
        found = list(ordered.filter(order.after(*after))[: size + 1])
        return _page(found[:size], order, has_more=len(found) > size, has_previous=True, is_first=False)
    number = 1 if before else _page_number(params.get("page"))
    if number > 1:
        start = (number - 1) * size
        # The rows skipped are read as ids only (a deferred join): an index holding the sort key, the id and what
        # visibility asks (customer_name_order) serves them without reading a row, and only the page's rows are
        # then fetched. (A manager's page 50 at 100,000 customers read 8,900 rows to skip 1,225: 10 -> 2 ms.)
        found = list(ordered.filter(pk__in=ordered.values("pk")[start : start + size + 1]))
        if found:
            return _page(found[:size], order, has_more=len(found) > size, has_previous=True, is_first=False)
        # Past the end (the list shrank since the link was made): its last page.
        found = list(rows.order_by(*order.reversed().order_by())[: size + 1])
        more_before = len(found) > size
        return _page(found[:size][::-1], order, has_more=False, has_previous=more_before, is_first=not more_before)
    found = list(ordered[: size + 1])
    return _page(found[:size], order, has_more=len(found) > size, has_previous=False, is_first=True)


OLD_PAGE_LIMIT = 10**6  # beyond any list's end (25 million rows), and an OFFSET PostgreSQL's bigint still takes


def _page_number(text) -> int:
    try:
        return min(max(int(text or 1), 1), OLD_PAGE_LIMIT)
    except (TypeError, ValueError, OverflowError):
        return 1


def _page(rows, order, *, has_more, has_previous, is_first):
    def cursor(row):
        return encode_cursor(getattr(row, SORT_KEY), row.pk)

    return KeysetPage(
        object_list=rows,
        next_cursor=cursor(rows[-1]) if rows and has_more else "",
        previous_cursor=cursor(rows[0]) if rows and has_previous else "",
        is_first=is_first,
    )


@dataclass(frozen=True)
class Count:
    """How many rows a list holds: exact, or the planner's estimate (rounded) when there are many."""

    value: int
    estimated: bool = False


def list_count(queryset: QuerySet, *, page: KeysetPage, planned: Callable[[], QuerySet] | None = None) -> Count:
    """Exact up to COUNT_EXACT_UP_TO, else PostgreSQL's estimate, rounded (one EXPLAIN of `planned()`: the same
    rows spelled so that the planner can estimate them, its visibility by ids; no row is read).

    The estimate decides: a count limited to the threshold (LIMIT 1001) would be cheaper to plan wrong than
    right, as the planner then walks an index hoping to meet 1,001 matches early (a rep's list read 90,000
    entries for it at 100,000 customers). Counted exactly when the estimate is small, and taken from the page
    when the page holds the whole list."""
    if _plans(queryset) and planned:
        queryset = planned()  # counted as well as estimated from it: the planner knows the rows it names
    estimate = planner_rows(queryset) if _plans(queryset) else 0
    if estimate <= COUNT_EXACT_UP_TO:
        return Count(queryset.order_by().count())
    if page.is_first and not page.has_next:
        return Count(len(page))
    return Count(max(rounded(estimate), COUNT_EXACT_UP_TO + 1), estimated=True)


def _plans(queryset):
    return connections[queryset.db].vendor == "postgresql"


def planner_rows(queryset: QuerySet) -> int:
    """PostgreSQL's estimate of how many rows the query returns, from its statistics (one EXPLAIN)."""
    plan = json.loads(queryset.order_by().values("pk").explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def planner_rows_by(queryset: QuerySet, field_name: str, values) -> dict:
    """The planner's estimate for each value of a field, in one EXPLAIN of a UNION ALL of the filtered lists.

    Each branch carries its number as a constant, which EXPLAIN VERBOSE prints in the branch's output: a parallel
    plan puts the Append under a Gather, orders its branches by cost and counts a partial branch's rows per
    worker, so the branches are found by number and scaled to the plan's total (a 100,000-customer search took
    the positions for granted and failed)."""
    values = list(values)
    parts = [
        queryset.order_by().filter(**{field_name: value}).annotate(_branch=Value(number)).values("pk", "_branch")
        for number, value in enumerate(values)
    ]
    plan = json.loads(parts[0].union(*parts[1:], all=True).explain(format="json", verbose=True))[0]["Plan"]
    append = plan
    while append["Node Type"] != "Append" and len(append.get("Plans", [])) == 1:
        append = append["Plans"][0]
    branches = append.get("Plans", []) if append["Node Type"] == "Append" else [append]
    rows = dict.fromkeys(range(len(values)), 0.0)
    for branch in branches:
        number = _branch_number(branch)
        if number in rows:
            rows[number] += branch["Plan Rows"]
    scale = plan["Plan Rows"] / sum(rows.values()) if sum(rows.values()) else 0
    return {value: round(rows[number] * scale) for number, value in enumerate(values)}


def _branch_number(node: dict) -> int | None:
    """The constant a branch's rows end with in EXPLAIN VERBOSE ("crm_customer.id", "2"), looked for below the
    nodes that only pass rows on."""
    while True:
        output = node.get("Output") or [""]
        if output[-1].isdigit():
            return int(output[-1])
        if len(node.get("Plans", [])) != 1:
            return None
        node = node["Plans"][0]


def rounded(number: int) -> int:
    """Three significant figures: 14,637 -> 14,600. An estimate shown to the unit would claim too much."""
    if number < 1000:
        return number
    step = 10 ** (len(str(number)) - 3)
    return round(number / step) * step


class EstimatingPaginator(Paginator):
    """For long lists paged by number (the Django admin's, the pool): the count is PostgreSQL's estimate above
    COUNT_EXACT_UP_TO rows, so that a page of 100,000 customers is not preceded by counting them (28 ms, and the
    admin counted twice; the pool's 99,461 at 1,000,000 customers, 7 ms). The last page numbers are then
    approximate: `estimated` says so, and the pool's pager then names no last page."""

    @cached_property
    def count(self):
        return self._count_and_whether_estimated[0]

    @property
    def estimated(self) -> bool:
        return self._count_and_whether_estimated[1]

    @cached_property
    def _count_and_whether_estimated(self):
        queryset = self.object_list
        if isinstance(queryset, QuerySet) and _plans(queryset):
            estimate = planner_rows(queryset)
            if estimate > COUNT_EXACT_UP_TO:
                return rounded(estimate), True
        return super().count, False
