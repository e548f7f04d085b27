"""The app's URLs plus pages that take as long as they are told (a stand-in for a slow page) and one that fails.

Used by test settings only (tests/failures/slow_settings.py, or override_settings(ROOT_URLCONF=...)).
"""

import time

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.urls import path

from crm.urls import *  # noqa: F403 - the app's handlers too
from crm.urls import urlpatterns as app_urlpatterns


@login_not_required
def slow_python(request):
    time.sleep(float(request.GET.get("seconds", "60")))
    return HttpResponse("done")


@login_not_required
def slow_query(request):
    with connection.cursor() as cursor:
        if "statement_timeout_ms" in request.GET:  # the test client's connection has no statement_timeout
            cursor.execute("SET LOCAL statement_timeout = %s", [int(request.GET["statement_timeout_ms"])])
        cursor.execute("SELECT pg_sleep(%s)", [float(request.GET.get("seconds", "60"))])
    return HttpResponse("done")


@login_not_required
def broken(request):
    raise RuntimeError("a bug")


urlpatterns = [
    path("broken/", broken),
    path("slow/python/", slow_python),
    path("slow/query/", slow_query),
    *app_urlpatterns,
]
