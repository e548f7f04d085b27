"""The long lists' keyset pager (crm/paging.py) through the customer list: ties, both directions, old links,
and counts that are exact up to a threshold and marked as estimates above it."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import paging
from crm.models import Customer, Grade
from crm.paging import Order, decode_cursor, encode_cursor, rounded
from tests.factories import CustomerFactory
from tests.queries import list_count_planning

pytestmark = pytest.mark.django_db

LIST = reverse("crm:customer_list")


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr("crm.views.PAGE_SIZE", 4)


def walk_forward(client, params):
    """Every page from the first by its "next" links, then back by "previous": (pages forward, pages back)."""
    forward = [client.get(LIST, params).context["page"]]
    while forward[-1].has_next:
        forward.append(client.get(LIST, {**params, "after": forward[-1].next_cursor}).context["page"])
        assert len(forward) < 50, "the pager goes round in circles"
    back = [forward[-1]]
    while back[-1].previous_cursor:
        back.append(client.get(LIST, {**params, "before": back[-1].previous_cursor}).context["page"])
        assert len(back) < 50
    return [list(page) for page in forward], [list(page) for page in reversed(back)]


def analyze():
    """Fresh statistics, so that the planner's estimate is of the rows the test made."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_customer")


def expected(rep, *order_by):
    return list(Customer.objects.filter(owner=rep).order_by(*order_by))


def test_next_and_previous_walk_ties_in_the_name_without_a_gap_or_a_repeat(manager_client, rep, small_pages):
    for name in ["乙机械有限公司"] * 7 + ["甲机械有限公司"] * 3 + ["丙机械有限公司"] * 5:
        CustomerFactory(name=name, owner=rep)

    forward, back = walk_forward(manager_client, {})

    everyone = [customer for page in forward for customer in page]
    assert everyone == expected(rep, "name", "pk")
    assert [len(page) for page in forward] == [4, 4, 4, 3]
    assert back == forward
    assert not manager_client.get(LIST).context["page"].has_previous


@pytest.mark.parametrize("ordering", ["next_follow_up_on", "-next_follow_up_on", "-created_at", "annual_purchases"])
def test_ties_and_empty_dates_in_a_sort_both_ways(manager_client, rep, small_pages, ordering):
    day = datetime.date(2026, 3, 2)
    moment = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    for index in range(13):
        CustomerFactory(
            owner=rep,
            next_follow_up_on=None if index % 4 == 0 else day + datetime.timedelta(days=index % 2),
            created_at=moment,
            annual_purchases=None if index % 5 == 0 else Decimal(index % 3),
        )
    key = ordering.lstrip("-")
    nulls = {"nulls_first": True} if ordering.startswith("-") else {"nulls_last": True}
    order = [getattr(F(key), "desc" if ordering.startswith("-") else "asc")(**nulls)]
    order.append("-pk" if ordering.startswith("-") else "pk")

    forward, back = walk_forward(manager_client, {"ordering": ordering})

    assert [customer for page in forward for customer in page] == expected(rep, *order)
    assert back == forward


def test_a_search_keeps_its_sort_across_pages(manager_client, rep, small_pages):
    for index in range(9):
        CustomerFactory(name=f"{'ab'[index % 2]}青岛测试有限公司", owner=rep)

    forward, _ = walk_forward(manager_client, {"q": "青岛测试"})

    names = [customer.name for page in forward for customer in page]
    assert len(names) == 9 and names == sorted(names, key=str.lower)


def test_an_old_page_link_gives_that_page_and_past_the_end_the_last(manager_client, rep, small_pages):
    CustomerFactory.create_batch(10, owner=rep)
    ordered = expected(rep, "name", "pk")

    second = manager_client.get(LIST, {"page": 2}).context["page"]
    assert list(second) == ordered[4:8] and second.has_previous and second.has_next
    past = manager_client.get(LIST, {"page": 99}).context["page"]
    assert list(past) == ordered[6:] and not past.has_next
    assert list(manager_client.get(LIST, {"page": "x"}).context["page"]) == ordered[:4]
    assert list(manager_client.get(LIST, {"page": "9" * 30}).context["page"]) == ordered[6:]  # no OFFSET overflow


def test_previous_with_nothing_left_before_it_gives_the_first_page(manager_client, rep, small_pages):
    CustomerFactory.create_batch(6, owner=rep)
    ordered = expected(rep, "name", "pk")
    second = manager_client.get(LIST, {"page": 2}).context["page"]
    Customer.objects.filter(pk__in=[customer.pk for customer in ordered[:4]]).delete()

    page = manager_client.get(LIST, {"before": second.previous_cursor}).context["page"]

    assert list(page) == ordered[4:] and not page.has_previous


def test_a_mangled_cursor_gives_the_first_page(manager_client, rep, small_pages):
    CustomerFactory.create_batch(6, owner=rep)
    ordered = expected(rep, "name", "pk")
    for cursor in ["!!!", encode_cursor("x", "1; DROP"), encode_cursor("x", 0), "e30"]:
        assert list(manager_client.get(LIST, {"after": cursor}).context["page"]) == ordered[:4], cursor


def test_the_pager_keeps_the_filters_and_drops_the_old_cursor(manager_client, rep, small_pages):
    CustomerFactory.create_batch(9, owner=rep, grade="B")
    text = manager_client.get(LIST, {"grade": "B", "page": 2}).content.decode()
    page = text[text.index('data-testid="pager"') : text.index("</nav>", text.index('data-testid="pager"'))]
    assert "?grade=B&after=" in page and "?grade=B&before=" in page and "page=2" not in page


def test_a_cursor_round_trips_its_types():
    created = Customer._meta.get_field("created_at").to_python
    moment = datetime.datetime(2026, 3, 2, 9, 0, 1, 5, tzinfo=datetime.UTC)
    assert decode_cursor(encode_cursor(moment, 7), created) == (moment, 7)
    purchases = Customer._meta.get_field("annual_purchases").to_python
    assert decode_cursor(encode_cursor(Decimal(120), 8), purchases) == (Decimal(120), 8)
    assert decode_cursor(encode_cursor(None, 9), str) == (None, 9)
    assert Order("name").reversed().descending


def test_rounded_to_three_figures():
    assert [rounded(n) for n in (999, 14_637, 1_004, 250_499)] == [999, 14_600, 1_000, 250_000]


class TestCounts:
    def test_exact_up_to_the_threshold(self, manager_client, rep, monkeypatch):
        monkeypatch.setattr(paging, "COUNT_EXACT_UP_TO", 5)
        CustomerFactory.create_batch(3, owner=rep, grade="A")
        CustomerFactory.create_batch(2, owner=rep, grade="C")

        response = manager_client.get(LIST)

        counts = response.context["counts"]
        assert counts["total"] == 5 and not counts["estimated"]
        assert dict(counts["grades"]) == {grade: {"A": 3, "C": 2}.get(grade, 0) for grade in Grade.values}
        assert 'data-testid="exact-count"' in response.content.decode()

    @pytest.mark.postgres
    def test_estimated_above_it_and_said_so_with_an_exact_count_on_request(
        self, manager_client, rep, monkeypatch, small_pages
    ):
        monkeypatch.setattr(paging, "COUNT_EXACT_UP_TO", 5)
        CustomerFactory.create_batch(9, owner=rep, grade="A")
        analyze()

        response = manager_client.get(LIST)

        counts = response.context["counts"]
        text = response.content.decode()
        assert counts["estimated"] and counts["total"] > 5
        assert 'data-testid="estimated-count"' in text and "about" in text and "≈" in text
        assert 'data-testid="count-exactly"' in text
        exact = manager_client.get(LIST, {"count": "exact"}).context["counts"]
        assert exact["total"] == 9 and not exact["estimated"] and dict(exact["grades"])["A"] == 9

    @pytest.mark.postgres
    def test_a_rep_sees_the_estimate_without_the_exact_count(self, rep_client, rep, monkeypatch, small_pages):
        monkeypatch.setattr(paging, "COUNT_EXACT_UP_TO", 5)
        CustomerFactory.create_batch(9, owner=rep)
        analyze()

        response = rep_client.get(LIST, {"count": "exact"})

        assert response.context["counts"]["estimated"]
        assert 'data-testid="count-exactly"' not in response.content.decode()

    @pytest.mark.postgres
    def test_a_list_that_fits_on_its_page_is_counted_there(self, manager_client, rep, monkeypatch):
        monkeypatch.setattr(paging, "COUNT_EXACT_UP_TO", 5)  # the planner expects more than 5 ...
        CustomerFactory.create_batch(7, owner=rep, grade="B")  # ... but all 7 are on the first page
        analyze()

        counts = manager_client.get(LIST).context["counts"]

        assert counts["total"] == 7 and not counts["estimated"] and dict(counts["grades"])["B"] == 7


@pytest.mark.parametrize("params", [{}, {"grade": "A", "overdue": "true"}, {"ordering": "-created_at"}])
def test_a_deep_page_makes_as_many_statements_at_four_times_the_data(
    django_assert_num_queries, manager_client, rep, small_pages, params
):
    yesterday = datetime.date.today() - datetime.timedelta(days=2)
    CustomerFactory.create_batch(10, owner=rep, grade="A", next_follow_up_on=yesterday)
    page = manager_client.get(LIST, params).context["page"]
    with django_assert_num_queries(10 + list_count_planning()) as small:
        manager_client.get(LIST, {**params, "after": page.next_cursor})
    statements = len(small.captured_queries)  # read now: the next request empties the log it is read from
    CustomerFactory.create_batch(30, owner=rep, grade="A", next_follow_up_on=yesterday)
    page = manager_client.get(LIST, {**params, "after": page.next_cursor}).context["page"]
    with django_assert_num_queries(statements):
        manager_client.get(LIST, {**params, "before": page.previous_cursor})
    with django_assert_num_queries(statements):
        manager_client.get(LIST, {**params, "page": 5})


@pytest.mark.postgres
@pytest.mark.parametrize("parallel", [False, True], ids=["serial plan", "parallel plan"])
def test_estimates_per_grade_match_their_grade_in_a_serial_or_a_parallel_plan(rep, parallel):
    """The per-grade estimates come from one EXPLAIN of a UNION ALL. In a parallel plan the branches sit under a
    Gather, in the order of their cost, each counted per worker (a 100,000-customer search failed on it)."""
    CustomerFactory.create_batch(40, owner=rep, grade=Grade.A)
    CustomerFactory.create_batch(10, owner=rep, grade=Grade.C)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Customer._meta.db_table}")
        if parallel:  # cheap workers, so that even 50 rows are read in parallel
            for setting in ("parallel_setup_cost = 0", "parallel_tuple_cost = 0", "min_parallel_table_scan_size = 0"):
                cursor.execute(f"SET LOCAL {setting}")
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 2")
    customers = Customer.objects.filter(owner=rep)
    if parallel:
        assert "Gather" in customers.union(customers, all=True).explain(), "the test's plan should be parallel"
    estimates = paging.planner_rows_by(customers, "grade", Grade.values)
    assert list(estimates) == list(Grade.values)
    assert estimates[Grade.A] > estimates[Grade.C] > estimates[Grade.B] >= 0
    assert 45 <= sum(estimates.values()) <= 55


@pytest.mark.postgres
def test_an_old_page_link_skips_its_rows_in_the_name_index_alone(manager_client, manager, rep, small_pages):
    """The rows before an old `?page=N` are read as ids from customer_name_order, which holds the holder that
    visibility asks for: no customer row is read to be skipped (a manager's page 50, 100,000 customers: 10 -> 2 ms)."""
    CustomerFactory.create_batch(30, owner=rep)
    CustomerFactory.create_batch(30, owner=None)
    analyze()
    with CaptureQueriesContext(connection) as queries:
        page = manager_client.get(LIST, {"page": 5}).context["page"]
    assert list(page) == list(Customer.objects.visible_to(manager).order_by("name", "pk")[16:20])
    (statement,) = [query["sql"] for query in queries.captured_queries if "OFFSET 16" in query["sql"]]
    with connection.cursor() as cursor:
        # 60 rows, which a bitmap or a whole read and a sort serve as well: a real list's size makes the index pay.
        for method in ("seqscan", "bitmapscan"):
            cursor.execute(f"SET LOCAL enable_{method} = off")
        cursor.execute(f"EXPLAIN {statement}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using customer_name_order" in plan, plan
