"""Small request helpers the apps share."""

from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, *, default):
    """Where to go after an action: the `next` page the user came from, if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next", "")
    # Only a path: anything else that passes the host check (`abc`) would be taken by redirect() for a URL name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return resolve_url(default)
