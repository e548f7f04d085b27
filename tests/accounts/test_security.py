"""Login throttling, security headers and production cookie settings."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import log_in

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


class TestLoginThrottle:
    def test_locked_after_the_limit_with_a_clear_message_even_for_the_right_password(self, client, rep, settings):
        for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            response = client.post(reverse("accounts:login"), {"username": rep.username, "password": "wrong"})
            assert response.status_code == 200  # the normal form, with its error
        response = client.post(reverse("accounts:login"), {"username": rep.username, "password": "wrong"})
        assert response.status_code == 429
        page = response.content.decode()
        assert "Too many failed logins" in page and "Try again in 15 minutes" in page
        assert not log_in(client, rep.username)

    def test_the_lockout_is_per_person_and_address_and_a_success_resets_the_count(self, client, rep, settings):
        colleague_name = rep.username + "-colleague"
        for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            log_in(client, rep.username, password="wrong")
        assert log_in(client, rep.username)  # the count starts again
        for _attempt in range(settings.AXES_FAILURE_LIMIT):
            log_in(client, colleague_name, password="wrong")
        assert log_in(client, rep.username)  # someone else's lockout does not lock this rep

    def test_the_lockout_page_is_translated(self, client, rep, settings):
        client.cookies["django_language"] = "zh-hans"
        for _attempt in range(settings.AXES_FAILURE_LIMIT):
            response = client.post(reverse("accounts:login"), {"username": rep.username, "password": "wrong"})
        assert "登录失败次数过多" in response.content.decode()


class TestHeaders:
    def test_every_page_forbids_inline_script_framing_and_sniffing(self, rep_client):
        response = rep_client.get(reverse("visits:day"))
        policy = dict(directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";"))
        assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"

    def test_pages_carry_no_inline_script_or_style(self, rep_client):
        page = rep_client.get(reverse("visits:day")).content.decode()
        assert "<script>" not in page and "<style" not in page and " style=" not in page
        assert '"includeIndicatorStyles": false' in page  # htmx must not inject its own <style>


def test_production_cookies_are_secure_and_hsts_is_on():
    env = {
        "DEBUG": "false",
        "SECRET_KEY": "k" * 50,
        "ALLOWED_HOSTS": "crm.example.com",
        "DATABASE_URL": "sqlite:////tmp/unused.sqlite3",
        "PATH": "/usr/bin:/bin",
    }
    names = [
        "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY",
        "SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT", "X_FRAME_OPTIONS",
    ]  # fmt: skip
    code = (
        f"from django.conf import settings as s; import json; print(json.dumps({{n: getattr(s, n) for n in {names}}}))"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"] and values["CSRF_COOKIE_HTTPONLY"]
    assert values["SECURE_HSTS_SECONDS"] >= 31536000 and values["SECURE_SSL_REDIRECT"]
    assert values["X_FRAME_OPTIONS"] == "DENY"
