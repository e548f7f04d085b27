"""Log lines with time, level, logger and the request they belong to; one access line per request.

`RequestLogMiddleware` (first in MIDDLEWARE) gives every request an id: the proxy's `X-Request-ID` when it is
well-formed, else a new one. Every line logged while the request is served carries it (`RequestIdFilter` on the
handler), the response returns it as `X-Request-ID`, and the request ends with one line on `crm.access`:
method, path, status, user id and duration. `LOG_FORMAT=json` writes each line as one JSON object.
"""

import contextvars
import datetime
import json
import logging
import re
import time
import uuid

from django.core.signals import request_finished
from django.dispatch import receiver
from django.utils.functional import SimpleLazyObject, empty

NO_REQUEST = "-"
request_id = contextvars.ContextVar("request_id", default=NO_REQUEST)
# What a proxy's id may look like (nginx's $request_id, a UUID, a trace id): anything else is replaced, so a
# client cannot write into the log.
WELL_FORMED_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
ACCESS_FIELDS = ("method", "path", "status", "user_id", "duration_ms")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
access_log = logging.getLogger("crm.access")


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request being served ("-" outside one: jobs, commands)."""

    def filter(self, record):
        record.request_id = request_id.get()
        return True


def _timestamp(record) -> str:
    # Local time (TIME_ZONE) with its offset, to the millisecond: 2026-12-03T09:30:00.123+08:00.
    moment = datetime.datetime.fromtimestamp(record.created).astimezone()
    return moment.isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """`time level logger [request id] message`, one line per record (the traceback follows, if any)."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's name)
        return _timestamp(record)

    def format(self, record):
        record.request_id = getattr(record, "request_id", NO_REQUEST)
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for a log collector: time, level, logger, request_id, message, and the access
    line's fields as their own keys."""

    def format(self, record):
        line = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", NO_REQUEST),
            "message": record.getMessage(),
        }
        line |= {name: getattr(record, name) for name in ACCESS_FIELDS if hasattr(record, name)}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


@receiver(request_finished, dispatch_uid="crm.request_log.forget_request_id")
def forget_request_id(**kwargs):
    request_id.set(NO_REQUEST)


def _loaded_user_id(request):
    """The user's id if the request already loaded the user; never a query of its own, which would turn a 503
    answered while the database is down into a 500. Absent on what answers before authentication (static files)."""
    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    return user.pk if user is not None and user.is_authenticated else None


class RequestLogMiddleware:
    """Names the request (X-Request-ID in and out) and logs one access line when it is answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        # Kept until the response is closed (request_finished below): Django logs a 4xx or 5xx after the
        # middleware has returned, and that line belongs to the request too.
        request_id.set(incoming if WELL_FORMED_ID.fullmatch(incoming) else uuid.uuid4().hex)
        started = time.monotonic()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id.get()
        self._log(request, response, started)
        return response

    def _log(self, request, response, started):
        fields = {
            "method": request.method,
            # A decoded path may hold a line break: escaped, it cannot forge a second log line.
            "path": CONTROL_CHARACTERS.sub(lambda match: f"\\x{ord(match[0]):02x}", request.path),
            "status": response.status_code,
            "user_id": _loaded_user_id(request),
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        }
        access_log.info(
            "%(method)s %(path)s %(status)s user=%(user_id)s %(duration_ms)sms",
            fields,
            extra=fields,
        )
