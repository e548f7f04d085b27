"""A request that cannot be served ends with a short page of the app's own, never a traceback or a server's page.

The database out of reach: a 503 that says so. A path no URL of the app can name: a 404. A request past its
budget (settings.REQUEST_BUDGET_SECONDS, or a statement the database cancelled at its statement_timeout): a 503
that says it took too long.
"""

import logging
import signal
import threading

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10


def database_unavailable_response(message=None):
    """The 503 page, rendered without the request: its context processors would query the database."""
    response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """Placed before LoginRequiredMiddleware, whose login check is every request's first query."""

    def __init__(self, get_response):
        self.get_response = get_response
        # A server restarting or out of reach, a connection cut, a lock or statement timeout: all pass.
        # Django wraps the driver's errors, but not all: closing a server-side cursor on a cut
        # connection raises psycopg2's own.
        driver = connection.Database
        self.unavailable = (OperationalError, InterfaceError, driver.OperationalError, driver.InterfaceError)

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Load the session and user here, where a failure can still be answered: in the login check
        # that follows, which loads them for every view, it would become a 500.
        try:
            request.user.is_authenticated  # noqa: B018 - evaluated for its queries
        except self.unavailable:
            logger.error("database unavailable for %s", request.path, exc_info=True)
            return database_unavailable_response()
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, self.unavailable):
            logger.error("database unavailable for %s", request.path, exc_info=exception)
            return database_unavailable_response()
        return None


class RequestTooSlow(Exception):
    """The request ran past settings.REQUEST_BUDGET_SECONDS."""


def _too_slow(signum, frame):
    raise RequestTooSlow


# SQLSTATE query_canceled: the statement ran past the connection's statement_timeout.
QUERY_CANCELED = "57014"


class RequestBudgetMiddleware:
    """Ends a request that runs past its budget with the app's own translated 503 page.

    Gunicorn kills a worker that takes longer than its timeout and answers with a bare page, without the
    security headers; this budget is shorter (gunicorn.conf.py). A timer signal interrupts only the main
    thread, which is where gunicorn's sync workers serve requests; threaded servers (runserver, gthread)
    rely on the database's statement_timeout alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = settings.REQUEST_BUDGET_SECONDS
        if not seconds or threading.current_thread() is not threading.main_thread():
            return self.get_response(request)
        previous = signal.signal(signal.SIGALRM, _too_slow)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return self.get_response(request)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def process_exception(self, request, exception):
        cancelled = isinstance(exception, OperationalError) and (
            getattr(exception.__cause__, "pgcode", None) == QUERY_CANCELED
        )
        if isinstance(exception, RequestTooSlow) or cancelled:
            logger.error("request too slow: %s", request.path, exc_info=exception)
            return database_unavailable_response(
                _("This page took too long to prepare and was stopped. Try again in a moment, or narrow it down.")
            )
        return None


# No path parameter of the app is longer: ids are digits, the calendar token 64 characters, export formats 4.
MAX_PATH_SEGMENT = 100


class UnroutablePathMiddleware:
    """A 404 for a path with a NUL or an over-long segment, before any view or converter sees it.

    PostgreSQL refuses NUL in a query (a `<str:...>` parameter reached it as a 500), and no parameter of the
    app is that long: one check here instead of one in every view. After the authentication middleware, so
    the 404 page renders as any other.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if "\x00" in path or any(len(segment) > MAX_PATH_SEGMENT for segment in path.split("/")):
            raise Http404
        return self.get_response(request)
