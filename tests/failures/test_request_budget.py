"""A slow request ends with the app's own translated page and its security headers, before gunicorn's timeout.

The app's budget (settings.REQUEST_BUDGET_SECONDS) and the database's statement_timeout are shorter than
gunicorn's worker timeout (gunicorn.conf.py), which would end the request with a bare page of gunicorn's.
A real gunicorn, started with the production configuration file, shows it, and that its Server header
names no software.
"""

import http.client
import os
import signal
import subprocess
import sys
import time

import pytest
from django.test import Client, override_settings

from tests.crm.test_celery_worker import database_url
from tests.polling import wait_for

from .servers import ROOT, free_port

TOO_SLOW = "This page took too long to prepare and was stopped."


def security_headers(headers):
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"


@override_settings(ROOT_URLCONF="tests.failures.slow_app", REQUEST_BUDGET_SECONDS=0.5)
def test_a_request_past_its_budget_ends_with_the_apps_page(client):
    started = time.monotonic()
    response = client.get("/slow/python/?seconds=10", headers={"accept-language": "zh-hans"})
    assert time.monotonic() - started < 3
    assert response.status_code == 503 and response["Retry-After"]
    text = response.content.decode()
    assert '<html lang="zh-hans">' in text and "/static/vendor/bootstrap/" in text
    security_headers(response)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # disarmed: nothing fires after the request
    assert client.get("/slow/python/?seconds=0").status_code == 200


# Not pytest-django's `settings` fixture on top of override_settings: its teardown would restore the URLs
# overridden here for every later test of the process.
@override_settings(ROOT_URLCONF="tests.failures.slow_app", REQUEST_BUDGET_SECONDS=0)
def test_without_a_budget_or_outside_the_main_thread_nothing_is_timed(client):
    assert client.get("/slow/python/?seconds=0.8").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.failures.slow_app")
def test_a_statement_the_database_cancels_ends_with_the_too_slow_page_not_database_down(client):
    response = client.get("/slow/query/?seconds=10&statement_timeout_ms=200")
    assert response.status_code == 503
    assert TOO_SLOW in response.content.decode()
    security_headers(response)


@override_settings(ROOT_URLCONF="tests.failures.slow_app", DEBUG=False)
def test_a_server_error_is_the_apps_own_page():
    response = Client(raise_request_exception=False).get("/broken/", headers={"accept-language": "zh-hans"})
    assert response.status_code == 500
    text = response.content.decode()
    assert '<html lang="zh-hans">' in text and "/static/vendor/bootstrap/" in text
    security_headers(response)


def get(port, path, timeout=30):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1"})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


@pytest.fixture
def gunicorn(tmp_path):
    """gunicorn with gunicorn.conf.py and a 6 s worker timeout: the app's budget is 4 s, the database's 3 s."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.failures.slow_settings",
        "DEBUG": "true",  # no collectstatic needed for the page's stylesheet link
        "DATABASE_URL": database_url(),
        "REDIS_URL": "",
        "CELERY_FOLDER": str(tmp_path / "celery"),
        "GUNICORN_TIMEOUT": "6",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    for name in ("REQUEST_BUDGET_SECONDS", "DATABASE_STATEMENT_TIMEOUT"):
        env.pop(name, None)
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process
    command = [sys.executable, "-m", "gunicorn", "crm.wsgi", "--config", "gunicorn.conf.py"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def answers():
        try:
            return get(port, "/healthz", timeout=5)[0] == 200
        except OSError:
            return False

    try:
        assert wait_for(answers, timeout=60), (tmp_path / "gunicorn.log").read_text()[-3000:]
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.mark.postgres
@pytest.mark.django_db
def test_gunicorn_slow_pages_end_with_the_apps_page_and_the_server_header_names_no_software(gunicorn, tmp_path):
    for path, within in (("/slow/python/?seconds=30", 5.5), ("/slow/query/?seconds=30", 4.5)):
        started = time.monotonic()
        status, headers, body = get(gunicorn, path)
        assert time.monotonic() - started < within, path
        assert status == 503 and TOO_SLOW in body, (path, status, body[:500])
        security_headers(headers)
        assert headers["Server"] == "crm"
    # The worker lived on: no gunicorn timeout, no restart.
    status, headers, _body = get(gunicorn, "/healthz")
    assert status == 200 and headers["Server"] == "crm"
    assert "WORKER TIMEOUT" not in (tmp_path / "gunicorn.log").read_text()
