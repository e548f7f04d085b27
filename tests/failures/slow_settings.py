"""The real settings with the slow pages' URLs: for a gunicorn a test starts."""

from crm.settings import *  # noqa: F403

ROOT_URLCONF = "tests.failures.slow_app"
