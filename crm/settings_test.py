"""Test settings: the real settings with fast hashing, captured mail and eager tasks.

Tests that exercise the broker start a real worker and do not rely on eagerness.
"""

import os
import tempfile
from pathlib import Path
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
# Uploaded files of a test run go to a folder of their own, never into the checkout's media/.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="crm-test-media-"))
# The API's rate limit is tested on its own (tests/api); elsewhere it stays out of the way. Each run counts under a
# key of its own, so a Redis database shared between runs holds no earlier run's counts.
API_RATE = "100000/minute"
CACHES["api"]["KEY_PREFIX"] = f"api-test-{os.getpid()}-{os.urandom(4).hex()}"  # noqa: F405
# The webhook tests post to a receiver on 127.0.0.1 over plain HTTP.
WEBHOOKS_ALLOW_HTTP_LOCAL = True
WEBHOOKS_TIMEOUT_SECONDS = 2
# In memory, as Django tests its own SQLite backend by default: pytest-django knows that one only by its name.
if DATABASES["default"]["ENGINE"] == "crm.sqlite":  # noqa: F405
    DATABASES["default"].setdefault("TEST", {})["NAME"] = ":memory:"  # noqa: F405
