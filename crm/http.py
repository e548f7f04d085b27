"""Small request helpers the apps share."""

import functools

from django.core.exceptions import ValidationError
from django.shortcuts import resolve_url
from django.urls import get_script_prefix, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

_PK_MARKER = 2_147_483_647  # a primary key no URL pattern refuses, found again in the reversed path


def safe_next(request, *, default):
    """Where to go after an action: the `next` page the user came from, if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next", "")
    # Only a path: anything else that passes the host check (`abc`) would be taken by redirect() for a URL name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return resolve_url(default)


def refusal_text(error) -> str:
    """A service's refusal as one line. Some messages are built when a module is first imported; translating
    them again shows them in the reader's language."""
    return " ".join(_(message) for message in error.messages)


def add_service_errors(form, error) -> None:
    """A refusal from a service, shown on the fields it names (or above the form)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, refusal_text(error))
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, refusal_text(ValidationError(errors)))


@functools.cache
def _pk_path_ends(name: str, script_prefix: str) -> tuple[str, str]:
    head, _marker, tail = reverse(name, args=[_PK_MARKER]).rpartition(str(_PK_MARKER))
    return head, tail


def pk_path(name: str, pk: int) -> str:
    """reverse(name, args=[pk]) for a URL whose one argument is a primary key, resolved once per URL name (and
    script prefix) rather than once per row: a board of 60 cards reversed 180 links a request."""
    head, tail = _pk_path_ends(name, get_script_prefix())
    return f"{head}{pk}{tail}"
