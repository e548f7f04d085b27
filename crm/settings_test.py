"""Test settings: the real settings with fast hashing, captured mail and eager tasks.

Tests that exercise the broker start a real worker and do not rely on eagerness.
"""

import os
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("DEBUG", "true")


def _redis_db_per_xdist_worker():
    """Parallel test processes each get a Redis database of their own, so that one process's real
    Celery worker never takes another process's messages (pytest-django does the same for PostgreSQL)."""
    url, worker = os.environ.get("REDIS_URL", ""), os.environ.get("PYTEST_XDIST_WORKER", "")
    if url and worker.startswith("gw"):
        parts = urlsplit(url)
        first = int(parts.path.strip("/") or 0)
        os.environ["REDIS_URL"] = urlunsplit(parts._replace(path=f"/{(first + 1 + int(worker[2:])) % 16}"))


_redis_db_per_xdist_worker()

from crm.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
LANGUAGE_CODE = "en"
