"""The audit log: one call records an action worth answering for later.

Services call `record` inside their own transaction, so an action and its audit entry
are written together or not at all. Services are not given the request: the entries they
write while a request is served take its client's address from `serving` (set by
accounts.middleware.AuditRequestMiddleware for every request).
"""

from contextlib import contextmanager
from contextvars import ContextVar

from axes.helpers import get_client_ip_address
from axes.signals import user_locked_out
from django.contrib.auth import user_logged_in, user_login_failed
from django.dispatch import receiver

from .models import AuditAction, AuditEntry

__all__ = ["AuditAction", "record"]


_serving = ContextVar("audit_request", default=None)


@contextmanager
def serving(request):
    """While `request` is served, entries recorded without it still take its client's address."""
    token = _serving.set(request)
    try:
        yield
    finally:
        _serving.reset(token)


def serving_client_ip():
    """The client address of the request being served, if any: for work a worker finishes later."""
    return client_ip(_serving.get())


def client_ip(request):
    # Behind the proxy, SecurityMiddleware/SECURE_PROXY_SSL_HEADER do not rewrite REMOTE_ADDR; django-axes
    # resolves the client address (honouring PROXY_COUNT): on a login it has set it on the request already.
    if request is None:
        return None
    return getattr(request, "axes_ip_address", None) or get_client_ip_address(request) or None


def _storable(value):
    """`value` without NUL characters, which PostgreSQL refuses in text and JSON (a query string may carry them)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    return value


def record(action, *, actor=None, request=None, summary="", subject=None, detail=None, username="", ip_address=None):
    """`ip_address` is for an entry written outside the request it answers for (a worker finishing an import)."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return AuditEntry.objects.create(
        action=action,
        actor=actor,
        username=username or (actor.get_username() if actor else ""),
        ip_address=ip_address or client_ip(request or _serving.get()),
        subject_type=subject._meta.label_lower if subject is not None else "",
        subject_id=str(subject.pk) if subject is not None else "",
        subject_label=str(subject)[:255] if subject is not None else "",
        summary=_storable(str(summary)),
        detail=_storable(detail or {}),
    )


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs):
    record(AuditAction.LOGIN, actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    record(AuditAction.LOGIN_FAILED, request=request, username=str(credentials.get("username", ""))[:150])


@receiver(user_locked_out, dispatch_uid="audit_locked_out")
def _locked_out(sender, request, username, ip_address, **kwargs):
    record(AuditAction.LOCKED_OUT, request=request, username=str(username or "")[:150])
