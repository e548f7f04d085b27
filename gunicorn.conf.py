"""Gunicorn in production (Dockerfile, docker-compose.yml): `gunicorn crm.wsgi -c gunicorn.conf.py`.

Every number comes from the environment. A request gets three budgets, each shorter than the next, so
that a slow one ends with the app's own translated page (and its security headers) rather than with
gunicorn killing the worker and answering with a bare error page of its own:
the database cancels a statement after DATABASE_STATEMENT_TIMEOUT (half of GUNICORN_TIMEOUT), the app
ends the request after REQUEST_BUDGET_SECONDS (two thirds of it), gunicorn after GUNICORN_TIMEOUT (30 s).
"""

import os

import gunicorn.http.wsgi

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = timeout
# The app logs one access line per request with its request id (crm/request_log.py); "-" adds gunicorn's own.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "") or None

# Read by crm/settings.py in each worker (forked after this file runs).
os.environ.setdefault("REQUEST_BUDGET_SECONDS", str(timeout * 2 // 3))
os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT", str(timeout // 2))

# The Server header names no software (gunicorn has no setting for it: the name is a module constant).
gunicorn.http.wsgi.SERVER = "crm"
