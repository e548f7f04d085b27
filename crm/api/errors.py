"""Every API error as a problem+json body (RFC 9457): a stable `code` for programs, a `detail` in the caller's
language (Accept-Language, as the pages), and field errors under `errors`, by field.

Services raise Django's PermissionDenied and ValidationError (and claims' OwnershipRefused, a rule that says no);
they arrive here as 403, 400 and 409 with the services' own words. A record outside the caller's visibility is a
404 before any service runs (the views look it up in `visible_to`)."""

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

PROBLEM = "application/problem+json"
NON_FIELD = "non_field_errors"

TITLES = {
    400: lambda: _("The request is not valid"),
    401: lambda: _("Sign in or send a token"),
    403: lambda: _("Not allowed"),
    404: lambda: _("Not found"),
    405: lambda: _("Method not allowed"),
    406: lambda: _("Not acceptable"),
    409: lambda: _("Refused by a rule"),
    415: lambda: _("Unsupported media type"),
    429: lambda: _("Too many requests"),
}


class Conflict(exceptions.APIException):
    """A rule refused the request, or the same company exists: 409 with what to do instead."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, detail, code, extra=None):
        super().__init__(detail, code)
        self.extra = extra or {}


def problem(status_code, code, detail, errors=None, extra=None, headers=None):
    body = {
        "type": f"urn:crm:problem:{code}",
        "title": str(TITLES.get(status_code, lambda: _("Error"))()),
        "status": status_code,
        "code": code,
        "detail": str(detail),
    }
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM)


def _messages(errors) -> dict:
    """DRF's or a form's errors as {field: [message, ...]}, the form's "__all__" as non_field_errors."""
    if isinstance(errors, list):
        return {NON_FIELD: [str(message) for message in errors]}
    return {
        (NON_FIELD if field == NON_FIELD_ERRORS else field): (
            [str(message) for message in messages] if isinstance(messages, list) else [str(messages)]
        )
        for field, messages in errors.items()
    }


def _from_django_validation(error: DjangoValidationError):
    from_claims = type(error).__name__ == "OwnershipRefused"  # claims' refusal; crm may not import claims
    if from_claims:
        return problem(409, "ownership_refused", " ".join(error.messages))
    if hasattr(error, "error_dict"):
        errors = _messages(
            {field: [str(m) for e in errs for m in e.messages] for field, errs in error.error_dict.items()}
        )
    else:
        errors = {NON_FIELD: error.messages}
    return problem(400, "invalid", _("Check the fields named in errors."), errors=errors)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return _from_django_validation(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a server error: Django's 500 handling and logging
    headers = {name: value for name, value in response.items() if name in ("WWW-Authenticate", "Retry-After", "Allow")}
    if isinstance(exc, exceptions.ValidationError):
        return problem(400, "invalid", _("Check the fields named in errors."), errors=_messages(exc.detail),
                       headers=headers)  # fmt: skip
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
    return problem(response.status_code, code, detail, extra=getattr(exc, "extra", None), headers=headers)
