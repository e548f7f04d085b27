import io
import json

import pytest
from django.core.management import call_command

from claims.board.management.commands.bench import JOBS, PAGES

pytestmark = pytest.mark.django_db


def test_bench_requests_every_page_and_runs_every_job(tmp_path):
    call_command("seed_scale", customers=60, reps=4, teams=2, visits=200, stdout=io.StringIO())
    out = io.StringIO()
    path = tmp_path / "r.json"

    call_command("bench", runs=2, job_runs=1, json=str(path), stdout=out)

    results = json.loads(path.read_text(encoding="utf-8"))
    pages = {row["name"]: row for row in results["pages"]}
    assert set(pages) == {page.name for page in PAGES}
    for name, row in pages.items():
        assert row["ok"], (name, row["status"], row["error"])
        assert set(row["status"]) <= {200, 302}, name
        assert isinstance(row["queries"], int) and row["queries"] > 0, name
    jobs = {row["name"]: row for row in results["jobs"]}
    assert set(jobs) == {name for name, _ in JOBS}
    for name, row in jobs.items():
        assert not row["error"], (name, row["error"])
        assert isinstance(row["queries"], int), name
    assert results["machine"]["customers"] == 60
    assert "NOT OK" not in out.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_load_test_logs_people_in_and_clicks_through_gunicorn(tmp_path):
    call_command("seed_scale", customers=60, reps=4, teams=2, visits=200, stdout=io.StringIO())
    path = tmp_path / "load.json"

    call_command("loadtest", users=3, duration=3, think="0.05-0.1", workers=1, threads=2, json=str(path),
                 stdout=io.StringIO())  # fmt: skip

    results = json.loads(path.read_text(encoding="utf-8"))
    assert results["errors"] == 0, results["pages"]
    assert results["requests"] > 0 and results["requests_per_second"] > 0
    assert {"board", "day", "customer_card"} <= set(results["pages"])  # both journeys ran
