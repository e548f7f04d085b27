"""Log lines carry time, level, logger and the request id; each request ends with one access line."""

import io
import json
import logging
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from crm.request_log import JsonFormatter, RequestIdFilter, TextFormatter

pytestmark = pytest.mark.django_db
TEXT_LINE = re.compile(
    r"(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00) (?P<level>[A-Z]+) (?P<logger>[\w.]+) "
    r"\[(?P<request_id>[^\]]+)\] (?P<message>.*)"
)


@pytest.fixture
def log_lines():
    """The lines the console handler would write, formatted as settings.LOGGING formats them; lines(fmt)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)

    def lines():
        return stream.getvalue().splitlines()

    def use(formatter):
        handler.setFormatter(formatter)
        return lines

    yield use
    root.removeHandler(handler)


def test_every_line_of_a_request_has_time_level_logger_and_its_id(rep_client, rep, log_lines):
    lines = log_lines(TextFormatter())
    response = rep_client.get("/")
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    parsed = [TEXT_LINE.fullmatch(line) for line in lines()]
    assert all(parsed), lines()
    ours = [match for match in parsed if match["request_id"] == request_id]
    access = [match for match in ours if match["logger"] == "crm.access"]
    assert len(access) == 1  # one access line per request
    assert re.fullmatch(rf"GET / {response.status_code} user={rep.pk} \d+(\.\d+)?ms", access[0]["message"])
    assert access[0]["level"] == "INFO"


def test_a_line_logged_inside_a_view_has_the_request_id(rep_client, log_lines):
    lines = log_lines(TextFormatter())
    response = rep_client.get("/customers/999999999/")  # a 404: Django logs a warning while serving it
    assert response.status_code == 404
    request_id = response["X-Request-ID"]
    warnings = [TEXT_LINE.fullmatch(line) for line in lines() if " WARNING django.request " in line]
    assert warnings and all(match["request_id"] == request_id for match in warnings)


def test_a_well_formed_id_from_the_proxy_is_kept_and_a_bad_one_replaced(client, log_lines):
    lines = log_lines(TextFormatter())
    login = reverse("accounts:login")
    from_proxy = "3f2a9c1e7b8d4e6fa0b1c2d3e4f5a6b7"
    assert client.get(login, HTTP_X_REQUEST_ID=from_proxy)["X-Request-ID"] == from_proxy
    assert f"[{from_proxy}] GET {login} 200 user=None" in lines()[-1]
    for forged in ["a\nINFO forged line", "x" * 300, "<script>", "short"]:
        answered = client.get(login, HTTP_X_REQUEST_ID=forged)["X-Request-ID"]
        assert answered != forged and re.fullmatch(r"[0-9a-f]{32}", answered)


def test_a_path_with_a_line_break_stays_on_one_line(client, log_lines):
    lines = log_lines(TextFormatter())
    client.get("/customers/%0AINFO%20forged")
    access = [line for line in lines() if " crm.access " in line]
    assert len(access) == 1 and "\\x0aINFO forged" in access[0]


def test_json_lines_carry_the_access_fields(rep_client, rep, log_lines):
    lines = log_lines(JsonFormatter())
    response = rep_client.get("/customers/", HTTP_X_REQUEST_ID="proxy-req-00000001")
    records = [json.loads(line) for line in lines()]
    (access,) = [record for record in records if record["logger"] == "crm.access"]
    assert access["request_id"] == "proxy-req-00000001" == response["X-Request-ID"]
    assert (access["level"], access["method"], access["path"], access["status"], access["user_id"]) == (
        "INFO",
        "GET",
        "/customers/",
        200,
        rep.pk,
    )
    assert access["duration_ms"] >= 0 and re.match(r"\d{4}-\d\d-\d\dT", access["time"])


def test_lines_outside_a_request_say_so(log_lines):
    lines = log_lines(TextFormatter())
    logging.getLogger("crm.tests").error("from a job")
    assert TEXT_LINE.fullmatch(lines()[-1])["request_id"] == "-"


def test_settings_send_every_line_through_the_filter_and_the_chosen_format():
    console = settings.LOGGING["handlers"]["console"]
    assert console["filters"] == ["request_id"] and console["formatter"] == settings.LOG_FORMAT == "text"
    assert settings.MIDDLEWARE[0] == "crm.request_log.RequestLogMiddleware"


@pytest.mark.parametrize(("log_format", "check"), [("json", json.loads), ("text", TEXT_LINE.fullmatch)])
def test_log_format_chooses_the_lines_a_process_writes(log_format, check):
    script = "import django, logging; django.setup(); logging.getLogger('crm.tests').warning('ready')"
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={"DJANGO_SETTINGS_MODULE": "crm.settings", "DEBUG": "true", "LOG_FORMAT": log_format, "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    assert check(result.stderr.strip())
