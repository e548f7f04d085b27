import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from claims.board.management.commands.bench import JOBS, PAGES
from crm.deals.models import Opportunity, Purchase, StageChange, Status
from crm.models import Customer, Grade
from visits.models import Visit

pytestmark = pytest.mark.django_db

# The deals' pages (the board's forecast and targets among them) and the API's cases, whose statements must not
# grow with the data.
DEALS_AND_API = [
    page.name
    for page in PAGES
    if page.api or page.name.startswith(("deal", "deals_", "board_forecast", "board_targets"))
]


def bench(tmp_path, name, **options):
    path = tmp_path / f"{name}.json"
    out = io.StringIO()
    call_command("bench", job_runs=1, json=str(path), stdout=out, **options)
    return json.loads(path.read_text(encoding="utf-8")), out.getvalue()


def test_bench_requests_every_page_and_runs_every_job(tmp_path):
    call_command("seed_scale", customers=60, reps=4, teams=2, visits=200, stdout=io.StringIO())

    results, out = bench(tmp_path, "r", runs=2)

    pages = {row["name"]: row for row in results["pages"]}
    assert set(pages) == {page.name for page in PAGES}
    assert {"api_customer_list", "api_register", "api_visit_create", "deals_pipeline_rep", "deal_page"} <= set(pages)
    for name, row in pages.items():
        assert row["ok"], (name, row["status"], row["error"])
        assert set(row["status"]) <= ({201} if name in ("api_register", "api_visit_create") else {200, 302}), name
        assert isinstance(row["queries"], int) and row["queries"] > 0, name
    jobs = {row["name"]: row for row in results["jobs"]}
    assert set(jobs) == {name for name, _ in JOBS}
    for name, row in jobs.items():
        assert not row["error"], (name, row["error"])
        assert isinstance(row["queries"], int), name
    assert results["machine"]["customers"] == 60
    assert results["machine"]["deals"] == 120  # --deals-per-customer 2 by default
    # The machine's speed beside its figures, before and after, and said in the header.
    assert results["machine"]["speed_before"] > 0 and results["speed_after"] > 0
    assert f"additions: {results['machine']['speed_before']} s" in out
    assert "NOT OK" not in out
    # 60 customers hold no page 50: the figures say their deep pages are not deep.
    assert [warning.split(":")[0] for warning in results["short_lists"]] == ["customers", "complaints"]
    assert "Deep pages: customers: the manager's list holds" in out


def test_seeded_deals_have_their_history_and_a_won_deal_its_purchase():
    call_command("seed_scale", customers=40, reps=2, teams=1, visits=50, deals_per_customer=1.5, stdout=io.StringIO())

    deals = Opportunity.objects.all()
    assert deals.count() == 60
    assert not deals.filter(lines=None).exists()
    for deal in deals.prefetch_related("stage_changes", "lines"):
        history = list(deal.stage_changes.all())
        assert history[0].from_stage is None and history[-1].to_stage_id == deal.stage_id, deal
        assert history[-1].status == deal.status
        assert deal.amount == sum(line.amount for line in deal.lines.all())
    won = deals.filter(status=Status.WON)
    assert Purchase.objects.count() == won.count()
    assert not deals.filter(status=Status.LOST, close_reason=None).exists()
    assert StageChange.objects.count() > deals.count()


def test_deal_pages_and_api_make_as_many_statements_at_three_times_the_data(tmp_path):
    only = ",".join(DEALS_AND_API)
    call_command("seed_scale", customers=30, reps=3, teams=1, visits=60, stdout=io.StringIO())
    # An A customer's follow-up day also reads its last on-site visit (one statement): one grade for all, so the
    # bench's customer at either size is logged the same visit.
    Customer.objects.update(grade=Grade.B)
    small, _ = bench(tmp_path, "small", runs=1, only=only)
    call_command("seed_scale", customers=90, reps=3, teams=1, visits=180, stdout=io.StringIO())
    Customer.objects.update(grade=Grade.B)
    large, _ = bench(tmp_path, "large", runs=1, only=only)

    assert large["machine"]["deals"] == 3 * small["machine"]["deals"]
    queries = {size: {row["name"]: row["queries"] for row in results["pages"]} for size, results in
               (("small", small), ("large", large))}  # fmt: skip
    assert set(queries["small"]) == set(DEALS_AND_API)
    assert queries["large"] == queries["small"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_load_test_logs_people_in_and_clicks_through_gunicorn(tmp_path):
    call_command("seed_scale", customers=60, reps=4, teams=2, visits=200, stdout=io.StringIO())
    path = tmp_path / "load.json"

    call_command("loadtest", users=3, duration=3, think="0.05-0.1", warmup=0.5, workers=1, threads=2,
                 json=str(path), stdout=io.StringIO())  # fmt: skip

    results = json.loads(path.read_text(encoding="utf-8"))
    assert results["errors"] == 0, results["pages"]
    assert results["requests"] > 0 and results["requests_per_second"] > 0
    assert {"board", "day", "customer_card"} <= set(results["pages"])  # both journeys ran
    assert results["warmup"] == 0.5 and "login_page" not in results["pages"]
    assert results["speed_before"] > 0 and results["speed_after"] > 0


@pytest.mark.postgres
def test_explain_prints_each_statement_of_a_page_with_its_plan(tmp_path):
    call_command("seed_scale", customers=30, reps=2, teams=1, visits=20, stdout=io.StringIO())
    out = io.StringIO()

    call_command("bench", explain=True, only="customer_list,complaint_list", stdout=out)

    text = out.getvalue()
    assert "=== customer_list (manager)" in text and "=== complaint_list (manager)" in text
    assert text.count("--- statement ") >= 4
    assert "Execution Time" in text and "Buffers: shared" in text
    assert "no plan" not in text


def test_explain_says_it_needs_postgresql(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")

    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("bench", explain=True, stdout=io.StringIO())


def test_profile_prints_where_a_pages_python_time_goes(tmp_path):
    call_command("seed_scale", customers=30, reps=2, teams=1, visits=20, stdout=io.StringIO())
    visits = Visit.objects.count()
    out = io.StringIO()

    call_command("bench", profile=True, only="customer_list,visit_post", runs=2, json=str(tmp_path / "r.json"),
                 stdout=out)  # fmt: skip

    text = out.getvalue()
    assert "=== customer_list (manager) GET" in text and "=== visit_post (rep) POST" in text
    assert "ms a request under the profiler" in text
    # The project's own view is named among its functions, and the template engine among anything's.
    own = text.split("--- the project's own functions")[1].split("--- any function")[0]
    assert "crm/views.py" in own and "site-packages" not in own
    assert "django/template/base.py" in text
    assert not (tmp_path / "r.json").exists()  # nothing timed, nothing written
    assert Visit.objects.count() == visits  # the posted visits were rolled back
