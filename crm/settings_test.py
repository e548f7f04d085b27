"""Test settings: the real settings with fast hashing, captured mail and eager tasks.

Tests that exercise the broker start a real worker and do not rely on eagerness.
"""

import os

os.environ.setdefault("DEBUG", "true")

from crm.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
LANGUAGE_CODE = "en"
