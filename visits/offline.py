"""Working without signal: the installable app's manifest and service worker, and the answers the phone's queue
of visits logged offline gets (static/js/offline-queue.js sends them, static/js/offline.js shows them)."""

import hashlib
import json
import uuid
from functools import lru_cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from crm.http import safe_next

QUEUE_HEADER = "X-Visit-Queue"  # set by offline-queue.js on the visits it sends
THEME_COLOUR = "#0d6efd"
ICONS = [
    ("icons/app-192.png", "192x192", "any"),
    ("icons/app-512.png", "512x512", "any"),
    ("icons/app-maskable-512.png", "512x512", "maskable"),
]
# What every page needs, kept on the phone at install. Anything else under /static/ is kept once loaded.
SHELL = [
    "vendor/bootstrap/bootstrap.min.css",
    "css/theme.css",
    "css/crm.css",
    "css/search.css",
    "js/theme.js",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "js/crm.js",
    "js/search.js",
    "js/day.js",
    "js/form-errors.js",
    "js/offline-queue.js",
    "js/offline.js",
    "favicon.svg",
    *(name for name, _size, _purpose in ICONS),
]
WORKBOX = ["core", "routing", "strategies", "precaching", "cacheable-response"]


# --- the queue's answers -------------------------------------------------------------------------------------


def from_queue(request) -> bool:
    """A visit the phone kept while offline and sends now: it wants an answer in JSON, not a page."""
    return request.headers.get(QUEUE_HEADER) == "1"


def posted_client_id(request):
    try:
        return uuid.UUID(request.POST.get("client_id", ""))
    except ValueError:
        return None


def _card(visit):
    return reverse("crm:customer_detail", args=[visit.customer_id])


def recorded(visit, refused_files=()):
    """Kept. Files sent with it that were refused (their type, size...) are named, with why: the visit stands."""
    answer = {"status": "recorded", "visit": visit.pk, "url": _card(visit), "refused_files": list(refused_files)}
    return JsonResponse(answer, status=201)


def already_recorded(request, visit, *, queued):
    """The same visit sent again: the first one stands, and the answer says so (a success, not an error)."""
    if queued:
        return JsonResponse({"status": "duplicate", "visit": visit.pk, "url": _card(visit)})
    messages.info(request, _("This visit was recorded already; it is kept once."))
    return redirect(safe_next(request, default="visits:day"))


def refused(form):
    """The same validation as the page's form; the phone keeps the draft with these reasons."""
    errors = []
    for name, messages_ in form.errors.items():
        field = form.fields.get(name)
        for message in messages_:
            if field is not None and field.label:
                message = _("%(field)s: %(message)s") % {"field": field.label, "message": message}
            errors.append(str(message))
    return JsonResponse({"status": "refused", "errors": errors}, status=400)


def not_allowed(refusal):
    if isinstance(refusal, PermissionDenied):
        return JsonResponse(
            {"status": "not_allowed", "errors": [_("You may no longer log visits for this customer.")]}, status=403
        )
    return JsonResponse({"status": "not_allowed", "errors": [_("This customer is no longer among yours.")]}, status=404)


@require_safe
@never_cache
def csrf_token(request):
    """A current CSRF token, fetched right before the queue sends: a log out and in since it was queued rotates it."""
    # The user too: the phone sends only the drafts of whoever is signed in now.
    return JsonResponse({"token": get_token(request), "user": request.user.pk})


# --- the installable app -------------------------------------------------------------------------------------


@login_not_required  # the browser fetches the manifest without asking who you are
@require_safe
def manifest(request):
    data = {
        "name": _("Sales CRM"),
        "short_name": _("CRM"),
        "description": _("Customers, visits and follow-ups; visits can be logged without signal."),
        "id": "/",
        "start_url": reverse("visits:day"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": static(name), "sizes": size, "type": "image/png", "purpose": purpose}
            for name, size, purpose in ICONS
        ],
    }
    return JsonResponse(
        data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False, "indent": 1}
    )


def _revision(name):
    """None when the URL carries the file's hash already (production); the content's hash otherwise."""
    url = staticfiles_storage.url(name)
    if not url.endswith("/" + name):
        return None
    path = finders.find(name)
    return hashlib.md5(open(path, "rb").read(), usedforsecurity=False).hexdigest()[:12] if path else None


def _service_worker_body():
    precache = [{"url": static(name), "revision": _revision(name)} for name in SHELL]
    config = {
        "precache": precache,
        "pages": reverse("visits:day"),
        "version": hashlib.sha256(json.dumps(precache).encode()).hexdigest()[:12],
    }
    return render_to_string(
        "offline/sw.js",
        {
            "config": json.dumps(config),
            "scripts": [static(f"vendor/workbox/workbox-{name}.prod.js") for name in WORKBOX]
            + [static("js/offline-queue.js"), static("js/sw-routes.js")],
        },
    )


_cached_body = lru_cache(maxsize=1)(_service_worker_body)


@login_not_required  # installed from the login page too; it holds nothing private
@require_safe
def service_worker(request):
    """The service worker, from the site root so that it may control every page (a static URL could not)."""
    body = _service_worker_body() if settings.DEBUG else _cached_body()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    # A new deploy's worker must be seen at once; browsers check at most daily anyway.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response
